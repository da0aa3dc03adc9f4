"""HTTP for supervision cases: open one from a red finding, reply, review the reply."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from services.scheduler.access import AccessDep
from services.scheduler.cases.schemas import CaseCreate, CaseFilters, CaseRead, ReplyCreate, ReplyReturn, ReplyReview
from services.scheduler.cases.service import CaseService
from services.scheduler.deps import SchedulerPlatformDep
from shared.app import api_router
from shared.audit import AuditDep
from shared.concurrency import etag_for, set_etag
from shared.context import ContextDep
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.schemas.common import Page

router = api_router(tags=["cases"])


async def _service(
    session: SessionDep, access: AccessDep, audit: AuditDep, platform: SchedulerPlatformDep
) -> CaseService:
    return CaseService(session, access, audit, platform.state.outbox)


CaseServiceDep = Annotated[CaseService, Depends(_service)]
FiltersQuery = Annotated[CaseFilters, Query()]


@router.post(
    "/findings/{id}/case",
    response_model=CaseRead,
    status_code=201,
    summary="将红色预警转为督办件，发督办函（支持 Idempotency-Key）",
    description=(
        "Only an unresolved red finding can become a case (409 `finding_not_red`), and only once "
        "(409 `case_exists`). A supervision letter is requested from notify through the outbox in the same "
        "transaction; the responsible unit must reply within `reply_working_days` working days."
    ),
)
async def create_case(
    id: uuid.UUID, body: CaseCreate, svc: CaseServiceDep, ctx: ContextDep, idem: IdempotencyDep
) -> Response:
    return await idem.run(
        lambda: svc.open(ctx, id, body), location=lambda r: f"/api/v1/cases/{r.id}", etag=lambda r: etag_for(r.version)
    )


@router.get("/cases", response_model=Page[CaseRead], summary="督办件列表")
async def list_cases(svc: CaseServiceDep, filters: FiltersQuery) -> Page[CaseRead]:
    return await svc.list(filters)


@router.get("/cases/{id}", response_model=CaseRead, summary="一个督办件及其整改反馈")
async def get_case(id: uuid.UUID, svc: CaseServiceDep, response: Response) -> CaseRead:
    found = await svc.get(id)
    set_etag(response, found.version)
    return found


@router.post("/cases/{id}/replies", response_model=CaseRead, status_code=201, summary="提交整改反馈（责任单位）")
async def create_case_reply(
    id: uuid.UUID, body: ReplyCreate, svc: CaseServiceDep, ctx: ContextDep, response: Response
) -> CaseRead:
    case = await svc.reply(ctx, id, body)
    set_etag(response, case.version)
    return case


@router.post("/cases/{id}/accept", response_model=CaseRead, summary="审核通过整改反馈：销号")
async def accept_case_reply(
    id: uuid.UUID, svc: CaseServiceDep, ctx: ContextDep, response: Response, body: ReplyReview | None = None
) -> CaseRead:
    case = await svc.accept(ctx, id, body or ReplyReview())
    set_etag(response, case.version)
    return case


@router.post("/cases/{id}/return", response_model=CaseRead, summary="退回整改反馈（须说明原因），重新计算反馈时限")
async def return_case_reply(
    id: uuid.UUID, body: ReplyReturn, svc: CaseServiceDep, ctx: ContextDep, response: Response
) -> CaseRead:
    case = await svc.send_back(ctx, id, body)
    set_etag(response, case.version)
    return case
