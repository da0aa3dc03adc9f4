"""Queries over dispatch plans, including the ticker's claim. Returns rows or None; never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, and_, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.models import Plan, Round, table
from services.scheduler.rounds.repository import overlapping
from shared.leases import Lease
from shared.pagination import PageRequest, Sorting

P = table(Plan)
R = table(Round)
LEASE = Lease(P)
SORTING = Sorting(
    columns={"name": P.c.name, "created_at": P.c.created_at, "updated_at": P.c.updated_at},
    tiebreak=P.c.id,
    default="-updated_at",
)


@dataclass(frozen=True, slots=True)
class PlanQuery:
    status: str | None = None
    owner_department: str | None = None
    scope: str | None = None


class PlanRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, values: dict[str, Any]) -> RowMapping:
        return (await self.session.execute(insert(P).values(**values).returning(*P.c))).mappings().one()

    async def get(self, plan_id: uuid.UUID, *, lock: bool = False) -> RowMapping | None:
        stmt = select(P).where(P.c.id == plan_id)
        if lock:
            stmt = stmt.with_for_update()
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def update(self, plan_id: uuid.UUID, version: int, values: dict[str, Any]) -> RowMapping | None:
        """The changed row, or None when the plan is not at `version` (one statement: one winner)."""
        stmt = (
            update(P)
            .where(P.c.id == plan_id, P.c.version == version)
            .values(**values, version=P.c.version + 1, updated_at=func.now())
            .returning(*P.c)
        )
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def set_ticks(self, plan_id: uuid.UUID, values: dict[str, Any]) -> None:
        """The ticker's bookkeeping (`last_tick_at`, `next_tick_at`): not an edit, so no new version."""
        await self.session.execute(update(P).where(P.c.id == plan_id).values(**values))

    async def delete(self, plan_id: uuid.UUID, version: int) -> bool:
        stmt = delete(P).where(P.c.id == plan_id, P.c.version == version).returning(P.c.id)
        return (await self.session.execute(stmt)).first() is not None

    async def has_history(self, plan_id: uuid.UUID) -> bool:
        """Whether any round of the plan was ever opened (scheduled rounds are not history)."""
        stmt = select(R.c.id).where(R.c.plan_id == plan_id, R.c.state != "scheduled").limit(1)
        return (await self.session.execute(stmt)).first() is not None

    async def list(self, query: PlanQuery, page: PageRequest) -> tuple[Sequence[RowMapping], str]:
        stmt = select(P)
        if query.status is not None:
            stmt = stmt.where(P.c.status == query.status)
        if query.owner_department is not None:
            stmt = stmt.where(P.c.owner_department == query.owner_department)
        if query.scope is not None:
            stmt = stmt.where(overlapping(P.c.region_code, query.scope))
        stmt, key, _ = SORTING.apply(stmt, page)
        return (await self.session.execute(stmt)).mappings().all(), key

    async def active(self) -> Sequence[RowMapping]:
        """Every active plan, locked: a calendar change recomputes their scheduled rounds."""
        stmt = select(P).where(P.c.status == "active").order_by(P.c.id).with_for_update()
        return (await self.session.execute(stmt)).mappings().all()

    async def claim_due(
        self, *, owner: str, now: dt.datetime, duration: dt.timedelta, limit: int
    ) -> Sequence[RowMapping]:
        due = and_(P.c.status == "active", P.c.next_tick_at <= now)
        return await LEASE.claim(
            self.session, owner=owner, now=now, duration=duration, limit=limit, due=due, order_by=[P.c.next_tick_at]
        )

    async def renew(self, ids: Sequence[uuid.UUID], *, owner: str, now: dt.datetime, duration: dt.timedelta) -> None:
        await LEASE.renew(self.session, ids, owner=owner, now=now, duration=duration)

    async def release(self, plan_id: uuid.UUID, *, owner: str) -> None:
        await LEASE.release(self.session, plan_id, owner=owner)
