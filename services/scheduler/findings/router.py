"""HTTP for /findings: the supervision findings, an on-demand sweep, and turning a red one into a case."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from services.scheduler.access import AccessDep
from services.scheduler.deps import SchedulerPlatformDep
from services.scheduler.findings.schemas import FindingFilters, FindingRead, SweepRead
from services.scheduler.findings.service import FindingService
from shared.app import api_router
from shared.concurrency import set_etag
from shared.context import ContextDep
from shared.db import SessionDep
from shared.schemas.common import Page

router = api_router(tags=["findings"])


async def _service(session: SessionDep, access: AccessDep, platform: SchedulerPlatformDep) -> FindingService:
    return FindingService(session, access, platform.state.outbox)


FindingServiceDep = Annotated[FindingService, Depends(_service)]
FiltersQuery = Annotated[FindingFilters, Query()]


@router.get(
    "/findings",
    response_model=Page[FindingRead],
    summary="督办发现：按颜色、规则、地区（含下级）、类别、状态、轮次筛选",
)
async def list_findings(svc: FindingServiceDep, filters: FiltersQuery) -> Page[FindingRead]:
    return await svc.list(filters)


@router.get("/findings/{id}", response_model=FindingRead, summary="一个督办发现（含 explanation：为何是该颜色）")
async def get_finding(id: uuid.UUID, svc: FindingServiceDep, response: Response) -> FindingRead:
    found = await svc.get(id)
    set_etag(response, found.version)
    return found


@router.post(
    "/findings:sweep",
    response_model=SweepRead,
    summary="立即按督导规则核查一遍（仅管理员）",
    description=(
        "Runs every active supervision rule now, as the loop does: each rule is one SQL statement over all "
        "tasks, projects or problems; new red findings get a supervision letter through the outbox. "
        "409 `sweep_in_progress` while another sweep runs."
    ),
)
async def sweep_findings(svc: FindingServiceDep, ctx: ContextDep) -> SweepRead:
    return await svc.sweep(ctx)
