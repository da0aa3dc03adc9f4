"""The delivery loop: claim due deliveries under a lease, send each, record the attempts in batches.

One tick (`run_once(now)`):

    claim     in one statement, of each active subscriber with nothing in flight, its earliest due
              delivery, leased to this process and marked `sending` (with what sending needs:
              the subscriber's URL, secrets, rate limit)
    process   each claimed delivery, concurrently: rate limit checked, signed at `now` with every
              active secret of the subscriber (its `webhook-id` the same on every attempt), sent
              by `WebhookSender`, and its outcome handed to the `GroupCommit` of attempts:
                2xx        delivered; the subscriber's failure streak ends
                410        failed; the subscriber is disabled (`endpoint.disabled`)
                otherwise  retrying, the next attempt scheduled by `RetrySchedule` (Retry-After
                           honoured), or failed once every attempt is spent; a subscriber failing
                           without a success for five days is disabled (`endpoint.disabled`)
    record    the outcomes that arrived while the previous batch was being written, in one
              transaction: each delivery's new state with its attempt row (set-wise statements,
              only where this process still holds the lease), failure streaks, disablings; an
              item's `process` returns once its own outcome is committed

A slow receiver holds one slot and only its own queue: each subscriber has at most one delivery in
flight, and `WebhookSender` caps connections per host.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.deliveries.batching import GroupCommit
from services.notify.deliveries.repository import AttemptRecord, DeliveryRepository
from services.notify.delivery import AttemptResult, WebhookSender
from services.notify.events.repository import record_event
from services.notify.outbound import OutboundPolicy
from services.notify.retry_schedule import RetrySchedule, should_disable_endpoint
from services.notify.settings import Settings
from services.notify.signing import SigningSecret, sign
from services.notify.subscribers.repository import SubscriberRepository
from shared.app import Platform
from shared.loops import Clock, WorkerService, utc_now
from shared.schemas.notify.enums import DeliveryStatus, EventType

log = logging.getLogger("wanqianbai.notify.deliveries")
RATE_WINDOW = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery leased to this process, with what sending it needs; `now` is the tick's clock:
    the attempt is signed, timed and scheduled from it."""

    id: uuid.UUID
    now: dt.datetime
    subscriber_id: uuid.UUID
    webhook_id: str
    payload: bytes
    attempts: int
    url: str
    secrets: list[dict[str, Any]]
    rate_limit_per_minute: int | None
    recent_attempts: int
    failing_since: dt.datetime | None
    region_code: str
    department: str | None

    def __str__(self) -> str:  # what a failure's log line names: never the secrets or the payload
        return f"delivery {self.id}"


@dataclass(frozen=True, slots=True)
class Deferred:
    """A delivery put back in line without an attempt (its subscriber is over its rate)."""

    item: ClaimedDelivery
    due: dt.datetime


@dataclass(frozen=True, slots=True)
class Attempted:
    item: ClaimedDelivery
    result: AttemptResult
    record: AttemptRecord
    disable: str | None  # why the subscriber is to be disabled, if it is


Outcome = Deferred | Attempted


def secrets_of(stored: Sequence[dict[str, Any]]) -> list[SigningSecret]:
    return [
        SigningSecret(s["value"], dt.datetime.fromisoformat(s["expires_at"]) if s.get("expires_at") else None)
        for s in stored
    ]


