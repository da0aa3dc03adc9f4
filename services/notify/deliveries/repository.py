"""Queries over deliveries, their attempts and the subscribers they go to. Never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, and_, case, func, insert, or_, select, text, true, update
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


QUEUED = (DeliveryStatus.pending.value, DeliveryStatus.sending.value, DeliveryStatus.retrying.value)
WAITING = (DeliveryStatus.pending.value, DeliveryStatus.retrying.value)

# One batch of attempts recorded: each delivery's new state and its attempt row, only where this
# process still holds the lease, and the subscribers' failure streaks where they change.
RECORD_ATTEMPTS = f"""
WITH v AS (
    SELECT * FROM unnest(
        CAST(:id AS uuid[]), CAST(:at AS timestamptz[]), CAST(:status AS text[]),
        CAST(:next_attempt_at AS timestamptz[]), CAST(:status_code AS smallint[]), CAST(:latency_ms AS integer[]),
        CAST(:outcome AS text[]), CAST(:error_code AS text[]), CAST(:error_message AS text[]),
        CAST(:response_excerpt AS text[])
    ) AS v(id, at, status, next_attempt_at, status_code, latency_ms, outcome, error_code, error_message,
           response_excerpt)
), done AS (
    UPDATE {D.fullname} d SET
        status = v.status,
        attempts = d.attempts + 1,
        last_attempt_at = v.at,
        next_attempt_at = coalesce(v.next_attempt_at, d.next_attempt_at),
        delivered_at = CASE WHEN v.status = 'delivered' THEN v.at ELSE d.delivered_at END,
        last_error = v.error_message,
        lease_owner = NULL,
        lease_expires_at = NULL
    FROM v
    WHERE d.id = v.id AND d.lease_owner = :owner AND d.status = 'sending'
    RETURNING d.id, d.subscriber_id
), logged AS (
    INSERT INTO {A.fullname} (delivery_id, attempt_no, attempted_at, status_code, latency_ms, outcome, error_code,
                              error_message, response_excerpt)
    SELECT v.id,
           coalesce((SELECT max(a.attempt_no) FROM {A.fullname} a WHERE a.delivery_id = v.id), 0) + 1,
           v.at, v.status_code, v.latency_ms, v.outcome, v.error_code, v.error_message, v.response_excerpt
    FROM v JOIN done ON done.id = v.id
), streak AS (
    UPDATE {S.fullname} s SET
        failing_since = CASE WHEN v.status = 'delivered' THEN NULL ELSE coalesce(s.failing_since, v.at) END
    FROM v JOIN done ON done.id = v.id
    WHERE s.id = done.subscriber_id AND (v.status = 'delivered') = (s.failing_since IS NOT NULL)
)
SELECT id FROM done
"""  # noqa: S608 (table names only)

# Deliveries put back in line without an attempt (a subscriber over its rate), due again later.
DEFER = f"""
UPDATE {D.fullname} d SET
    next_attempt_at = v.next_attempt_at,
    status = CASE WHEN d.attempts = 0 THEN 'pending' ELSE 'retrying' END,
    lease_owner = NULL,
    lease_expires_at = NULL
