"""The notify service: circulars (通报) with 文号 and official PDFs, receipts, signed webhooks. Port 8003."""

from __future__ import annotations

from fastapi import FastAPI

from services.notify.circulars.documents import DocumentRenderer
from services.notify.circulars.router import router as circulars_router
from services.notify.deliveries.worker import DeliveryWorker
from services.notify.deps import NotifyState
from services.notify.events.router import router as events_router
from services.notify.models import SCHEMA, tables
from services.notify.outbound import OutboundPolicy
from services.notify.receipts.router import router as receipts_router
from services.notify.settings import Settings
from services.notify.subscribers.router import router as subscribers_router
from shared.app import create_service_app
from shared.auth import Role
from shared.db import Database
from shared.schemas.notify.enums import NOTIFY_ENUM_TYPES

DESCRIPTION = """
湖南省产业发展“万千百”工程 **通报推送**：通报、通知、督办函、提醒、经验交流的起草与发布（文号、
GB/T 9704 公文版式 PDF）、主送单位签收、以签名 webhook（Standard Webhooks）推送到各接收系统，以及
实时事件流（SSE）。

Notify of Hunan's 万千百 programme: circulars drafted and published with document numbers and
official-document PDFs, receipts (签收) by the units addressed, signed webhooks to subscribed systems
with retries, and a server-sent event stream.

Conventions: bearer JWT on every `/api/v1` route; errors are `application/problem+json` with a stable
`code`; lists page by cursor (`limit`, `cursor` → `next_cursor`); `PATCH`/`DELETE` need `If-Match`;
creating `POST`s accept `Idempotency-Key`.
"""


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    policy = OutboundPolicy.with_allowlist(settings.webhook_allowed_hosts)
    state = NotifyState(policy=policy, renderer=DocumentRenderer(), deliveries=DeliveryWorker(settings, policy))
    return create_service_app(
        service="notify",
        schema=SCHEMA,
        title="万千百 notify（通报推送）",
        description=DESCRIPTION,
        settings=settings,
        state=state,
        tables=tables,
        routers=[circulars_router, receipts_router, subscribers_router, events_router],
        enums=NOTIFY_ENUM_TYPES | {"role": Role},
        lifespans=[state.deliveries.lifespan],
        database=database,
    )
