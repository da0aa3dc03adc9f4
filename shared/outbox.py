"""The outbox: calls to peer services written in the transaction of the change that causes them,
and delivered afterwards by a loop, with retries, until the peer has them.

    Outbox.enqueue(session, ...)   insert one `outbox_message` in the caller's transaction; a message
                                   with the same (peer, idempotency_key) is kept once
    OutboxRelay (WorkerService)    claims due messages under a lease, hands each to the handler of its
                                   (peer, operation), and records the outcome:
                                     success  -> delivered_at, response
                                     AppError -> attempts + 1, last_error, next_attempt_at pushed back
                                                 (base × 2^attempts, at most `backoff_max_s`)
                                     Refused  -> the peer refused it for good (the handler's verdict):
                                                 attempts + 1, last_error, response = {"refused": ...},
                                                 never claimed again; logged as an error

A message is never lost (it commits with its cause, and stays due until a delivery succeeds or the peer
refuses it for good, which stays visible on the row: `delivered_at` NULL, `response.refused`) and
never applied twice (every attempt sends the same idempotency key, so the peer replays its first
answer). A replica that dies mid-delivery leaves the lease to expire; the message is claimed again.
Handlers call the peer through its typed client, so they fail only with `shared.errors` types.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Table, and_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import AppError, Forbidden, Invalid, NotFound
from shared.leases import Lease
from shared.loops import Clock, WorkerService, utc_now

log = logging.getLogger("wanqianbai.outbox")

# What delivering one message returns: the peer's answer, kept on the row as JSON.
Handler = Callable[[RowMapping], Awaitable[dict[str, Any]]]


class Refused(Exception):
    """Raised by a handler when the peer refused the message in a way no retry can change (a 403, 404
    or 422 on what the message asks): the relay settles it as refused instead of trying again."""

    def __init__(self, error: AppError) -> None:
        super().__init__(f"{error.code}: {error.detail}")
        self.error = error


@contextmanager
def refusals_are_final() -> Iterator[None]:
    """For a handler whose peer's 403, 404 or 422 on what the message asks is its last word (a figure for
    an entity gone, a write the peer forbids): raised within the block, it becomes `Refused`."""
    try:
        yield
    except (Forbidden, NotFound, Invalid) as exc:
        raise Refused(exc) from exc


def refused(table: Table) -> ColumnElement[bool]:
    """Messages settled as refused by their peer: never delivered, never to be tried again."""
    return and_(table.c.delivered_at.is_(None), table.c.response.is_not(None))


@dataclass(frozen=True, slots=True)
class Outbox:
    table: Table

    async def enqueue(
        self, session: AsyncSession, *, peer: str, operation: str, idempotency_key: str, payload: dict[str, Any]
    ) -> None:
        stmt = insert(self.table).values(
            peer=peer, operation=operation, idempotency_key=idempotency_key, payload=payload
        )
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["peer", "idempotency_key"]))


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    now: dt.datetime


class OutboxRelay(WorkerService[Claimed]):
    name = "outbox-relay"
    concurrency = 4
    lease_s = 60.0

    def __init__(
        self,
        table: Table,
        handlers: Mapping[tuple[str, str], Handler],
        *,
        interval_s: float = 5.0,
        backoff_base_s: float = 5.0,
        backoff_max_s: float = 3600.0,
        clock: Clock = utc_now,
        owner: str | None = None,
    ) -> None:
        super().__init__(clock=clock, owner=owner)
        self.table = table
        self.lease = Lease(table)
        self.handlers = dict(handlers)
        self.interval_s = interval_s
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s

    @property
    def lease_duration(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.lease_s)

    def backoff(self, attempts: int) -> dt.timedelta:
        return dt.timedelta(seconds=min(self.backoff_max_s, self.backoff_base_s * 2.0 ** max(attempts - 1, 0)))

    async def claim(self, now: dt.datetime, limit: int) -> Sequence[Claimed]:
        t = self.table
        async with self.platform.sessionmaker.begin() as session:
            rows = await self.lease.claim(
                session,
                owner=self.owner,
                now=now,
                duration=self.lease_duration,
                limit=limit,
                due=and_(t.c.delivered_at.is_(None), t.c.response.is_(None), t.c.next_attempt_at <= now),
                order_by=[t.c.next_attempt_at],
            )
        return [Claimed(row["id"], now) for row in rows]

    async def renew(self, items: Sequence[Claimed], now: dt.datetime) -> None:
        async with self.platform.sessionmaker.begin() as session:
            await self.lease.renew(
                session, [i.id for i in items], owner=self.owner, now=now, duration=self.lease_duration
            )

    async def process(self, item: Claimed) -> None:
        t = self.table
        async with self.platform.sessionmaker.begin() as session:
            row = (await session.execute(select(t).where(t.c.id == item.id))).mappings().one()
        if row["delivered_at"] is not None:
            return
        handler = self.handlers.get((row["peer"], row["operation"]))
        values: dict[str, Any] = {"attempts": t.c.attempts + 1, "lease_owner": None, "lease_expires_at": None}
        if handler is None:
            values |= {"last_error": "no handler", "next_attempt_at": item.now + self.backoff(row["attempts"] + 1)}
        else:
            try:
                response = await handler(row)
            except Refused as verdict:
                exc = verdict.error
                extra = {"peer": row["peer"], "operation": row["operation"], "message_id": row["id"], "code": exc.code}
                log.error("outbox message refused by its peer", extra=extra)
                values |= {
                    "last_error": f"refused: {exc.code}: {exc.detail}"[:2000],
                    "response": {"refused": {"status": exc.status, "code": exc.code, "detail": exc.detail}},
                }
            except AppError as exc:
                extra = {"peer": row["peer"], "operation": row["operation"], "message_id": row["id"], "code": exc.code}
                log.warning("outbox delivery failed", extra=extra)
                values |= {
                    "last_error": f"{exc.code}: {exc.detail}"[:2000],
                    "next_attempt_at": item.now + self.backoff(row["attempts"] + 1),
                }
            else:
                values |= {"delivered_at": item.now, "response": response, "last_error": None}
        async with self.platform.sessionmaker.begin() as session:
            await session.execute(update(t).where(t.c.id == item.id, t.c.lease_owner == self.owner).values(**values))
