"""`GET /api/v1/events/stream`: circulars published and revoked, receipts signed or returned, and
webhook endpoints disabled, in the caller's scope, as server-sent events.

Each event's `id` is its position in notify's event log (handed out in commit order), so a client
that reconnects with `Last-Event-ID` (browsers' EventSource do so themselves) receives exactly what
it missed. Without it the stream begins with what happens next; `?after=0` replays everything.
A comment line every `SSE_HEARTBEAT_S` seconds keeps proxies from closing an idle stream. Each poll
of the log is one short read on a pooled connection, held for no longer than the query.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from services.notify.access import AccessDep, NotifyAccess
from services.notify.deps import NotifyPlatform, NotifyPlatformDep
from services.notify.events.repository import latest_event_id, read_events
from shared.app import api_router
from shared.errors import Invalid
from shared.schemas.notify.enums import EventType

router = api_router(tags=["events"])

STREAMED = (
    EventType.circular_published,
    EventType.circular_revoked,
    EventType.receipt_signed,
    EventType.receipt_returned,
    EventType.endpoint_disabled,
)
BATCH = 100


def _resume_from(last_event_id: str | None) -> int | None:
    if last_event_id is None:
        return None
    value = last_event_id.strip()
    if not value.isdigit() or len(value) > 18:
        raise Invalid.field("Last-Event-ID", "Last-Event-ID 应为此前收到的事件 id", "last_event_id_invalid")
    return int(value)


async def _events(
    request: Request, platform: NotifyPlatform, access: NotifyAccess, after: int | None
) -> AsyncIterator[ServerSentEvent]:
    sessions = platform.sessionmaker
    if after is None:
        async with sessions() as session:
            after = await latest_event_id(session)
    while not await request.is_disconnected():
        async with sessions() as session:
            rows = await read_events(session, access, after, BATCH, STREAMED)
        for row in rows:
            after = row["id"]
            data = {"id": row["id"], "type": row["type"], "occurred_at": row["occurred_at"], **row["data"]}
            yield ServerSentEvent(data=orjson.dumps(data).decode(), event=row["type"], id=str(row["id"]))
        if len(rows) < BATCH:
            await asyncio.sleep(platform.settings.sse_poll_interval_s)


@router.get(
    "/events/stream",
    summary="事件流（SSE）：辖区内通报发布、撤回、签收与接收端停用，支持 Last-Event-ID 续传",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "text/event-stream"}},
)
async def stream_events(
    request: Request,
    access: AccessDep,
    platform: NotifyPlatformDep,
    last_event_id: Annotated[str | None, Header(description="上次收到的事件 id；断线重连时由浏览器自动携带")] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="从此 id 之后开始；0 为从头重放")] = None,
) -> EventSourceResponse:
    resume = _resume_from(last_event_id)
    start = resume if resume is not None else after
    return EventSourceResponse(
        _events(request, platform, access, start),
        ping=platform.settings.sse_heartbeat_s,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
