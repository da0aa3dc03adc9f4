"""Queries of the roster feed's follower: its cursor row, the open rounds it keeps, their tasks.
Returns rows or None; never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import RowMapping, case, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.models import FeedCursor, Plan, ReportTask, Round, table
from shared.leases import Lease
from shared.schemas.scheduler.enums import RoundState, TaskState

FEED = "registry"  # the registry's change feed, the one feed followed so far
F = table(FeedCursor)
R = table(Round)
P = table(Plan)
T = table(ReportTask)
LEASE = Lease(F, key="feed")
# A task leaves its round with its entity only while nothing filed awaits review or stands accepted.
WITHDRAWABLE = (TaskState.pending.value, TaskState.returned.value)


class FeedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, feed: str, *, owner: str, now: dt.datetime, duration: dt.timedelta) -> int | None:
        """The feed's position, leased to `owner`; None while another replica's lease on it is live."""
        rows = await LEASE.claim(self.session, owner=owner, now=now, duration=duration, limit=1, due=F.c.feed == feed)
        return int(rows[0]["position"]) if rows else None

    async def advance(
        self, feed: str, *, owner: str, start: int, to: int, events: int, now: dt.datetime, duration: dt.timedelta
    ) -> bool:
        """Move the position from `start` to `to` if `owner` still holds the lease and nobody moved it:
        False means another replica took the feed over, and this batch must not be applied."""
        stmt = (
            update(F)
            .where(F.c.feed == feed, F.c.lease_owner == owner, F.c.position == start)
            .values(
                position=to,
                events_seen=F.c.events_seen + events,
                lease_expires_at=now + duration,
                updated_at=func.now(),
            )
            .returning(F.c.feed)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def release(self, feed: str, *, owner: str) -> None:
        await LEASE.release(self.session, feed, owner=owner)

    async def position(self, feed: str) -> int | None:
        position: int | None = await self.session.scalar(select(F.c.position).where(F.c.feed == feed))
        return position

    async def rewind(self, feed: str, to: int) -> None:
        """Never past `to`: events after it are read again (applying them is idempotent)."""
        await self.session.execute(
            update(F).where(F.c.feed == feed, F.c.position > to).values(position=to, updated_at=func.now())
        )

    async def open_rounds(self, *, lock: bool = False) -> Sequence[RowMapping]:
        """Every open round with what its plan's scope needs; `lock` holds them open until commit."""
        stmt = (
            select(
                R.c.id,
                R.c.plan_id,
                R.c.period_key,
                R.c.due_at,
                P.c.scope,
                P.c.region_code.label("plan_region_code"),
                P.c.template_versions,
            )
            .select_from(R.join(P, P.c.id == R.c.plan_id))
            .where(R.c.state == RoundState.open.value)
            .order_by(R.c.opens_at, R.c.id)
        )
        if lock:
            stmt = stmt.with_for_update(of=R, read=True)
        return (await self.session.execute(stmt)).mappings().all()

    async def tasks_of(
        self, round_ids: Collection[uuid.UUID], entity_ids: Collection[uuid.UUID]
    ) -> Sequence[RowMapping]:
        if not round_ids or not entity_ids:
            return []
        stmt = select(T.c.id, T.c.round_id, T.c.entity_id, T.c.state).where(
            T.c.round_id.in_(round_ids), T.c.entity_id.in_(entity_ids)
        )
        return (await self.session.execute(stmt)).mappings().all()

    async def add_task(self, values: dict[str, Any]) -> RowMapping | None:
        """The new task, or None when the round already has one for the entity."""
        stmt = (
            insert(T).values(**values).on_conflict_do_nothing(index_elements=["round_id", "entity_id"]).returning(*T.c)
        )
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def rejoin(self, round_id: uuid.UUID, entity_id: uuid.UUID, snapshot: dict[str, Any]) -> RowMapping | None:
        """A withdrawn task back in its round with the entity as it stands now: pending, or returned
        when it had been filed (its filings are kept). None when it was not withdrawn."""
        stmt = (
            update(T)
            .where(T.c.round_id == round_id, T.c.entity_id == entity_id, T.c.state == TaskState.withdrawn.value)
            .values(
                **snapshot,
                state=case((T.c.submission_count == 0, TaskState.pending.value), else_=TaskState.returned.value),
                withdrawn_at=None,
                version=T.c.version + 1,
                updated_at=func.now(),
            )
            .returning(*T.c)
        )
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def withdraw(self, round_id: uuid.UUID, entity_id: uuid.UUID, now: dt.datetime) -> RowMapping | None:
        """The task withdrawn, or None when it was already filed (or gone): a filed report stays."""
        stmt = (
            update(T)
            .where(T.c.round_id == round_id, T.c.entity_id == entity_id, T.c.state.in_(WITHDRAWABLE))
            .values(state=TaskState.withdrawn.value, withdrawn_at=now, version=T.c.version + 1, updated_at=func.now())
            .returning(*T.c)
        )
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row
