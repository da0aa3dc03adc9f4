"""Queries over metric values and their revisions. Returns rows or None; never commits, never raises HTTP."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, Select, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Entity, MetricValue, table
from shared.pagination import PageRequest, Sorting
from shared.regions import code_range
from shared.schemas.enums import MetricKind

M = table(MetricValue)
E = table(Entity)
SORTING = Sorting(columns={"id": M.c.id}, tiebreak=M.c.id, default="id")


@dataclass(frozen=True, slots=True)
class MetricQuery:
    entity_id: uuid.UUID | None = None
    metric: MetricKind | None = None
    year: int | None = None
    history: bool = False  # every revision, not only the latest of each period
    known_at: dt.datetime | None = None  # only revisions recorded by then (the latest of each, as it was)
    scope: str | None = None  # a region code: only entities in a region it covers


def _is_latest_revision(known_at: dt.datetime | None) -> Any:
    """No later revision of the period (none recorded by `known_at`, when given)."""
    newer = M.alias("newer")
    recorded = [] if known_at is None else [newer.c.recorded_at <= known_at]
    return ~(
        select(newer.c.id)
        .where(
            newer.c.entity_id == M.c.entity_id,
            newer.c.metric == M.c.metric,
            newer.c.year == M.c.year,
            newer.c.month == M.c.month,
            newer.c.revision > M.c.revision,
            *recorded,
        )
        .exists()
    )


class MetricRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def entity_region(self, entity_id: uuid.UUID) -> str | None:
        region: str | None = await self.session.scalar(select(E.c.region_code).where(E.c.id == entity_id))
        return region

    async def latest(self, entity_id: uuid.UUID, metric: MetricKind, year: int, month: int) -> RowMapping | None:
        """The current revision of one period (month 0 = the whole year)."""
        stmt = (
            select(M)
            .where(M.c.entity_id == entity_id, M.c.metric == metric.value, M.c.year == year, M.c.month == month)
            .order_by(M.c.revision.desc())
            .limit(1)
        )
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def insert(self, values: Mapping[str, Any]) -> RowMapping:
        stmt = insert(M).values(**values).returning(*M.c)
        return (await self.session.execute(stmt)).mappings().one()

    async def get(self, metric_id: int) -> RowMapping | None:
        """One value with its entity's region (for the caller's read scope)."""
        stmt = select(*M.c, E.c.region_code).join(E, E.c.id == M.c.entity_id).where(M.c.id == metric_id)
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def list(self, query: MetricQuery, page: PageRequest) -> tuple[Sequence[RowMapping], str]:
        """One page (plus one row to tell whether another follows) and the resolved sort key."""
        stmt: Select[Any] = select(M)
        if query.entity_id is not None:
            stmt = stmt.where(M.c.entity_id == query.entity_id)
        if query.metric is not None:
            stmt = stmt.where(M.c.metric == query.metric.value)
        if query.year is not None:
            stmt = stmt.where(M.c.year == query.year)
        if query.known_at is not None:
            stmt = stmt.where(M.c.recorded_at <= query.known_at)
        if not query.history:
            stmt = stmt.where(_is_latest_revision(query.known_at))
        if query.scope is not None:
            low, high = code_range(query.scope)
            stmt = stmt.join(E, E.c.id == M.c.entity_id).where(E.c.region_code.between(low, high))
        stmt, key, _ = SORTING.apply(stmt, page)
        return (await self.session.execute(stmt)).mappings().all(), key
