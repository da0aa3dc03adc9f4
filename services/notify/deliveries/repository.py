"""Queries over deliveries, their attempts and the subscribers they go to. Never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, and_, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.models import Delivery, DeliveryAttempt, Subscriber, table
from shared.leases import Lease
from shared.pagination import PageRequest, Sorting
from shared.regions import code_range
from shared.schemas.notify.enums import DeliveryStatus, EventType, SubscriberStatus

D = table(Delivery)
A = table(DeliveryAttempt)
S = table(Subscriber)
LEASE = Lease(D)
SORTING = Sorting(columns={"created_at": D.c.created_at}, tiebreak=D.c.id, default="-created_at")


@dataclass(frozen=True, slots=True)
class Addressing:
    """Whom an event reaches: subscribers in (or below) `regions`, of `departments`, following
    `topics`, or named in `subscribers`."""

    regions: Sequence[str] = ()
    departments: Sequence[str] = ()
    topics: Sequence[str] = ()
    subscribers: Sequence[uuid.UUID] = ()


def _wants(event_type: EventType) -> ColumnElement[bool]:
    return or_(func.cardinality(S.c.event_types) == 0, S.c.event_types.any_() == event_type.value)


def _head_of_line(now: dt.datetime) -> ColumnElement[bool]:
    """The subscriber's earliest due delivery, and none of its others held by a live lease: one
    delivery in flight per endpoint, in order, so a slow receiver holds up only itself."""
    other = D.alias("other")
    earlier = (
        select(other.c.id)
        .where(
            other.c.subscriber_id == D.c.subscriber_id,
            other.c.status == DeliveryStatus.pending.value,
            other.c.next_attempt_at <= now,
        )
        .order_by(other.c.next_attempt_at, other.c.id)
        .limit(1)
        .scalar_subquery()
    )
    leased = exists().where(
        other.c.subscriber_id == D.c.subscriber_id,
        other.c.id != D.c.id,
        other.c.lease_expires_at > now,
    )
    return and_(D.c.id == earlier, ~leased)


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def matching_subscribers(self, event_type: EventType, to: Addressing) -> Sequence[RowMapping]:
        reach: list[ColumnElement[bool]] = []
        for region in to.regions:
            low, high = code_range(region)
            reach.append(S.c.region_code.between(low, high))
        if to.departments:
            reach.append(S.c.department.in_(list(to.departments)))
        if to.topics:
            reach.append(S.c.topics.overlap(list(to.topics)))
        if to.subscribers:
            reach.append(S.c.id.in_(list(to.subscribers)))
        if not reach:
            return []
        stmt = (
            select(S.c.id)
            .where(S.c.status == SubscriberStatus.active.value, _wants(event_type), or_(*reach))
            .order_by(S.c.id)
        )
        return (await self.session.execute(stmt)).mappings().all()

    async def subscribers_delivered(self, circular_id: uuid.UUID, event_type: EventType) -> list[uuid.UUID]:
        stmt = (
            select(D.c.subscriber_id)
            .where(D.c.circular_id == circular_id, D.c.event_type == event_type.value)
            .distinct()
            .order_by(D.c.subscriber_id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
        if not rows:
            return []
        return list((await self.session.execute(insert(D).returning(D.c.id), list(rows))).scalars())

    async def insert(self, values: dict[str, Any]) -> RowMapping:
        return (await self.session.execute(insert(D).values(**values).returning(*D.c))).mappings().one()

    async def get(self, delivery_id: uuid.UUID) -> RowMapping | None:
        stmt = select(D).where(D.c.id == delivery_id)
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def with_subscriber(self, delivery_id: uuid.UUID) -> RowMapping | None:
        stmt = (
            select(
                *D.c,
                S.c.url,
                S.c.secrets,
                S.c.status.label("subscriber_status"),
                S.c.rate_limit_per_minute,
                S.c.failing_since,
                S.c.region_code,
                S.c.department,
            )
            .select_from(D.join(S, S.c.id == D.c.subscriber_id))
            .where(D.c.id == delivery_id)
        )
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def find(
        self, page: PageRequest, *, subscriber_ids: Sequence[uuid.UUID] | None, status: DeliveryStatus | None
    ) -> tuple[Sequence[RowMapping], str]:
        stmt = select(D)
        if subscriber_ids is not None:
            stmt = stmt.where(D.c.subscriber_id.in_(list(subscriber_ids)))
        if status is not None:
            stmt = stmt.where(D.c.status == status.value)
        stmt, key, _ = SORTING.apply(stmt, page)
        return (await self.session.execute(stmt)).mappings().all(), key

    async def attempts(self, delivery_id: uuid.UUID) -> Sequence[RowMapping]:
        stmt = select(A).where(A.c.delivery_id == delivery_id).order_by(A.c.attempt_no)
        return (await self.session.execute(stmt)).mappings().all()

    async def attempts_since(self, subscriber_id: uuid.UUID, since: dt.datetime) -> int:
        stmt = (
            select(func.count())
            .select_from(A.join(D, D.c.id == A.c.delivery_id))
            .where(D.c.subscriber_id == subscriber_id, A.c.attempted_at > since)
        )
        return int(await self.session.scalar(stmt) or 0)

    async def attempt_count(self, delivery_id: uuid.UUID) -> int:
        return int(await self.session.scalar(select(func.count()).where(A.c.delivery_id == delivery_id)) or 0)

    async def record_attempt(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(A).values(**values))

    async def update(
        self, delivery_id: uuid.UUID, values: dict[str, Any], *, owner: str | None = None
    ) -> RowMapping | None:
        """Change a delivery; with `owner`, only while that owner still holds its lease (else None)."""
        stmt = update(D).where(D.c.id == delivery_id)
        if owner is not None:
            stmt = stmt.where(D.c.lease_owner == owner)
        stmt = stmt.values(**values).returning(*D.c)
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def requeue(
        self,
        now: dt.datetime,
        *,
        delivery_id: uuid.UUID | None = None,
        subscriber_id: uuid.UUID | None = None,
        failed_since: dt.datetime | None = None,
    ) -> list[uuid.UUID]:
        """Put deliveries back in line, due now, with a fresh retry cycle (their webhook-id unchanged)."""
        stmt = update(D).values(status=DeliveryStatus.pending.value, attempts=0, next_attempt_at=now, delivered_at=None)
        if delivery_id is not None:
            stmt = stmt.where(D.c.id == delivery_id)
        if subscriber_id is not None:
            stmt = stmt.where(D.c.subscriber_id == subscriber_id, D.c.status == DeliveryStatus.failed.value)
        if failed_since is not None:
            stmt = stmt.where(D.c.created_at >= failed_since)
        return list((await self.session.execute(stmt.returning(D.c.id))).scalars())

    async def claim(self, *, owner: str, now: dt.datetime, duration: dt.timedelta, limit: int) -> list[RowMapping]:
        active = select(S.c.id).where(S.c.id == D.c.subscriber_id, S.c.status == SubscriberStatus.active.value)
        due = and_(
            D.c.status == DeliveryStatus.pending.value,
            D.c.next_attempt_at <= now,
            active.exists(),
            _head_of_line(now),
        )
        return await LEASE.claim(
            self.session, owner=owner, now=now, duration=duration, limit=limit, due=due, order_by=[D.c.next_attempt_at]
        )

    async def renew(self, keys: Sequence[uuid.UUID], *, owner: str, now: dt.datetime, duration: dt.timedelta) -> None:
        await LEASE.renew(self.session, keys, owner=owner, now=now, duration=duration)

    async def release(self, delivery_id: uuid.UUID, *, owner: str) -> bool:
        return await LEASE.release(self.session, delivery_id, owner=owner)
