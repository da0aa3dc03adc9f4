"""HTTP for /plans: dispatch plans, the preview of their next rounds, and backfilling a past period."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from services.scheduler.access import AccessDep
from services.scheduler.deps import SchedulerPlatformDep
from services.scheduler.plans.service import PlanFilters, PlanService
from shared.app import api_router
from shared.audit import AuditDep
from shared.concurrency import IfMatchDep, etag_for, set_etag
from shared.context import ContextDep
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.openapi import PEER_UNAVAILABLE
from shared.schemas.common import Page
from shared.schemas.scheduler.actions.plans import BackfillRoundCreate, PlanCreate, PlanUpdate
from shared.schemas.scheduler.responses.plans import PlanPreview, PlanRead
from shared.schemas.scheduler.responses.rounds import RoundRead

router = api_router(tags=["plans"])


async def _service(
    session: SessionDep, access: AccessDep, audit: AuditDep, platform: SchedulerPlatformDep
) -> PlanService:
    return PlanService(session, access, audit, ahead=platform.settings.rounds_ahead)


PlanServiceDep = Annotated[PlanService, Depends(_service)]
FiltersQuery = Annotated[PlanFilters, Query()]


@router.post(
    "/plans",
    response_model=PlanRead,
    status_code=201,
    summary="新建调度计划（支持 Idempotency-Key）",
    description=(
        "A plan ticks on `schedule` (monthly/quarterly/weekly/yearly conveniences, or a 5-field `cron` with "
        "its `period` and `reports_on`) in `timezone`; each tick opens a round for one reporting period with a "
        "report task per roster entity in `scope`. Its next rounds are scheduled at once (see /preview)."
    ),
)
async def create_plan(body: PlanCreate, svc: PlanServiceDep, ctx: ContextDep, idem: IdempotencyDep) -> Response:
    return await idem.run(
        lambda: svc.create(ctx, body), location=lambda r: f"/api/v1/plans/{r.id}", etag=lambda r: etag_for(r.version)
    )


@router.get("/plans", response_model=Page[PlanRead], summary="调度计划列表（游标分页）")
async def list_plans(svc: PlanServiceDep, filters: FiltersQuery) -> Page[PlanRead]:
    items, cursor = await svc.list(filters)
    return Page(items=items, next_cursor=cursor)


@router.get("/plans/{id}", response_model=PlanRead, summary="一个调度计划")
async def get_plan(id: uuid.UUID, svc: PlanServiceDep, response: Response) -> PlanRead:
    plan = await svc.get(id)
    set_etag(response, plan.version)
    return plan


@router.patch(
    "/plans/{id}",
    response_model=PlanRead,
    summary="修改调度计划（需 If-Match；改调度规则、时区、截止规则、提醒、范围或状态时重排未开启的轮次）",
)
async def update_plan(
    id: uuid.UUID, body: PlanUpdate, svc: PlanServiceDep, ctx: ContextDep, version: IfMatchDep, response: Response
) -> PlanRead:
    plan = await svc.update(ctx, id, version, body)
    set_etag(response, plan.version)
    return plan


@router.delete(
    "/plans/{id}",
    status_code=204,
    summary="删除从未开启过轮次的调度计划（需 If-Match；已有轮次的 409，应改为暂停）",
)
async def delete_plan(id: uuid.UUID, svc: PlanServiceDep, ctx: ContextDep, version: IfMatchDep) -> Response:
    await svc.delete(ctx, id, version)
    return Response(status_code=204)


@router.get(
    "/plans/{id}/preview",
    response_model=PlanPreview,
    summary="预览接下来 N 轮的报告期、开启、截止、宽限与提醒时间",
    description="`provisional` marks timings that rest on a year whose holiday arrangement is not yet known.",
)
async def preview_plan(
    id: uuid.UUID,
    svc: PlanServiceDep,
    ctx: ContextDep,
    count: Annotated[int, Query(ge=1, le=24, description="轮数（1–24）")] = 6,
) -> PlanPreview:
    return await svc.preview(ctx, id, count)


@router.post(
    "/plans/{id}/rounds",
    response_model=RoundRead,
    status_code=201,
    summary="补开某一报告期的轮次（仅管理员；支持 Idempotency-Key）",
    description=(
        "Opens the round of `period_key` now, with the roster as it stood at the end of that period (or today). "
        "A period that already has a round is 409 `round_exists`; one not yet begun is 422 `period_in_future`."
    ),
    responses=PEER_UNAVAILABLE,
)
async def create_backfill_round(
    id: uuid.UUID,
    body: BackfillRoundCreate,
    svc: PlanServiceDep,
    ctx: ContextDep,
    idem: IdempotencyDep,
    platform: SchedulerPlatformDep,
) -> Response:
    return await idem.run(
        lambda: svc.backfill(ctx, id, body, platform.state.peers),
        location=lambda r: f"/api/v1/rounds/{r.id}",
        etag=lambda r: etag_for(r.version),
    )
