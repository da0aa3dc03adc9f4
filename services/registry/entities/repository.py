"""Every query of entities: their reads and lists, the entity row, its kind's row, links and child rows.

Returns rows or None; never commits and never raises HTTP errors. The read statements themselves are
built in `entities.queries`; the GET-by-id lane runs the one for a single record outside any session.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import RowMapping, Select, Table, any_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.entities.kinds import SIZE_METRICS, EntityFilters, KindSpec
from services.registry.entities.links import scope_bounds
from services.registry.entities.queries import apply_filters, build_read_query, read_by_id
from services.registry.models import (
    Enterprise,
    Entity,
    MetricValue,
    Project,
    ProjectAnnualPlan,
    ProjectApproval,
    ProjectGreenChannel,
    RosterAdjustment,
    enterprise_industry,
    entity_chain,
    entity_park,
    entity_person,
    table,
)
from services.registry.pointintime import PointInTime, point_in_time
from shared.pagination import PageRequest

E = table(Entity)
LINKS: dict[str, tuple[Table, str]] = {
    "person_ids": (entity_person, "person_id"),
    "chain_ids": (entity_chain, "chain_id"),
    "park_ids": (entity_park, "park_id"),
}


@dataclass(frozen=True, slots=True)
class EntityQuery:
    """One list of a kind's records: the list's filters, within the caller's region scope, at a point in time."""

    filters: EntityFilters
    point: PointInTime  # `filters.as_of` and `known_at` resolved (`pointintime.point_in_time`)
    scope: str | None = None  # a region code: only records in a region it covers (on `as_of`, if given)
    today: dt.date | None = None  # the programme's date, for `approval_overdue`

    @classmethod
    def of(cls, filters: EntityFilters, scope: str | None, *, now: dt.datetime, zone: ZoneInfo) -> EntityQuery:
        """The query `filters` ask for at `now`; 422 for a `known_at` yet to come."""
        point = point_in_time(filters.as_of, filters.known_at, now=now, zone=zone)
        return cls(filters, point, scope, today=now.astimezone(zone).date())


def _filtered(spec: KindSpec, query: EntityQuery, *, backlinks: bool = True) -> tuple[Select[Any], Any]:
    point = query.point
    read = build_read_query(spec, point.as_of, backlinks=backlinks, known_at=point.known_at)
    return apply_filters(read.stmt, spec, query.filters, query.scope, query.today), read.sorting


def ordered(spec: KindSpec, query: EntityQuery) -> Select[Any]:
    """Every record `query` matches, in the order its `sort` names, unpaged (an export's rows).

    Built before it runs, so that an unknown `sort` is a 422 before a response starts streaming.
    """
    stmt, sorting = _filtered(spec, query, backlinks=False)
    ordered_stmt: Select[Any] = sorting.order(stmt, query.filters.sort)
    return ordered_stmt


def page_statement(spec: KindSpec, query: EntityQuery, page: PageRequest) -> tuple[Select[Any], str, str]:
    """One page's select (plus one row to tell whether another follows; it takes the scope's bounds,
    `links.scope_bounds`, at execution), the resolved sort key and the row attribute it sorts by."""
    stmt, sorting = _filtered(spec, query)
    stmt, key, column = sorting.apply(stmt, page)
    return stmt, key, column.key or "id"


class EntityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def read(self, spec: KindSpec, entity_id: uuid.UUID, scope: str | None) -> RowMapping | None:
        """The record in its API shape, its back-links counted within the read `scope` (None: everywhere)."""
        result = await self.session.execute(read_by_id(spec), {"entity_id": entity_id} | scope_bounds(scope))
        row: RowMapping | None = result.mappings().first()
        return row

    async def read_many(self, spec: KindSpec, ids: Sequence[uuid.UUID | str]) -> dict[uuid.UUID, RowMapping]:
        """Records by id in their API shape (as `read` gives them, but for back-links), in one statement;
        absent ids are left out."""
        read = build_read_query(spec, backlinks=False)
        stmt = read.stmt.where(E.c.id == any_(bindparam("ids", list(ids), type_=ARRAY(UUID))))
        return {row["id"]: row for row in (await self.session.execute(stmt)).mappings().all()}

    async def head(self, entity_id: uuid.UUID) -> RowMapping | None:
        """The entity row alone, locked for the rest of the transaction."""
        stmt = select(E).where(E.c.id == entity_id).with_for_update()
        return (await self.session.execute(stmt)).mappings().first()

    async def lock(self, entity_ids: Sequence[uuid.UUID]) -> None:
        """Lock the entity rows for the rest of the transaction, in id order (absent ids are skipped)."""
        ids = sorted(set(entity_ids))
        stmt = (
            select(E.c.id)
            .where(E.c.id == any_(bindparam("ids", ids, type_=ARRAY(UUID))))
            .order_by(E.c.id)
            .with_for_update()
        )
        await self.session.execute(stmt)

    # ---- lookups used by validation ---------------------------------------------------------

    async def enterprise_by_uscc(self, uscc: str) -> RowMapping | None:
        stmt = (
            select(E.c.id, E.c.name, E.c.region_code)
            .join(Enterprise, col(Enterprise.entity_id) == E.c.id)
            .where(col(Enterprise.uscc) == uscc)
        )
        return (await self.session.execute(stmt)).mappings().first()

    async def project_by_code(self, code: str) -> RowMapping | None:
        stmt = (
            select(E.c.id, E.c.name, E.c.region_code)
            .join(Project, col(Project.entity_id) == E.c.id)
            .where(col(Project.project_code) == code)
        )
        return (await self.session.execute(stmt)).mappings().first()

    async def has_history(self, entity_id: uuid.UUID) -> bool:
        """Metrics, or roster adjustments beyond the inclusion made at creation."""
        metrics = select(col(MetricValue.id)).where(col(MetricValue.entity_id) == entity_id).exists()
        adjustments = (
            select(func.count()).select_from(RosterAdjustment).where(col(RosterAdjustment.entity_id) == entity_id)
        ).scalar_subquery()
        return bool(await self.session.scalar(select(metrics | (adjustments > 1))))

    # ---- writes -------------------------------------------------------------------------------

    async def insert_entity(self, values: Mapping[str, Any]) -> RowMapping:
        stmt = insert(E).values(**values).returning(*E.c)
        return (await self.session.execute(stmt)).mappings().one()

    async def insert_kind_row(self, spec: KindSpec, values: Mapping[str, Any]) -> None:
        await self.session.execute(insert(spec.table).values(**values))

    async def update_entity(self, entity_id: uuid.UUID, expected_version: int, values: Mapping[str, Any]) -> bool:
        """Bump the version (and apply `values`) if still at `expected_version`; False when stale."""
        stmt = (
            update(E)
            .where(E.c.id == entity_id, E.c.version == expected_version)
            .values(**values, version=E.c.version + 1, updated_at=func.now())
            .returning(E.c.id)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def update_kind_row(self, spec: KindSpec, entity_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        if values:
            await self.session.execute(update(spec.table).where(spec.table.c.entity_id == entity_id).values(**values))

    async def replace_links(self, entity_id: uuid.UUID, field: str, ids: Sequence[uuid.UUID]) -> None:
        table, column = LINKS[field]
        await self.session.execute(delete(table).where(table.c.entity_id == entity_id))
        if ids:
            await self.session.execute(insert(table), [{"entity_id": entity_id, column: i} for i in dict.fromkeys(ids)])

    async def replace_enterprise_industries(self, entity_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
        t = enterprise_industry
        await self.session.execute(delete(t).where(t.c.enterprise_id == entity_id))
        if ids:
            await self.session.execute(
                insert(t), [{"enterprise_id": entity_id, "industry_id": i} for i in dict.fromkeys(ids)]
            )

    async def replace_annual_plans(self, project_id: uuid.UUID, plans: Sequence[Mapping[str, Any]]) -> None:
        t = table(ProjectAnnualPlan)
        await self.session.execute(delete(t).where(t.c.project_id == project_id))
        if plans:
            await self.session.execute(insert(t), [{"project_id": project_id, **p} for p in plans])

    async def replace_approvals(self, project_id: uuid.UUID, approvals: Sequence[Mapping[str, Any]]) -> None:
        t = table(ProjectApproval)
        await self.session.execute(delete(t).where(t.c.project_id == project_id))
        if approvals:
            # Every row names every column: an executemany takes its columns from the first row, so an
            # entry sent without its dates must not drop the dates of the entries after it.
            blank = {"applied_on": None, "approved_on": None, "document_no": None}
            await self.session.execute(insert(t), [{"project_id": project_id, **blank, **a} for a in approvals])

    async def enter_green_channel(
        self, project_id: uuid.UUID, *, by: str, by_name: str, at: dt.datetime, note: str | None
    ) -> None:
        """Put the project in the green channel; already in, it keeps who and when (and its note, unless
        `note` is given)."""
        g = table(ProjectGreenChannel)
        stmt = pg_insert(g).values(
            project_id=project_id, entered_at=at, entered_by=by, entered_by_name=by_name, note=note or ""
        )
        if note is None:
            stmt = stmt.on_conflict_do_nothing(index_elements=[g.c.project_id])
        else:
            stmt = stmt.on_conflict_do_update(index_elements=[g.c.project_id], set_={"note": stmt.excluded.note})
        await self.session.execute(stmt)

    async def leave_green_channel(self, project_id: uuid.UUID) -> None:
        g = table(ProjectGreenChannel)
        await self.session.execute(delete(g).where(g.c.project_id == project_id))

    async def set_green_channel_note(self, project_id: uuid.UUID, note: str) -> bool:
        """Change the note of a project in the green channel; False when it is not in it."""
        g = table(ProjectGreenChannel)
        stmt = update(g).where(g.c.project_id == project_id).values(note=note).returning(g.c.project_id)
        return (await self.session.execute(stmt)).first() is not None

    async def insert_adjustment(self, values: Mapping[str, Any]) -> RowMapping:
        stmt = insert(RosterAdjustment).values(**values).returning(*table(RosterAdjustment).c)
        return (await self.session.execute(stmt)).mappings().one()

    async def refresh_size(self, entity_id: uuid.UUID) -> None:
        """Copy the entity's latest annual revenue (else output) onto its row; see `Entity.size_value`."""
        m = table(MetricValue)
        latest = (
            select(m.c.metric, m.c.year, m.c.value)
            .where(m.c.entity_id == entity_id, m.c.month == 0, m.c.metric.in_(SIZE_METRICS))
            .order_by(m.c.year.desc(), m.c.metric.desc(), m.c.revision.desc())
            .limit(1)
            .subquery()
        )
        await self.session.execute(
            update(E)
            .where(E.c.id == entity_id)
            .values(
                size_metric=select(latest.c.metric).scalar_subquery(),
                size_year=select(latest.c.year).scalar_subquery(),
                size_value=select(latest.c.value).scalar_subquery(),
            )
        )

    async def version_of(self, entity_id: uuid.UUID) -> int | None:
        """The entity's current version, as committed now; None when it is gone."""
        version: int | None = await self.session.scalar(select(E.c.version).where(E.c.id == entity_id))
        return version

    async def delete_entity(self, entity_id: uuid.UUID, expected_version: int) -> bool:
        """Delete the entity if still at `expected_version`, in one statement; False when stale or gone."""
        stmt = delete(E).where(E.c.id == entity_id, E.c.version == expected_version).returning(E.c.id)
        return (await self.session.execute(stmt)).first() is not None
