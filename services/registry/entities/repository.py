"""Every query that writes entities: the entity row, its kind's row, links and child rows.

Returns rows or None; never commits and never raises HTTP errors.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import RowMapping, Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.entities.kinds import SIZE_METRICS, KindSpec
from services.registry.entities.queries import read_by_id
from services.registry.models import (
    Enterprise,
    Entity,
    MetricValue,
    Project,
    ProjectAnnualPlan,
    ProjectApproval,
    RosterAdjustment,
    enterprise_industry,
    entity_chain,
    entity_park,
    entity_person,
    table,
)

E = table(Entity)
LINKS: dict[str, tuple[Table, str]] = {
    "person_ids": (entity_person, "person_id"),
    "chain_ids": (entity_chain, "chain_id"),
    "park_ids": (entity_park, "park_id"),
}


class EntityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def read(self, spec: KindSpec, entity_id: uuid.UUID) -> RowMapping | None:
        result = await self.session.execute(read_by_id(spec), {"entity_id": entity_id})
        row: RowMapping | None = result.mappings().first()
        return row

    async def fetch(self, stmt: Any) -> Sequence[RowMapping]:
        return (await self.session.execute(stmt)).mappings().all()

    async def head(self, entity_id: uuid.UUID) -> RowMapping | None:
        """The entity row alone, locked for the rest of the transaction."""
        stmt = select(E).where(E.c.id == entity_id).with_for_update()
        return (await self.session.execute(stmt)).mappings().first()

    # ---- lookups used by validation ---------------------------------------------------------

    async def enterprise_by_uscc(self, uscc: str) -> RowMapping | None:
        stmt = (
            select(E.c.id, E.c.name)
            .join(Enterprise, col(Enterprise.entity_id) == E.c.id)
            .where(col(Enterprise.uscc) == uscc)
        )
        return (await self.session.execute(stmt)).mappings().first()

    async def project_by_code(self, code: str) -> RowMapping | None:
        stmt = (
            select(E.c.id, E.c.name)
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
            await self.session.execute(insert(t), [{"project_id": project_id, **a} for a in approvals])

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

    async def delete_entity(self, entity_id: uuid.UUID) -> None:
        await self.session.execute(delete(Entity).where(col(Entity.id) == entity_id))
