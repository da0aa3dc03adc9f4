"""HTTP for /targets (the programme's goals, edited by the 万千百 office) and /progress against them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from services.registry.progress.filters import ProgressFilters, TargetFilters
from services.registry.progress.schemas import TargetCreate, TargetUpdate
from services.registry.progress.service import ProgressService, TargetService
from shared.app import api_router
from shared.audit import AuditDep
from shared.concurrency import IfMatchDep, etag_for, set_etag
from shared.context import ContextDep, PrincipalDep
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.schemas.common import Page
from shared.schemas.registry.responses.progress import ProgressRead, TargetRead

router = api_router()


async def _targets(session: SessionDep, principal: PrincipalDep, audit: AuditDep) -> TargetService:
    return TargetService(session, principal, audit)


async def _progress(session: SessionDep, principal: PrincipalDep) -> ProgressService:
    return ProgressService(session, principal)


TargetServiceDep = Annotated[TargetService, Depends(_targets)]
ProgressServiceDep = Annotated[ProgressService, Depends(_progress)]


@router.get(
    "/targets", response_model=Page[TargetRead], tags=["targets"], summary="目标列表（按目标期、类别、级别、领域筛选）"
)
async def list_targets(svc: TargetServiceDep, filters: Annotated[TargetFilters, Query()]) -> Page[TargetRead]:
    items, cursor = await svc.list(filters)
    return Page(items=items, next_cursor=cursor)


@router.get("/targets/{id}", response_model=TargetRead, tags=["targets"], summary="一个目标")
async def get_target(id: uuid.UUID, svc: TargetServiceDep, response: Response) -> TargetRead:
    target = await svc.get(id)
    set_etag(response, target.version)
    return target


@router.post(
    "/targets",
    response_model=TargetRead,
    status_code=201,
    tags=["targets"],
    summary="新增目标（仅管理员；支持 Idempotency-Key）",
    responses={
        403: {"description": "非管理员"},
        409: {"description": "同一目标期已有相同类别、级别、层级和领域的目标（target_duplicate，附 existing_id）"},
        422: {"description": "该类别在该级别没有此层级（tier_not_allowed）"},
    },
)
async def create_target(body: TargetCreate, svc: TargetServiceDep, ctx: ContextDep, idem: IdempotencyDep) -> Response:
    return await idem.run(
        lambda: svc.create(ctx, body),
        location=lambda t: f"/api/v1/targets/{t.id}",
        etag=lambda t: etag_for(t.version),
    )


@router.patch(
    "/targets/{id}",
    response_model=TargetRead,
    tags=["targets"],
    summary="修改目标数量或说明（仅管理员；需 If-Match）",
)
async def update_target(
    id: uuid.UUID, body: TargetUpdate, svc: TargetServiceDep, ctx: ContextDep, version: IfMatchDep, response: Response
) -> TargetRead:
    target = await svc.update(ctx, id, version, body)
    set_etag(response, target.version)
    return target


@router.delete("/targets/{id}", status_code=204, tags=["targets"], summary="删除目标（仅管理员；需 If-Match）")
async def delete_target(id: uuid.UUID, svc: TargetServiceDep, ctx: ContextDep, version: IfMatchDep) -> Response:
    await svc.delete(ctx, id, version)
    return Response(status_code=204)


@router.get(
    "/progress",
    response_model=ProgressRead,
    tags=["progress"],
    summary="目标完成情况：各层级在册与达标数、梯队、成长区间、对照目标的差额",
    description=(
        "Counts the entities listed on `as_of` (their roster state that day) within the caller's region "
        "scope and the filters. An entity's size is its latest annual revenue (else output) of a year up "
        "to `as_of`'s, or a project's total investment; it has achieved a tier when its size reaches the "
        "tier's threshold. Echelons count province entities below the programme tier by the highest "
        "echelon reached; growth bands count enterprises with low ≤ size < high. `targets` compares each "
        "target of the filtered periods, levels and domains with the entities that have reached its tier. "
        "`green_channel` counts today's listed projects in the green channel (绿色通道) within the same "
        "scope and filters, those with an approval past its committed date (承诺时限) and still not "
        "finished, and such approvals by kind; it is null for a past `as_of` or with `known_at` (approvals "
        "keep no history). "
        "`known_at` (RFC 3339) counts only what had been recorded by that moment: roster adjustments and "
        "metric revisions recorded later are ignored, so a circulated ranking is reproduced exactly; "
        "without `as_of` it answers for `known_at`'s own date. Targets are counted as they stand now."
    ),
)
async def get_progress(
    svc: ProgressServiceDep, ctx: ContextDep, filters: Annotated[ProgressFilters, Query()]
) -> ProgressRead:
    return await svc.progress(filters, ctx)
