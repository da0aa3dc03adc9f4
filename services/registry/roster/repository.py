"""Queries over the roster adjustment history. Returns rows or None; never commits, never raises HTTP."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Entity, RosterAdjustment, table
from shared.pagination import PageRequest, Sorting
from shared.regions import code_range
from shared.schemas.enums import EntityKind, RosterAction

R = table(RosterAdjustment)
E = table(Entity)
SORTING = Sorting(columns={"seq": R.c.seq}, tiebreak=R.c.id, default="seq")


@dataclass(frozen=True, slots=True)
class AdjustmentQuery:
    entity_id: uuid.UUID | None = None
    action: RosterAction | None = None
    kind: EntityKind | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    scope: str | None = None  # a region code: only adjustments from or to a region it covers


def _select() -> Select[Any]:
    return select(*R.c, E.c.kind.label("entity_kind")).select_from(R.join(E, E.c.id == R.c.entity_id))


def _in_scope(scope: str) -> Any:
    low, high = code_range(scope)
    return or_(R.c.to_region_code.between(low, high), R.c.from_region_code.between(low, high))


class RosterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest_effective_on(self, entity_id: uuid.UUID) -> dt.date | None:
        stmt = select(func.max(R.c.effective_on)).where(R.c.entity_id == entity_id)
        latest: dt.date | None = await self.session.scalar(stmt)
        return latest

    async def get(self, adjustment_id: uuid.UUID, scope: str | None) -> RowMapping | None:
        stmt = _select().where(R.c.id == adjustment_id)
        if scope is not None:
            stmt = stmt.where(_in_scope(scope))
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def list(self, query: AdjustmentQuery, page: PageRequest) -> tuple[Sequence[RowMapping], str]:
        """One page (plus one row to tell whether another follows) and the resolved sort key."""
        stmt = _select()
        if query.entity_id is not None:
            stmt = stmt.where(R.c.entity_id == query.entity_id)
        if query.action is not None:
            stmt = stmt.where(R.c.action == query.action.value)
        if query.kind is not None:
            stmt = stmt.where(E.c.kind == query.kind.value)
        if query.since is not None:
            stmt = stmt.where(R.c.effective_on >= query.since)
        if query.until is not None:
            stmt = stmt.where(R.c.effective_on <= query.until)
        if query.scope is not None:
            stmt = stmt.where(_in_scope(query.scope))
        stmt, key, _ = SORTING.apply(stmt, page)
        return (await self.session.execute(stmt)).mappings().all(), key
