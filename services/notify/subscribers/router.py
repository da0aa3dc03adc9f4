"""HTTP for /subscribers (receiving systems) and /deliveries (what was sent them, and operators' redelivery)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from services.notify.access import AccessDep
from services.notify.deliveries.service import DeliveryService
from services.notify.deps import WAKES_DELIVERIES, NotifyPlatformDep
from services.notify.subscribers.schemas import (
    AttemptRead,
    DeliveryFilters,
    DeliveryRead,
    Replayed,
    ReplayRequest,
    SecretRotate,
    SecretRotated,
    SubscriberCreate,
    SubscriberCreated,
    SubscriberFilters,
    SubscriberRead,
    SubscriberUpdate,
)
from services.notify.subscribers.service import SubscriberService
from shared.app import api_router
from shared.audit import AuditDep
from shared.concurrency import IfMatchDep, etag_for, set_etag, versioned_json
from shared.context import ContextDep
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.schemas.common import Page

router = api_router(tags=["subscribers"])


async def _subscribers(
    session: SessionDep, access: AccessDep, audit: AuditDep, platform: NotifyPlatformDep
) -> SubscriberService:
    overlap = dt.timedelta(hours=platform.settings.secret_rotation_overlap_hours)
    return SubscriberService(session, access, audit, platform.state.policy, overlap, platform.state.resolver)


SubscriberServiceDep = Annotated[SubscriberService, Depends(_subscribers)]


async def _deliveries(
    session: SessionDep, access: AccessDep, audit: AuditDep, subscribers: SubscriberServiceDep
) -> DeliveryService:
    return DeliveryService(session, access, audit, subscribers)


DeliveryServiceDep = Annotated[DeliveryService, Depends(_deliveries)]


@router.post(
    "/subscribers",
    response_model=SubscriberCreated,
    status_code=201,
    summary="登记接收系统（返回签名密钥，仅此一次；支持 Idempotency-Key）",
    description=(
        "The webhook URL must be https on port 443 or 8443 with a public host name or address; hosts in "
        "`WEBHOOK_ALLOWED_HOSTS` may use http, any port and internal addresses. Refusals are 422 with the "
        "rule's code (`scheme_not_allowed`, `address_refused`, `host_not_public`, `port_not_allowed`, ...)."
    ),
)
async def create_subscriber(
    body: SubscriberCreate, svc: SubscriberServiceDep, ctx: ContextDep, idem: IdempotencyDep
) -> Response:
    return await idem.run(
        lambda: svc.create(ctx, body),
        location=lambda r: f"/api/v1/subscribers/{r.id}",
        etag=lambda r: etag_for(r.version),
    )


@router.get("/subscribers", response_model=Page[SubscriberRead], summary="接收系统列表（调用方辖区内）")
async def list_subscribers(
    svc: SubscriberServiceDep, filters: Annotated[SubscriberFilters, Query()], ctx: ContextDep
) -> Page[SubscriberRead]:
    items, cursor = await svc.find(filters, ctx.now)
    return Page(items=items, next_cursor=cursor)


@router.get("/subscribers/{id}", response_model=SubscriberRead, summary="一个接收系统")
async def get_subscriber(id: uuid.UUID, svc: SubscriberServiceDep, ctx: ContextDep) -> Response:
    subscriber = await svc.get(id, ctx.now)
    return versioned_json(subscriber, subscriber.version)


@router.patch(
    "/subscribers/{id}",
    dependencies=WAKES_DELIVERIES,
    response_model=SubscriberRead,
    summary="修改接收系统（需 If-Match；status=active 重新启用）",
)
async def update_subscriber(
    id: uuid.UUID,
    body: SubscriberUpdate,
    svc: SubscriberServiceDep,
    ctx: ContextDep,
    version: IfMatchDep,
    response: Response,
) -> SubscriberRead:
    subscriber = await svc.update(ctx, id, version, body)
    set_etag(response, subscriber.version)
    return subscriber


@router.delete(
    "/subscribers/{id}",
    status_code=204,
    summary="删除接收系统及其投递记录（需 If-Match）",
)
async def delete_subscriber(id: uuid.UUID, svc: SubscriberServiceDep, ctx: ContextDep, version: IfMatchDep) -> Response:
    await svc.delete(ctx, id, version)
    return Response(status_code=204)


@router.post(
    "/subscribers/{id}/secret:rotate",
    response_model=SecretRotated,
    summary="轮换签名密钥（重叠期内新旧密钥同时签名）",
)
async def rotate_subscriber_secret(
    id: uuid.UUID, body: SecretRotate, svc: SubscriberServiceDep, ctx: ContextDep
) -> SecretRotated:
    return await svc.rotate_secret(ctx, id, body)


@router.post(
    "/subscribers/{id}/test",
    dependencies=WAKES_DELIVERIES,
    response_model=DeliveryRead,
    status_code=202,
    summary="向接收系统发送一条测试事件",
)
async def send_test_event(id: uuid.UUID, svc: SubscriberServiceDep, ctx: ContextDep) -> DeliveryRead:
    return await svc.send_test(ctx, id)


@router.post(
    "/subscribers/{id}/deliveries:replay",
    dependencies=WAKES_DELIVERIES,
    response_model=Replayed,
    summary="重放接收系统自某时以来失败的投递（webhook-id 不变）",
)
async def replay_deliveries(id: uuid.UUID, body: ReplayRequest, svc: DeliveryServiceDep, ctx: ContextDep) -> Replayed:
    return await svc.replay(ctx, id, body)


@router.get(
    "/deliveries",
    response_model=Page[DeliveryRead],
    summary="投递记录（调用方辖区内的接收系统）",
)
async def list_deliveries(svc: DeliveryServiceDep, filters: Annotated[DeliveryFilters, Query()]) -> Page[DeliveryRead]:
    items, cursor = await svc.find(filters)
    return Page(items=items, next_cursor=cursor)


@router.get("/deliveries/{id}", response_model=DeliveryRead, summary="一条投递记录")
async def get_delivery(id: uuid.UUID, svc: DeliveryServiceDep) -> DeliveryRead:
    return await svc.get(id)


@router.get(
    "/deliveries/{id}/attempts",
    response_model=list[AttemptRead],
    summary="一条投递的每次尝试：时间、状态码、耗时、错误、响应前 1 KB",
)
async def list_delivery_attempts(id: uuid.UUID, svc: DeliveryServiceDep) -> list[AttemptRead]:
    return await svc.attempts(id)


@router.post(
    "/deliveries/{id}/redeliver",
    dependencies=WAKES_DELIVERIES,
    response_model=DeliveryRead,
    summary="重新投递一条已送达或失败的投递（webhook-id 不变）",
)
async def redeliver(id: uuid.UUID, svc: DeliveryServiceDep, ctx: ContextDep) -> DeliveryRead:
    return await svc.redeliver(ctx, id)
