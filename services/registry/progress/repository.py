"""Every query of targets and progress. Returns rows or None; never commits, never raises HTTP errors."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Numeric, RowMapping, Select, case, distinct, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.entities.kinds import SIZE_METRICS
from services.registry.entities.queries import approval_overdue
from services.registry.models import (
    Entity,
    MetricValue,
    Project,
    ProjectApproval,
    ProjectGreenChannel,
    RosterAdjustment,
    Target,
    entity_chain,
    table,
)
from services.registry.progress.rollup import LADDER
from shared.pagination import PageRequest, Sorting
from shared.repository import VersionedRepository
from shared.schemas.enums import ApprovalKind, Domain, EntityKind, Level, RosterStatus

T = table(Target)
E = table(Entity)
R = table(RosterAdjustment)
M = table(MetricValue)
P = table(Project)
A = table(ProjectApproval)
G = table(ProjectGreenChannel)

TARGET_SORTING = Sorting(
    columns={"year": T.c.year, "created_at": T.c.created_at, "updated_at": T.c.updated_at},
    tiebreak=T.c.id,
    default="year",
)


@dataclass(frozen=True, slots=True)
class TargetQuery:
    horizon: str | None = None
    year: int | None = None
    kind: EntityKind | None = None
    level: Level | None = None
    domain: Domain | None = None


@dataclass(frozen=True, slots=True)
class CubeQuery:
    as_of: dt.date
    # True when as_of is today or later: adjustments and metrics are never dated ahead, so the
    # entity rows' own state and size are then exactly the state as of that date.
    current: bool = False
    # Only adjustments and metric revisions recorded by this moment count (None: all recorded so far).
    known_at: dt.datetime | None = None
    region_ranges: tuple[tuple[str, str], ...] = ()  # inclusive code ranges an entity's region must lie in (all)
    level: Level | None = None
    domain: Domain | None = None
    chain_id: uuid.UUID | None = None


def _targets(query: TargetQuery) -> Select[Any]:
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (T.c.horizon, query.horizon),
        (T.c.year, query.year),
        (T.c.kind, query.kind),
        (T.c.level, query.level),
        (T.c.domain, query.domain),
    ):
        if value is not None:
            conditions.append(column == value)
    return select(T).where(*conditions)


class TargetRepository(VersionedRepository):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, T)

    async def list(self, query: TargetQuery, page: PageRequest) -> tuple[Sequence[RowMapping], str, str]:
        """One page (plus one row to tell whether another follows), the resolved sort key and its column."""
        stmt, key, column = TARGET_SORTING.apply(_targets(query), page)
        return await self.fetch(stmt), key, column.key or "id"

    async def for_progress(
        self, horizon: str | None, level: Level | None, domain: Domain | None
    ) -> Sequence[RowMapping]:
        stmt = _targets(TargetQuery(horizon=horizon, level=level, domain=domain)).order_by(
            T.c.year, T.c.horizon, T.c.kind, T.c.level, T.c.tier, T.c.domain.nulls_first(), T.c.id
        )
        return await self.fetch(stmt)

    async def same_goal(
        self, *, horizon: str, kind: str, level: str, tier: str, domain: str | None
    ) -> RowMapping | None:
        """A target already set for this period, kind, level, tier and domain (or for all domains)."""
        stmt = select(T).where(
            T.c.horizon == horizon,
            T.c.kind == kind,
            T.c.level == level,
            T.c.tier == tier,
            T.c.domain.is_not_distinct_from(domain),
        )
        return (await self.session.execute(stmt.limit(1))).mappings().first()


def cube_statement(query: CubeQuery) -> Select[Any]:
    """Listed entities counted by kind, level, domain, target tier and size bucket, in one statement.

    Both "latest" lookups are DISTINCT ON passes over the whole table in entity order (index-only
    and without a sort, thanks to the covering indexes of migration 0003), joined to the entities
    once: a LATERAL lookup per entity, as the entity reads use, costs about five times as much at
    120,000 entities. The roster status is counted with FILTER rather than filtered in WHERE: the
    planner cannot estimate a condition on a DISTINCT ON result and, guessing a few hundred rows,
    would pick nested loops over all of them.
    """
    if query.current:
        return _current_cube(query)
    state = (
        select(
            R.c.entity_id,
            R.c.to_level.label("level"),
            R.c.to_region_code.label("region_code"),
            R.c.to_tier.label("tier"),
            R.c.status_after.label("status"),
        )
        .where(R.c.effective_on <= query.as_of, *_recorded_by(R.c.created_at, query.known_at))
        .ext(distinct_on(R.c.entity_id))
        .order_by(R.c.entity_id, R.c.effective_on.desc(), R.c.seq.desc())
        .subquery("roster_state")
    )
    latest = (
        select(M.c.entity_id, M.c.value)
        .where(
            M.c.month == 0,
            M.c.year <= query.as_of.year,
            M.c.metric.in_(SIZE_METRICS),
            *_recorded_by(M.c.recorded_at, query.known_at),
        )
        .ext(distinct_on(M.c.entity_id))
        .order_by(M.c.entity_id, M.c.year.desc(), M.c.metric.desc(), M.c.revision.desc())
        .subquery("latest_annual")
    )
    bucket = _bucket(case((E.c.kind == EntityKind.project.value, P.c.total_investment), else_=latest.c.value))
    listed = func.count().filter(state.c.status == RosterStatus.listed.value)
    conditions = _conditions(query, state.c.level, state.c.region_code)
    keys = (E.c.kind, state.c.level, E.c.domain, state.c.tier, bucket)
    return (
        select(*keys[:4], bucket.label("bucket"), listed.label("listed"))
        .select_from(
            E.join(state, state.c.entity_id == E.c.id)
            .outerjoin(P, P.c.entity_id == E.c.id)
            .outerjoin(latest, latest.c.entity_id == E.c.id)
        )
        .where(*conditions)
        .group_by(*keys)
        .having(listed > 0)
    )


def _recorded_by(column: Any, known_at: dt.datetime | None) -> list[ColumnElement[bool]]:
    return [] if known_at is None else [column <= known_at]


# `LADDER` written into the statement rather than bound: the cube's extended statistics (migration 0011)
# are on this very expression, and a bound array would not match it in a generic plan.
LADDER_SQL = "ARRAY[" + ", ".join(str(bound) for bound in LADDER) + "]::numeric[]"


def _bucket(size: Any) -> ColumnElement[Any]:
    """Where `size` falls on `LADDER` (see `rollup.bucket_floor`)."""
    return func.width_bucket(size, literal_column(LADDER_SQL, ARRAY(Numeric())))


def _conditions(query: CubeQuery, level: Any, region: Any) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [region.between(low, high) for low, high in query.region_ranges]
    if query.level is not None:
        conditions.append(level == query.level.value)
    if query.domain is not None:
        conditions.append(E.c.domain == query.domain.value)
    if query.chain_id is not None:
        conditions.append(
            select(entity_chain.c.entity_id)
            .where(entity_chain.c.entity_id == E.c.id, entity_chain.c.chain_id == query.chain_id)
            .exists()
        )
    return conditions


def _current_cube(query: CubeQuery) -> Select[Any]:
    """The same cube from the entity rows alone, in one scan of `entity`, no history passes.

    Every entity carries its current size on its row (`Entity.size_value`): industries and enterprises
    their latest annual size, projects their total investment.
    """
    bucket = _bucket(E.c.size_value)
    keys = (E.c.kind, E.c.level, E.c.domain, E.c.target_tier, bucket)
    return (
        select(*keys[:3], E.c.target_tier.label("tier"), bucket.label("bucket"), func.count().label("listed"))
        .where(E.c.roster_status == RosterStatus.listed.value, *_conditions(query, E.c.level, E.c.region_code))
        .group_by(*keys)
    )


def green_channel_statement(query: CubeQuery, today: dt.date) -> Select[Any]:
    """Listed projects in the green channel, those with an approval overdue on `today`, and the overdue
    approvals by kind, within the cube's filters, in one statement over the entity rows."""
    overdue = approval_overdue(A, today)
    by_kind = [func.count(A.c.kind).filter(overdue, A.c.kind == kind.value).label(kind.value) for kind in ApprovalKind]
    counts: list[Any] = [
        func.count(distinct(E.c.id)).label("projects"),
        func.count(distinct(E.c.id)).filter(overdue).label("projects_approval_overdue"),
        *by_kind,
    ]
    return (
        select(*counts)
        .select_from(E.join(G, G.c.project_id == E.c.id).outerjoin(A, A.c.project_id == E.c.id))
        .where(
            E.c.kind == EntityKind.project.value,
            E.c.roster_status == RosterStatus.listed.value,
            *_conditions(query, E.c.level, E.c.region_code),
        )
    )


class ProgressRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def green_channel(self, query: CubeQuery, today: dt.date) -> RowMapping:
        row: RowMapping = (await self.session.execute(green_channel_statement(query, today))).mappings().one()
        return row

    async def standing_cube(self, query: CubeQuery) -> Sequence[RowMapping]:
        rows: Sequence[RowMapping] = (await self.session.execute(cube_statement(query))).mappings().all()
        return rows
