"""Queries of one entity's history across the roster, metric and audit tables.

Returns rows or None; never commits, never raises HTTP errors. A page is one statement over the three
sources' (type, time, key) only; the page's records are then read from each source by key, so each
keeps its own columns and types (a JSON union would turn amounts into floats).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, RowMapping, Select, String, any_, bindparam, cast, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Entity, MetricValue, RosterAdjustment, table, tables
from shared.pagination import PageRequest, Sorting
from shared.schemas.enums import EntityKind, HistoryEntryType

E = table(Entity)
R = table(RosterAdjustment)
M = table(MetricValue)
A = tables.audit_event
# The entity's own audit events that change its fields. Roster adjustments write `roster_<action>`
# events on the entity too; the adjustment itself tells those.
FIELD_ACTIONS = ("create", "update")


def _key(entry_type: HistoryEntryType, number: Any) -> Any:
    """`<type>:<number, zero-padded>`: unique, and in the order entries of one instant were written."""
    return (literal(f"{entry_type.value}:") + func.lpad(cast(number, String), 19, "0")).label("id")


def _entries(entity_id: uuid.UUID, kind: EntityKind, entry_type: HistoryEntryType | None) -> Any:
    sources: list[Select[Any]] = []
    if entry_type in (None, HistoryEntryType.roster_adjustment):
        t = HistoryEntryType.roster_adjustment
        sources.append(
            select(literal(t.value).label("type"), R.c.created_at.label("at"), _key(t, R.c.seq)).where(
                R.c.entity_id == entity_id
            )
        )
    if entry_type in (None, HistoryEntryType.metric_revision):
        t = HistoryEntryType.metric_revision
        sources.append(
            select(literal(t.value).label("type"), M.c.recorded_at.label("at"), _key(t, M.c.id)).where(
                M.c.entity_id == entity_id
            )
        )
    if entry_type in (None, HistoryEntryType.field_change):
        t = HistoryEntryType.field_change
        sources.append(
            select(literal(t.value).label("type"), A.c.occurred_at.label("at"), _key(t, A.c.id)).where(
                A.c.resource_type == kind.value,
                A.c.resource_id == str(entity_id),
                A.c.action.in_(FIELD_ACTIONS),
            )
        )
    return union_all(*sources).subquery("history")


def _numbers(keys: Sequence[str]) -> Any:
    return bindparam("numbers", [int(k.split(":", 1)[1]) for k in keys], type_=ARRAY(BigInteger))


class HistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def entity_region(self, kind: EntityKind, entity_id: uuid.UUID) -> str | None:
        """The region of the entity of `kind` with `entity_id`; None when there is none."""
        stmt = select(E.c.region_code).where(E.c.id == entity_id, E.c.kind == kind.value)
        region: str | None = await self.session.scalar(stmt)
        return region

    async def page(
        self, entity_id: uuid.UUID, kind: EntityKind, entry_type: HistoryEntryType | None, page: PageRequest
    ) -> tuple[Sequence[RowMapping], str]:
        """One page of (type, at, id) in time order (plus one row to tell whether another follows)."""
        history = _entries(entity_id, kind, entry_type)
        sorting = Sorting(columns={"at": history.c.at}, tiebreak=history.c.id, default="at")
        stmt, key, _ = sorting.apply(select(history), page)
        return (await self.session.execute(stmt)).mappings().all(), key

    async def adjustments(self, keys: Sequence[str]) -> dict[int, RowMapping]:
        stmt = select(R).where(R.c.seq == any_(_numbers(keys)))
        return {row["seq"]: row for row in (await self.session.execute(stmt)).mappings().all()}

    async def metrics(self, keys: Sequence[str]) -> dict[int, RowMapping]:
        stmt = select(M).where(M.c.id == any_(_numbers(keys)))
        return {row["id"]: row for row in (await self.session.execute(stmt)).mappings().all()}

    async def audit_events(self, keys: Sequence[str]) -> dict[int, RowMapping]:
        stmt = select(A).where(A.c.id == any_(_numbers(keys)))
        return {row["id"]: row for row in (await self.session.execute(stmt)).mappings().all()}