FROM unnest(CAST(:id AS uuid[]), CAST(:next_attempt_at AS timestamptz[])) AS v(id, next_attempt_at)
WHERE d.id = v.id AND d.lease_owner = :owner AND d.status = 'sending'
RETURNING d.id
"""  # noqa: S608 (table names only)


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One attempt's outcome as the batch statement takes it: the delivery's new status, when the
    next attempt is due (None: unchanged), and the attempt's log row."""

    delivery_id: uuid.UUID
    at: dt.datetime
    status: DeliveryStatus
    next_attempt_at: dt.datetime | None
    status_code: int | None
    latency_ms: int
    outcome: str
    error_code: str | None
    error_message: str | None
    response_excerpt: str


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

    async def claim(
        self, *, owner: str, now: dt.datetime, duration: dt.timedelta, limit: int, rate_since: dt.datetime
    ) -> list[RowMapping]:
        """Lease up to `limit` deliveries to `owner`, marking them `sending`: of each active subscriber
        with none in flight, its earliest due delivery (one index probe per subscriber, however long
        its backlog), the earliest due first. A `sending` delivery whose lease expired (its process
        died) is taken again as it stands. Returns each with what sending it needs: the subscriber's
        URL and secrets and, for a rate-limited one, its attempts since `rate_since`.

        The row conditions are repeated on the locked row itself, so a claim racing another replica's
        (committed after this statement's snapshot) skips what that one took."""
        queue = D.alias("queue")
        head = (
            select(queue.c.id, queue.c.next_attempt_at)
            .where(queue.c.subscriber_id == S.c.id, queue.c.status.in_(QUEUED), queue.c.next_attempt_at <= now)
            .order_by(queue.c.next_attempt_at, queue.c.id)
            .limit(1)
            .lateral("head")
        )
        flight = D.alias("flight")
        in_flight = (
            select(flight.c.id)
            .where(
                flight.c.subscriber_id == S.c.id,
                flight.c.status == DeliveryStatus.sending.value,
                flight.c.lease_expires_at > now,
            )
            .exists()
        )
        heads = (
            select(head.c.id)
            .select_from(S.join(head, true()))
            .where(S.c.status == SubscriberStatus.active.value, ~in_flight)
            .order_by(head.c.next_attempt_at, head.c.id)
            .limit(limit)
        )
        candidate = D.alias("candidate")
        claimable = (
            select(candidate.c.id)
            .where(
                candidate.c.id.in_(heads),
                candidate.c.next_attempt_at <= now,
                or_(
                    candidate.c.status.in_(WAITING),
                    and_(
                        candidate.c.status == DeliveryStatus.sending.value,
                        or_(candidate.c.lease_expires_at.is_(None), candidate.c.lease_expires_at < now),
                    ),
                ),
            )
            .with_for_update(skip_locked=True, of=candidate)
        )
        sent = D.alias("sent")
        recent = (
            select(func.count())
            .select_from(A.join(sent, sent.c.id == A.c.delivery_id))
            .where(sent.c.subscriber_id == S.c.id, A.c.attempted_at > rate_since)
            .scalar_subquery()
        )
        stmt = (
            update(D)
            .where(D.c.id.in_(claimable.scalar_subquery()), S.c.id == D.c.subscriber_id)
            .values(status=DeliveryStatus.sending.value, lease_owner=owner, lease_expires_at=now + duration)
            .returning(
                D.c.id,
                D.c.subscriber_id,
                D.c.webhook_id,
                D.c.payload,
                D.c.attempts,
                S.c.url,
                S.c.secrets,
                S.c.rate_limit_per_minute,
                S.c.failing_since,
                S.c.region_code,
                S.c.department,
                case((S.c.rate_limit_per_minute.is_not(None), recent), else_=0).label("recent_attempts"),
            )
        )
        return list((await self.session.execute(stmt)).mappings())

    async def record_attempts(self, records: Sequence[AttemptRecord], *, owner: str) -> set[uuid.UUID]:
        """Record a batch of attempts (see `RECORD_ATTEMPTS`); returns the deliveries recorded, those
        whose lease `owner` still held. One statement: it may run on its own, without a transaction."""
        if not records:
            return set()
        params: dict[str, Any] = {
            "owner": owner,
            "id": [r.delivery_id for r in records],
            "at": [r.at for r in records],
            "status": [r.status.value for r in records],
            "next_attempt_at": [r.next_attempt_at for r in records],
            "status_code": [r.status_code for r in records],
            "latency_ms": [r.latency_ms for r in records],
            "outcome": [r.outcome for r in records],
            "error_code": [r.error_code for r in records],
            "error_message": [r.error_message for r in records],
            "response_excerpt": [r.response_excerpt for r in records],
        }
        return set((await self.session.execute(text(RECORD_ATTEMPTS), params)).scalars())

    async def defer(self, due: Sequence[tuple[uuid.UUID, dt.datetime]], *, owner: str) -> set[uuid.UUID]:
        """Put claimed deliveries back in line, due at the given times, without an attempt."""
        if not due:
            return set()
        params = {"owner": owner, "id": [d for d, _ in due], "next_attempt_at": [at for _, at in due]}
        return set((await self.session.execute(text(DEFER), params)).scalars())

    async def renew(self, keys: Sequence[uuid.UUID], *, owner: str, now: dt.datetime, duration: dt.timedelta) -> None:
        await LEASE.renew(self.session, keys, owner=owner, now=now, duration=duration)
