"""HTTP for /rounds: list and read rounds and their summaries (JSON or XLSX), close or cancel one."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Query, Response

from services.scheduler.access import AccessDep
from services.scheduler.deps import SchedulerPlatformDep
from services.scheduler.rounds.service import RoundFilters, RoundService
from services.scheduler.rounds.summary_schemas import RoundSummary
from services.scheduler.rounds.workbook import XLSX, summary_workbook
from shared.app import api_router
from shared.audit import AuditDep
from shared.concurrency import IfMatchDep, set_etag
from shared.context import ContextDep
from shared.db import SessionDep
from shared.schemas.common import Page
from shared.schemas.scheduler.responses.rounds import RoundRead

router = api_router(tags=["rounds"])


async def _service(
    session: SessionDep, access: AccessDep, audit: AuditDep, platform: SchedulerPlatformDep
) -> RoundService:
    return RoundService(session, access, audit, platform.state.outbox)


RoundServiceDep = Annotated[RoundService, Depends(_service)]
FiltersQuery = Annotated[RoundFilters, Query()]


@router.get("/rounds", response_model=Page[RoundRead], summary="调度轮次列表（游标分页）")
async def list_rounds(svc: RoundServiceDep, filters: FiltersQuery) -> Page[RoundRead]:
    items, cursor = await svc.list(filters)
    return Page(items=items, next_cursor=cursor)


@router.get("/rounds/{id}", response_model=RoundRead, summary="一个调度轮次")
async def get_round(id: uuid.UUID, svc: RoundServiceDep, response: Response) -> RoundRead:
    found = await svc.get(id)
    set_etag(response, found.version)
    return found


class SummaryFormat(StrEnum):
    json = "json"
    xlsx = "xlsx"


@router.get(
    "/rounds/{id}/summary",
    response_model=RoundSummary,
    summary="轮次情况综合：报送率、按时率、投资完成、预警，市州与县市区得分、排名和等级（?format=xlsx 为 Excel）",
    responses={200: {"content": {XLSX: {}}}},
)
async def get_round_summary(
    id: uuid.UUID,
    svc: RoundServiceDep,
    ctx: ContextDep,
    format: Annotated[SummaryFormat, Query(description="json（默认）或 xlsx")] = SummaryFormat.json,
) -> Response:
    summary = await svc.summary(ctx, id)
    if format is SummaryFormat.xlsx:
        return _xlsx(summary)
    return Response(summary.model_dump_json(), media_type="application/json")


@router.get(
    "/rounds/{id}/summary.xlsx",
    summary="轮次情况综合（Excel，每级一个工作表）",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
async def get_round_summary_xlsx(id: uuid.UUID, svc: RoundServiceDep, ctx: ContextDep) -> Response:
    return _xlsx(await svc.summary(ctx, id))


def _xlsx(summary: RoundSummary) -> Response:
    filename = quote(f"调度情况-{summary.period_key}.xlsx")
    return Response(
        summary_workbook(summary),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"},
    )


@router.post(
    "/rounds/{id}/close",
    response_model=RoundRead,
    summary="结束报送中的轮次（需 If-Match），并发出本轮通报",
    description="Closing queues the round's bulletin (summary and ranking) for notify in the same transaction.",
)
async def close_round(
    id: uuid.UUID, svc: RoundServiceDep, ctx: ContextDep, version: IfMatchDep, response: Response
) -> RoundRead:
    closed = await svc.close(ctx, id, version)
    set_etag(response, closed.version)
    return closed


@router.post(
    "/rounds/{id}/cancel",
    response_model=RoundRead,
    summary="取消待开启或报送中的轮次（需 If-Match）",
)
async def cancel_round(
    id: uuid.UUID, svc: RoundServiceDep, ctx: ContextDep, version: IfMatchDep, response: Response
) -> RoundRead:
    cancelled = await svc.cancel(ctx, id, version)
    set_etag(response, cancelled.version)
    return cancelled