class DeliveryWorker(WorkerService[ClaimedDelivery]):
    name = "deliveries"

    def __init__(
        self,
        settings: Settings,
        policy: OutboundPolicy,
        *,
        clock: Clock = utc_now,
        schedule: RetrySchedule | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(clock=clock)
        self.interval_s = settings.delivery_interval_s
        # Requests in flight at once; as many deliveries again may be in hand, claimed ahead (so a
        # freed slot starts its next request without waiting for a claim) or being recorded.
        self.sending = settings.delivery_concurrency
        self.concurrency = 2 * settings.delivery_concurrency
        self._slots = asyncio.Semaphore(self.sending)
        self.lease_s = settings.delivery_lease_s
        self.timeout_s = settings.delivery_timeout_s
        self.policy = policy
        self.schedule = schedule or RetrySchedule()
        self.rng = rng
        self._sender: WebhookSender | None = None
        self._outcomes: Counter | None = None
        self._outcomes_log: GroupCommit[Outcome] = GroupCommit(self._write)

    @property
    def lease_duration(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.lease_s)

    @property
    def sender(self) -> WebhookSender:
        if self._sender is None:
            raise RuntimeError("the delivery loop's sender is open only while the app runs")
        return self._sender

    @asynccontextmanager
    async def lifespan(self, platform: Platform[Any, Any]) -> AsyncIterator[None]:
        """Open the sender's connection pool, then run the loop (unless loops are off)."""
        self._outcomes = Counter(
            "notify_delivery_attempts_total",
            "Webhook delivery attempts by outcome",
            ["outcome"],
            registry=platform.metrics.registry,
        )
        async with WebhookSender(self.policy, timeout_s=self.timeout_s, limit=max(100, self.sending)) as sender:
            self._sender = sender
            try:
                async with super().lifespan(platform):
                    yield
            finally:
                self._sender = None

    async def claim(self, now: dt.datetime, limit: int) -> Sequence[ClaimedDelivery]:
        async with self._statement() as session:
            rows = await DeliveryRepository(session).claim(
                owner=self.owner, now=now, duration=self.lease_duration, limit=limit, rate_since=now - RATE_WINDOW
            )
        return [
            ClaimedDelivery(
                id=row["id"],
                now=now,
                subscriber_id=row["subscriber_id"],
                webhook_id=row["webhook_id"],
                payload=row["payload"],
                attempts=row["attempts"],
                url=row["url"],
                secrets=row["secrets"],
                rate_limit_per_minute=row["rate_limit_per_minute"],
                recent_attempts=row["recent_attempts"],
                failing_since=row["failing_since"],
                region_code=row["region_code"],
                department=row["department"],
            )
            for row in rows
        ]

    @asynccontextmanager
    async def _statement(self) -> AsyncIterator[AsyncSession]:
        """A session for a unit of work that is one statement: on a connection in autocommit mode, so
        the statement is its own transaction, without the round trips of BEGIN and COMMIT. (In the
        test harness, every unit of work is a savepoint of the test's transaction, as usual.)"""
        database = self.platform.database
        if database.connection is not None:
            async with database.sessionmaker.begin() as session:
                yield session
            return
        async with database.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            async with AsyncSession(bind=connection) as session:
                yield session

    async def renew(self, items: Sequence[ClaimedDelivery], now: dt.datetime) -> None:
        async with self.platform.sessionmaker.begin() as session:
            await DeliveryRepository(session).renew(
                [i.id for i in items], owner=self.owner, now=now, duration=self.lease_duration
            )

    async def process(self, item: ClaimedDelivery) -> None:
        now = item.now
        limit = item.rate_limit_per_minute
        if limit is not None and item.recent_attempts >= limit:
            # Over its rate: wait, without spending an attempt.
            await self._outcomes_log.submit(Deferred(item, now + RATE_WINDOW / limit))
            return
        headers = sign(item.webhook_id, item.payload, secrets_of(item.secrets), now)
        async with self._slots:
            result = await self.sender.send(item.url, headers, item.payload)
        await self._outcomes_log.submit(self._judge(item, result))

    def _judge(self, item: ClaimedDelivery, result: AttemptResult) -> Attempted:
        """What an attempt's result makes of the delivery and its subscriber."""
        now = item.now
        attempts = item.attempts + 1
        disable: str | None = None
        next_attempt_at: dt.datetime | None = None
        if result.succeeded:
            status = DeliveryStatus.delivered
        elif result.gone:
            status = DeliveryStatus.failed
            disable = "接收端返回 410 Gone"
        else:
            retry_after = dt.timedelta(seconds=result.retry_after_s) if result.retry_after_s else None
            next_attempt_at = self.schedule.next_attempt_at(attempts, now, retry_after, rng=self.rng)
            status = DeliveryStatus.failed if next_attempt_at is None else DeliveryStatus.retrying
            if should_disable_endpoint(item.failing_since or now, now):
                disable = "接收端连续 5 天投递失败"
        record = AttemptRecord(
            delivery_id=item.id,
            at=now,
            status=status,
            next_attempt_at=next_attempt_at,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            outcome=result.outcome.value,
            error_code=result.error_code.value if result.error_code else None,
            error_message=result.error_message,
            response_excerpt=result.response_excerpt,
        )
        return Attempted(item, result, record, disable)

    async def _write(self, outcomes: Sequence[Outcome]) -> None:
        """One batch of outcomes in one transaction. An attempt whose lease expired mid-send (the
        delivery passed to another process, whose attempt is then the one on record) is dropped."""
        attempted = [o for o in outcomes if isinstance(o, Attempted)]
        deferred = [o for o in outcomes if isinstance(o, Deferred)]
        alone = not deferred and all(o.disable is None for o in attempted)
        async with self._statement() if alone else self.platform.sessionmaker.begin() as session:
            repo = DeliveryRepository(session)
            recorded = await repo.record_attempts([o.record for o in attempted], owner=self.owner)
            await repo.defer([(o.item.id, o.due) for o in deferred], owner=self.owner)
            for outcome in attempted:
                if outcome.item.id in recorded and outcome.disable is not None:
                    await self._disable(session, outcome.item, outcome.disable, outcome.item.now)
        lost = [o.item.id for o in attempted if o.item.id not in recorded]
        for delivery_id in lost:
            log.warning("delivery lease lost before its attempt was recorded", extra={"delivery_id": str(delivery_id)})
        counts: dict[str, int] = {}
        for outcome in attempted:
            if outcome.item.id in recorded:
                counts[outcome.record.outcome] = counts.get(outcome.record.outcome, 0) + 1
                if outcome.record.outcome != "delivered":
                    log.info(
                        "delivery attempt failed",
                        extra={
                            "delivery_id": str(outcome.item.id),
                            "outcome": outcome.record.outcome,
                            "status": outcome.record.status_code,
                            "error_code": outcome.record.error_code,
                        },
                    )
        if self._outcomes is not None:
            for label, count in counts.items():
                self._outcomes.labels(label).inc(count)
        if counts:
            log.debug("delivery attempts recorded", extra={"outcomes": counts})

    async def _disable(self, session: Any, item: ClaimedDelivery, reason: str, now: dt.datetime) -> None:
        if not await SubscriberRepository(session).disable(item.subscriber_id, reason, now):
            return
        await record_event(
            session,
            EventType.endpoint_disabled,
            now=now,
            subscriber_id=item.subscriber_id,
            regions=[item.region_code],
            departments=[item.department] if item.department else [],
            data={"subscriber_id": str(item.subscriber_id), "reason": reason},
        )
