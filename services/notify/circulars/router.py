"""HTTP for /circulars: drafts, publishing, revoking, the PDF, receipts and 催签 reminders."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Query, Response

from services.notify.access import AccessDep
from services.notify.circulars.schemas import CircularFilters, CircularRevoke, CircularUpdate, ReminderCreate
from services.notify.circulars.service import CircularService
from services.notify.deps import WAKES_DELIVERIES, NotifyPlatformDep
from services.notify.receipts.schemas import ReceiptActCreate
from services.notify.receipts.service import ReceiptService
from shared.app import api_router
from shared.audit import AuditDep
from shared.concurrency import IfMatchDep, etag_for, set_etag, versioned_json
from shared.context import ContextDep
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.schemas.common import Page
from shared.schemas.notify.actions.circulars import CircularCreate
from shared.schemas.notify.responses.circulars import CircularRead, ReceiptRead, ReceiptSummary

router = api_router(tags=["circulars"])


async def _service(
    session: SessionDep, access: AccessDep, audit: AuditDep, platform: NotifyPlatformDep
) -> CircularService:
    return CircularService(session, access, audit, platform.state.renderer)


async def _receipts(session: SessionDep, access: AccessDep, audit: AuditDep) -> ReceiptService:
    return ReceiptService(session, access, audit)


CircularServiceDep = Annotated[CircularService, Depends(_service)]
ReceiptServiceDep = Annotated[ReceiptService, Depends(_receipts)]
FiltersQuery = Annotated[CircularFilters, Query()]


def _location(circular: CircularRead) -> str:
    return f"/api/v1/circulars/{circular.id}"


@router.post(
    "/circulars",
    response_model=CircularRead,
    status_code=201,
    dependencies=WAKES_DELIVERIES,
    summary="起草通报（publish=true 时同时发布；支持 Idempotency-Key）",
    description=(
        "Creates a draft, or with `publish: true` publishes at once: assigns the 文号, renders the "
        "official-document PDF, writes one receipt per addressed region and department and queues one "
        "delivery per matching subscriber. A `source` yields at most one circular: a second create from "
        "it is 409 `circular_source_duplicate` (with `existing_id`), unless it repeats the first request's "
        "`Idempotency-Key`, which replays the first response. Publishing without a body is 409 "
        "`circular_body_empty`; a department below the province addressing a region outside its own is "
        "403 `audience_out_of_scope`."
    ),
)
async def create_circular(
    body: CircularCreate, svc: CircularServiceDep, ctx: ContextDep, idem: IdempotencyDep
) -> Response:
    return await idem.run(lambda: svc.create(ctx, body), location=_location, etag=lambda r: etag_for(r.version))


@router.get(
    "/circulars",
    response_model=Page[CircularRead],
    summary="通报列表（调用方辖区内；游标分页）",
)
async def list_circulars(svc: CircularServiceDep, filters: FiltersQuery) -> Page[CircularRead]:
    items, cursor = await svc.find(filters)
    return Page(items=items, next_cursor=cursor)


@router.get("/circulars/{id}", response_model=CircularRead, summary="一份通报")
async def get_circular(id: uuid.UUID, svc: CircularServiceDep) -> Response:
    circular = await svc.get(id)
    return versioned_json(circular, circular.version)


@router.patch(
    "/circulars/{id}",
    response_model=CircularRead,
    summary="修改草稿（需 If-Match；JSON merge patch）",
)
async def update_circular(
    id: uuid.UUID,
    body: CircularUpdate,
    svc: CircularServiceDep,
    ctx: ContextDep,
    version: IfMatchDep,
    response: Response,
) -> CircularRead:
    circular = await svc.update(ctx, id, version, body)
    set_etag(response, circular.version)
    return circular


@router.delete(
    "/circulars/{id}",
    status_code=204,
    summary="删除草稿（需 If-Match）",
)
async def delete_circular(id: uuid.UUID, svc: CircularServiceDep, ctx: ContextDep, version: IfMatchDep) -> Response:
    await svc.delete(ctx, id, version)
    return Response(status_code=204)


@router.post(
    "/circulars/{id}/publish",
    dependencies=WAKES_DELIVERIES,
    response_model=CircularRead,
    summary="发布草稿：分配文号、生成公文 PDF、写签收记录、投递",
    description="409 `circular_not_draft` when already published or revoked, 409 `circular_body_empty` without a body.",
)
async def publish_circular(id: uuid.UUID, svc: CircularServiceDep, ctx: ContextDep, response: Response) -> CircularRead:
    circular = await svc.publish(ctx, id)
    set_etag(response, circular.version)
    return circular


@router.post(
    "/circulars/{id}/revoke",
    dependencies=WAKES_DELIVERIES,
    response_model=CircularRead,
    summary="撤回已发布的通报（须说明原因；已投递的接收系统收到 circular.revoked）",
)
async def revoke_circular(
    id: uuid.UUID, body: CircularRevoke, svc: CircularServiceDep, ctx: ContextDep, response: Response
) -> CircularRead:
    circular = await svc.revoke(ctx, id, body)
    set_etag(response, circular.version)
    return circular


@router.get(
    "/circulars/{id}/document",
    summary="通报的公文版式 PDF（GB/T 9704，发布时生成）",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "PDF"}},
)
async def get_circular_document(id: uuid.UUID, svc: CircularServiceDep) -> Response:
    circular, pdf = await svc.document(id)
    filename = quote(f"{circular.document_number}.pdf")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{filename}", "ETag": etag_for(circular.version)},
    )


@router.get(
    "/circulars/{id}/receipts",
    response_model=ReceiptSummary,
    summary="签收情况：各主送单位状态、签收率、未签收单位",
)
async def list_circular_receipts(id: uuid.UUID, svc: ReceiptServiceDep) -> ReceiptSummary:
    return await svc.summary(id)


@router.post(
    "/circulars/{id}/receipts",
    response_model=ReceiptRead,
    summary="代表本单位签收或退回（首次签收生效，重复签收返回原记录）",
    description=(
        "Signs (签收) or returns (退回, with a reason) for one addressed unit. City and county operators act "
        "for a region they cover, a department for itself, admin and our own services for any unit. A "
        "subscriber system acts with a `service` token whose `sub` is `subscriber:<id>`, for the units it "
        "belongs to only (its region and those below, its department) while it is active; any other unit "
        "is 403 `unit_out_of_scope`."
    ),
)
async def act_on_circular(
    id: uuid.UUID, body: ReceiptActCreate, svc: ReceiptServiceDep, ctx: ContextDep
) -> ReceiptRead:
    return await svc.act(ctx, id, body)


@router.post(
    "/circulars/{id}/reminders",
    dependencies=WAKES_DELIVERIES,
    response_model=CircularRead,
    status_code=201,
    summary="催签：向尚未签收的单位发一份提醒（立即发布；支持 Idempotency-Key）",
)
async def create_reminder(
    id: uuid.UUID, body: ReminderCreate, svc: CircularServiceDep, ctx: ContextDep, idem: IdempotencyDep
) -> Response:
    return await idem.run(lambda: svc.remind(ctx, id, body), location=_location, etag=lambda r: etag_for(r.version))
