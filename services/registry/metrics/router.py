"""HTTP for /metrics: record a value for an entity and period, list and read values and revisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Response

from services.registry.access import AccessDep
from services.registry.metrics.service import MetricFilters, MetricService
from shared.app import api_router
from shared.audit import AuditDep
from shared.context import ContextDep
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.schemas.common import Page
from shared.schemas.registry.actions.metrics import MetricCreate
from shared.schemas.registry.responses.metrics import MetricRead

router = api_router(tags=["metrics"])


async def _service(session: SessionDep, access: AccessDep, audit: AuditDep) -> MetricService:
    return MetricService(session, access, audit)


MetricServiceDep = Annotated[MetricService, Depends(_service)]
FiltersQuery = Annotated[MetricFilters, Query()]


@router.post(
    "/metrics",
    response_model=MetricRead,
    status_code=201,
    summary="录入指标值（营业收入、产值、完成投资；单位：亿元）",
    description=(
        "Records `value` for the entity, metric and period (`month` omitted = the whole year). Every value "
        "is kept: a different value (or source) appends a new revision, answered 201 with `Location`. The "
        "same value, source and source_ref as the latest revision writes nothing and answers 200 with that "
        "revision. With an `Idempotency-Key`, a retry replays the first answer even if the period changed "
        "since. Writable by admins, the entity's writers and platform services (the scheduler records "
        "accepted reports with `source=report`)."
    ),
    responses={
        200: {"model": MetricRead, "description": "与最新修订相同，未写入新修订"},
        403: {"description": "无权修改该对象"},
        404: {"description": "对象不存在或不在调用方辖区内"},
        422: {"description": "指标与对象类别不符（metric_not_for_kind）或期间尚未开始（metric_period_in_future）"},
    },
)
async def create_metric(body: MetricCreate, svc: MetricServiceDep, ctx: ContextDep, idem: IdempotencyDep) -> Response:
    if idem.replay is not None:
        return idem.replay.to_response()
    metric, created = await svc.record(ctx, body)

    async def recorded() -> MetricRead:
        return metric

    return await idem.run(
        recorded,
        status_code=201 if created else 200,
        location=(lambda r: f"/api/v1/metrics/{r.id}") if created else None,
    )


@router.get(
    "/metrics",
    response_model=Page[MetricRead],
    summary="指标值（默认每个期间只返回最新修订；history=true 返回全部修订；known_at 只看当时已登记的修订）",
)
async def list_metrics(svc: MetricServiceDep, ctx: ContextDep, filters: FiltersQuery) -> Page[MetricRead]:
    items, cursor = await svc.list(ctx, filters)
    return Page(items=items, next_cursor=cursor)


@router.get("/metrics/{id}", response_model=MetricRead, summary="一条指标记录（某一修订）")
async def get_metric(id: Annotated[int, Path(ge=1, le=2**63 - 1)], svc: MetricServiceDep) -> MetricRead:
    return await svc.get(id)
