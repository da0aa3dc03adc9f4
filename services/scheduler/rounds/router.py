"""HTTP for /rounds: list and read rounds, close or cancel one."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from services.scheduler.access import AccessDep
from services.scheduler.rounds.service import RoundFilters, RoundService
from shared.app import api_router
from shared.audit import AuditDep
from shared.concurrency import IfMatchDep, set_etag
from shared.context import ContextDep
from shared.db import SessionDep
from shared.schemas.common import Page
from shared.schemas.scheduler.responses.rounds import RoundRead

router = api_router(tags=["rounds"])


async def _service(session: SessionDep, access: AccessDep, audit: AuditDep) -> RoundService:
    return RoundService(session, access, audit)


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


@router.post(
    "/rounds/{id}/close",
    response_model=RoundRead,
    summary="结束报送中的轮次（需 If-Match）",
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
