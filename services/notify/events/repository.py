"""notify's event log: what the SSE stream replays, written in the transaction of each change.

Ids are handed out in commit order: each writer takes one transaction-scoped advisory lock just
before it inserts (as the registry's change feed does), so a stream resuming after id N never
skips an event that commits late. Write events last in a transaction: the lock is held to commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.access import NotifyAccess
from services.notify.models import Event, table
from services.notify.scope import reaches
from shared.schemas.notify.enums import EventType

E = table(Event)
EVENT_LOCK = 0x4E4F_5449_4659_45  # arbitrary constant naming the event log's lock
log = logging.getLogger("wanqianbai.notify.domain")


async def record_event(
    session: AsyncSession,
    event_type: EventType,
    *,
    now: dt.datetime,
    data: dict[str, Any],
    circular_id: uuid.UUID | None = None,
    subscriber_id: uuid.UUID | None = None,
    regions: Sequence[str] = (),
    departments: Sequence[str] = (),
) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": EVENT_LOCK})
    await session.execute(
        insert(E).values(
            type=event_type.value,
            circular_id=circular_id,
            subscriber_id=subscriber_id,
            regions=list(regions),
            departments=list(departments),
            data=data,
            occurred_at=now,
        )
    )
    log.info("domain event", extra={"event": event_type.value, "circular_id": str(circular_id or "")})


async def read_events(
    session: AsyncSession, access: NotifyAccess, after: int, limit: int, types: Sequence[EventType]
) -> Sequence[RowMapping]:
    stmt = select(E).where(E.c.id > after, E.c.type.in_([t.value for t in types])).order_by(E.c.id).limit(limit)
    if not access.reads_everything:
        stmt = stmt.where(reaches(access, E.c.regions, E.c.departments))
    return (await session.execute(stmt)).mappings().all()


async def latest_event_id(session: AsyncSession) -> int:
    """The newest event's id (0 when there is none): where a stream without Last-Event-ID begins."""
    return int(await session.scalar(select(func.coalesce(func.max(E.c.id), 0))) or 0)
