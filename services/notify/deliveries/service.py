"""Operators' view of deliveries: list, read, attempts, redeliver one, replay a subscriber's failures.

A redelivered or replayed delivery keeps its `webhook-id` and payload (receivers deduplicate on the
id) and starts a fresh retry cycle, due now; its earlier attempts stay on record.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.access import NotifyAccess
from services.notify.deliveries.repository import DeliveryRepository
from services.notify.subscribers.schemas import (
    AttemptRead,
    DeliveryFilters,
    DeliveryRead,
    Replayed,
    ReplayRequest,
)
from services.notify.subscribers.service import SubscriberService
from shared.audit import AuditLog
from shared.context import RequestContext
from shared.errors import Conflict, NotFound
from shared.pagination import PageRequest, cut_page
from shared.schemas.notify.enums import DeliveryStatus


class DeliveryService:
    def __init__(
        self, session: AsyncSession, access: NotifyAccess, audit: AuditLog, subscribers: SubscriberService
    ) -> None:
        self.session = session
        self.access = access
        self.audit = audit
        self.subscribers = subscribers
        self.repo = DeliveryRepository(session)

    async def _visible(self, delivery_id: uuid.UUID) -> Any:
        row = await self.repo.get(delivery_id)
        if row is None:
            raise NotFound("投递记录不存在", code="delivery_not_found")
        try:
            await self.subscribers.visible(row["subscriber_id"])
        except NotFound as exc:
            raise NotFound("投递记录不存在", code="delivery_not_found") from exc
        return row

    async def find(self, filters: DeliveryFilters) -> tuple[list[DeliveryRead], str | None]:
        ids = await self.subscribers.repo.ids_in_scope(self.access)
        if filters.subscriber_id is not None:
            await self.subscribers.visible(filters.subscriber_id)
            ids = [filters.subscriber_id]
        page = PageRequest(limit=filters.limit, cursor=filters.cursor, sort=filters.sort)
        rows, key = await self.repo.find(page, subscriber_ids=ids, status=filters.status)
        items, cursor = cut_page(rows, page, key, key.lstrip("-"))
        return [DeliveryRead.model_validate(dict(r)) for r in items], cursor

    async def get(self, delivery_id: uuid.UUID) -> DeliveryRead:
        return DeliveryRead.model_validate(dict(await self._visible(delivery_id)))

    async def attempts(self, delivery_id: uuid.UUID) -> list[AttemptRead]:
        await self._visible(delivery_id)
        return [AttemptRead.model_validate(dict(r)) for r in await self.repo.attempts(delivery_id)]

    async def redeliver(self, ctx: RequestContext, delivery_id: uuid.UUID) -> DeliveryRead:
        row = await self._visible(delivery_id)
        await self.subscribers.writable(row["subscriber_id"])
        if row["status"] in (DeliveryStatus.pending, DeliveryStatus.sending, DeliveryStatus.retrying):
            raise Conflict("该投递仍在排队、投递或重试中", code="delivery_pending")
        await self.repo.requeue(ctx.now, delivery_id=delivery_id)
        await self.audit.record(
            self.session,
            ctx,
            action="redeliver",
            resource_type="delivery",
            resource_id=delivery_id,
            before={"status": row["status"]},
            after={"status": DeliveryStatus.pending.value},
        )
        return await self.get(delivery_id)

    async def replay(self, ctx: RequestContext, subscriber_id: uuid.UUID, body: ReplayRequest) -> Replayed:
        await self.subscribers.writable(subscriber_id)
        ids = await self.repo.requeue(ctx.now, subscriber_id=subscriber_id, failed_since=body.since)
        await self.audit.record(
            self.session,
            ctx,
            action="replay_deliveries",
            resource_type="subscriber",
            resource_id=subscriber_id,
            after={"since": body.since.isoformat(), "delivery_ids": [str(i) for i in ids]},
        )
        return Replayed(requeued=len(ids), delivery_ids=sorted(ids))
