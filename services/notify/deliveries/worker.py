"""The delivery loop: claim due deliveries under a lease, send each, record the attempt and what follows.

One tick (`run_once(now)`):

    claim     due pending deliveries of active subscribers, at most one per subscriber (its
              earliest, and only while none of its others is leased), leased to this process
    process   each claimed delivery, concurrently: rate limit checked, signed at `now` with every
              active secret of the subscriber (its `webhook-id` the same on every attempt), sent
              by `WebhookSender`, then in one transaction: the attempt recorded, and
                2xx        delivered; the subscriber's failure streak ends
                410        failed; the subscriber is disabled (`endpoint.disabled`)
                otherwise  the next attempt scheduled by `RetrySchedule` (Retry-After honoured),
                           or failed once every attempt is spent; a subscriber failing without
                           a success for five days is disabled (`endpoint.disabled`)
              and the lease released.

A slow receiver holds one slot and only its own queue: each subscriber has at most one delivery in
flight, and `WebhookSender` caps connections per host.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter

from services.notify.deliveries.repository import DeliveryRepository
from services.notify.delivery import AttemptResult, WebhookSender
from services.notify.events.repository import record_event
from services.notify.outbound import OutboundPolicy
from services.notify.retry_schedule import RetrySchedule, should_disable_endpoint
from services.notify.settings import Settings
from services.notify.signing import SigningSecret, sign
from services.notify.subscribers.repository import SubscriberRepository
from shared.app import Platform
from shared.loops import Clock, WorkerService, utc_now
from shared.schemas.notify.enums import DeliveryStatus, EventType, SubscriberStatus

log = logging.getLogger("wanqianbai.notify.deliveries")
RATE_WINDOW = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    id: uuid.UUID
    now: dt.datetime  # the tick's clock: the attempt is signed, timed and scheduled from it


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
        self.concurrency = settings.delivery_concurrency
        self.lease_s = settings.delivery_lease_s
        self.timeout_s = settings.delivery_timeout_s
        self.policy = policy
        self.schedule = schedule or RetrySchedule()
        self.rng = rng
        self._sender: WebhookSender | None = None
        self._outcomes: Counter | None = None

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
        async with WebhookSender(self.policy, timeout_s=self.timeout_s) as sender:
            self._sender = sender
            try:
                async with super().lifespan(platform):
                    yield
            finally:
                self._sender = None

    async def claim(self, now: dt.datetime, limit: int) -> Sequence[ClaimedDelivery]:
        async with self.platform.sessionmaker.begin() as session:
            rows = await DeliveryRepository(session).claim(
                owner=self.owner, now=now, duration=self.lease_duration, limit=limit
            )
        return [ClaimedDelivery(row["id"], now) for row in rows]

    async def renew(self, items: Sequence[ClaimedDelivery], now: dt.datetime) -> None:
        async with self.platform.sessionmaker.begin() as session:
            await DeliveryRepository(session).renew(
                [i.id for i in items], owner=self.owner, now=now, duration=self.lease_duration
            )

    async def process(self, item: ClaimedDelivery) -> None:
        now = item.now
        async with self.platform.sessionmaker.begin() as session:
            repo = DeliveryRepository(session)
            row = await repo.with_subscriber(item.id)
            if row is None or row["status"] != DeliveryStatus.pending or row["lease_owner"] != self.owner:
                return
            if row["subscriber_status"] != SubscriberStatus.active:
                await repo.release(item.id, owner=self.owner)
                return
            limit = row["rate_limit_per_minute"]
            if limit is not None and await repo.attempts_since(row["subscriber_id"], now - RATE_WINDOW) >= limit:
                # Over its rate: wait, without spending an attempt.
                await repo.update(item.id, {"next_attempt_at": now + RATE_WINDOW / limit})
                await repo.release(item.id, owner=self.owner)
                return
        headers = sign(row["webhook_id"], row["payload"], secrets_of(row["secrets"]), now)
        result = await self.sender.send(row["url"], headers, row["payload"])
        async with self.platform.sessionmaker.begin() as session:
            await self._record(session, row, result, now)

    async def _record(self, session: Any, row: Any, result: AttemptResult, now: dt.datetime) -> None:
        """The attempt's outcome, in one transaction with the state it changes, if this process still
        holds the delivery's lease (one that expired mid-send has passed to another process, whose
        attempt is then the one on record)."""
        repo = DeliveryRepository(session)
        subscribers = SubscriberRepository(session)
        attempts = row["attempts"] + 1
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_attempt_at": now,
            "last_error": result.error_message,
            "lease_owner": None,
            "lease_expires_at": None,
        }
        disable: str | None = None
        failing_since: dt.datetime | None = None
        if result.succeeded:
            values |= {"status": DeliveryStatus.delivered.value, "delivered_at": now, "last_error": None}
        elif result.gone:
            values["status"] = DeliveryStatus.failed.value
            failing_since = row["failing_since"] or now
            disable = "接收端返回 410 Gone"
        else:
            retry_after = dt.timedelta(seconds=result.retry_after_s) if result.retry_after_s else None
            due = self.schedule.next_attempt_at(attempts, now, retry_after, rng=self.rng)
            if due is None:
                values["status"] = DeliveryStatus.failed.value
            else:
                values["next_attempt_at"] = due
            failing_since = row["failing_since"] or now
            if should_disable_endpoint(failing_since, now):
                disable = "接收端连续 5 天投递失败"
        if await repo.update(row["id"], values, owner=self.owner) is None:
            log.warning("delivery lease lost before its attempt was recorded", extra={"delivery_id": str(row["id"])})
            return
        await repo.record_attempt(
            {
                "delivery_id": row["id"],
                "attempt_no": await repo.attempt_count(row["id"]) + 1,
                "attempted_at": now,
                "status_code": result.status_code,
                "latency_ms": result.latency_ms,
                "outcome": result.outcome.value,
                "error_code": result.error_code.value if result.error_code else None,
                "error_message": result.error_message,
                "response_excerpt": result.response_excerpt,
            }
        )
        await subscribers.set_failing_since(row["subscriber_id"], failing_since)
        if disable is not None:
            await self._disable(session, row, disable, now)
        if self._outcomes is not None:
            self._outcomes.labels(result.outcome.value).inc()
        log.info(
            "delivery attempt",
            extra={"delivery_id": str(row["id"]), "outcome": result.outcome.value, "status": result.status_code},
        )

    async def _disable(self, session: Any, row: Any, reason: str, now: dt.datetime) -> None:
        if not await SubscriberRepository(session).disable(row["subscriber_id"], reason, now):
            return
        await record_event(
            session,
            EventType.endpoint_disabled,
            now=now,
            subscriber_id=row["subscriber_id"],
            regions=[row["region_code"]],
            departments=[row["department"]] if row["department"] else [],
            data={"subscriber_id": str(row["subscriber_id"]), "reason": reason},
        )
