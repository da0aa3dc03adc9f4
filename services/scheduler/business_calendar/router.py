"""HTTP for /calendar: the business calendar's date overrides and its completed years (admin writes)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Path, Query, Response

from services.scheduler.access import AccessDep
from services.scheduler.business_calendar.schemas import (
    OverrideCreate,
    OverrideRead,
    OverrideUpdate,
    YearCreate,
    YearRead,
)
from services.scheduler.business_calendar.service import CalendarService
from services.scheduler.deps import SchedulerPlatformDep
from shared.app import api_router
from shared.audit import AuditDep
from shared.concurrency import IfMatchDep, etag_for, set_etag
from shared.context import ContextDep
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.schemas.common import Page

router = api_router(tags=["calendar"])
Day = Annotated[dt.date, Path(description="日期 YYYY-MM-DD")]


async def _service(
    session: SessionDep, access: AccessDep, audit: AuditDep, platform: SchedulerPlatformDep
) -> CalendarService:
    return CalendarService(session, access, audit, ahead=platform.settings.rounds_ahead)


CalendarServiceDep = Annotated[CalendarService, Depends(_service)]


@router.get("/calendar/overrides", response_model=Page[OverrideRead], summary="工作日调整（按日期范围）")
async def list_calendar_overrides(
    svc: CalendarServiceDep,
    since: Annotated[dt.date | None, Query(description="不早于该日（含）")] = None,
    until: Annotated[dt.date | None, Query(description="不晚于该日（含）")] = None,
) -> Page[OverrideRead]:
    return Page(items=await svc.list_overrides(since, until), next_cursor=None)


@router.post(
    "/calendar/overrides",
    response_model=OverrideRead,
    status_code=201,
    summary="新增某日的工作日调整（仅管理员；重排各计划未开启的轮次）",
)
async def create_calendar_override(
    body: OverrideCreate, svc: CalendarServiceDep, ctx: ContextDep, idem: IdempotencyDep
) -> Response:
    return await idem.run(
        lambda: svc.create_override(ctx, body),
        location=lambda r: f"/api/v1/calendar/overrides/{r.day}",
        etag=lambda r: etag_for(r.version),
    )


@router.get("/calendar/overrides/{day}", response_model=OverrideRead, summary="某日的工作日调整")
async def get_calendar_override(day: Day, svc: CalendarServiceDep, response: Response) -> OverrideRead:
    override = await svc.get_override(day)
    set_etag(response, override.version)
    return override


@router.patch(
    "/calendar/overrides/{day}",
    response_model=OverrideRead,
    summary="修改某日的工作日调整（仅管理员；需 If-Match）",
)
async def update_calendar_override(
    day: Day, body: OverrideUpdate, svc: CalendarServiceDep, ctx: ContextDep, version: IfMatchDep, response: Response
) -> OverrideRead:
    override = await svc.update_override(ctx, day, version, body)
    set_etag(response, override.version)
    return override


@router.delete(
    "/calendar/overrides/{day}",
    status_code=204,
    summary="删除某日的工作日调整（仅管理员；需 If-Match）",
)
async def delete_calendar_override(day: Day, svc: CalendarServiceDep, ctx: ContextDep, version: IfMatchDep) -> Response:
    await svc.delete_override(ctx, day, version)
    return Response(status_code=204)


@router.get("/calendar/years", response_model=Page[YearRead], summary="已录入完整节假日安排的年度")
async def list_calendar_years(svc: CalendarServiceDep) -> Page[YearRead]:
    return Page(items=await svc.list_years(), next_cursor=None)


@router.post(
    "/calendar/years",
    response_model=YearRead,
    status_code=201,
    summary="标记某年度节假日安排已录入完整（仅管理员；重排各计划未开启的轮次）",
)
async def create_calendar_year(
    body: YearCreate, svc: CalendarServiceDep, ctx: ContextDep, idem: IdempotencyDep
) -> Response:
    return await idem.run(lambda: svc.complete_year(ctx, body), location=lambda r: f"/api/v1/calendar/years/{r.year}")


@router.delete(
    "/calendar/years/{year}",
    status_code=204,
    summary="撤销某年度的完整标记（仅管理员）",
)
async def delete_calendar_year(
    year: Annotated[int, Path(ge=2000, le=2100)], svc: CalendarServiceDep, ctx: ContextDep
) -> Response:
    await svc.reopen_year(ctx, year)
    return Response(status_code=204)
