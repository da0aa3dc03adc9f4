"""Every query of the change feed: an outbox written in the same transaction as each change it describes.

Ids are handed out in commit order: each writer takes one transaction-scoped advisory lock before it
inserts, so a reader following `after=<id>` can never see a later id commit before an earlier one
(the classic outbox gap). The lock is held only from the insert to the commit of the write.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.models import ChangeEvent

FEED_LOCK = 0x5751_4246_4545_44  # arbitrary constant naming the feed's lock
log = logging.getLogger("wanqianbai.registry.domain")


async def lock_feed(session: AsyncSession) -> None:
    """Take the feed's lock until commit, just before writing events, so ids become visible in order."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": FEED_LOCK})


async def record_change(
    session: AsyncSession, resource_type: str, resource_id: object, action: str, payload: dict[str, Any]
) -> None:
    await lock_feed(session)
    await session.execute(
        insert(ChangeEvent).values(
            resource_type=resource_type, resource_id=str(resource_id), action=action, payload=payload
        )
    )
    log.info("domain event", extra={"event": f"{resource_type}.{action}", "resource_id": str(resource_id)})


async def read_changes(session: AsyncSession, after: int, limit: int) -> list[ChangeEvent]:
    stmt = select(ChangeEvent).where(col(ChangeEvent.id) > after).order_by(col(ChangeEvent.id)).limit(limit)
    return list((await session.scalars(stmt)).all())
