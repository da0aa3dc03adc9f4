"""HTTP for /problems: the problem list, each problem's moves and its history."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Response

from services.scheduler.access import AccessDep
from services.scheduler.escalation import ProblemAction
from services.scheduler.problems.schemas import (
    ProblemActionBody,
    ProblemCreate,
    ProblemFilters,
    ProblemHistory,
    ProblemRead,
    ProblemUpdate,
)
from services.scheduler.problems.service import ProblemService
from shared.app import api_router
from shared.audit import AuditDep
from shared.concurrency import IfMatchDep, etag_for, set_etag
from shared.context import ContextDep
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.schemas.common import Page

router = api_router(tags=["problems"])


async def _service(session: SessionDep, access: AccessDep, audit: AuditDep) -> ProblemService:
    return ProblemService(session, access, audit)


ProblemServiceDep = Annotated[ProblemService, Depends(_service)]
FiltersQuery = Annotated[ProblemFilters, Query()]


@router.post(
    "/problems",
    response_model=ProblemRead,
    status_code=201,
    summary="录入问题或协调事项（支持 Idempotency-Key）",
    description=(
        "A problem starts at the raising unit's coordination level (county, city, or the lead department for "
        "province-level entities) and is due after that level's handling time in working days. Problems are "
        "also raised automatically from the `difficulties` and `coordination` figures of an accepted report."
    ),
)
async def create_problem(
    body: ProblemCreate, svc: ProblemServiceDep, ctx: ContextDep, idem: IdempotencyDep
) -> Response:
    return await idem.run(
        lambda: svc.create(ctx, body),
        location=lambda r: f"/api/v1/problems/{r.id}",
        etag=lambda r: etag_for(r.version),
    )


@router.get(
    "/problems",
    response_model=Page[ProblemRead],
    summary="问题清单：按状态、协调层级、类别、地区（含下级）、责任部门、逾期筛选",
)
async def list_problems(svc: ProblemServiceDep, ctx: ContextDep, filters: FiltersQuery) -> Page[ProblemRead]:
    return await svc.list(ctx, filters)


@router.get("/problems/{id}", response_model=ProblemRead, summary="一个问题")
async def get_problem(id: uuid.UUID, svc: ProblemServiceDep, ctx: ContextDep, response: Response) -> ProblemRead:
    found = await svc.get(ctx, id)
    set_etag(response, found.version)
    return found


@router.patch("/problems/{id}", response_model=ProblemRead, summary="修改问题的标题、描述或责任部门（需 If-Match）")
async def update_problem(
    id: uuid.UUID, body: ProblemUpdate, svc: ProblemServiceDep, ctx: ContextDep, version: IfMatchDep, response: Response
) -> ProblemRead:
    changed = await svc.update(ctx, id, version, body)
    set_etag(response, changed.version)
    return changed


@router.delete("/problems/{id}", status_code=204, summary="撤回尚未受理的问题（需 If-Match）")
async def delete_problem(id: uuid.UUID, svc: ProblemServiceDep, ctx: ContextDep, version: IfMatchDep) -> Response:
    await svc.delete(ctx, id, version)
    return Response(status_code=204)


@router.get("/problems/{id}/history", response_model=ProblemHistory, summary="问题的办理过程（每一步）")
async def get_problem_history(id: uuid.UUID, svc: ProblemServiceDep, ctx: ContextDep) -> ProblemHistory:
    return await svc.history(ctx, id)


def _action_route(action: ProblemAction) -> Callable[..., Awaitable[ProblemRead]]:
    async def act(
        id: uuid.UUID,
        svc: ProblemServiceDep,
        ctx: ContextDep,
        response: Response,
        body: ProblemActionBody | None = None,
    ) -> ProblemRead:
        moved = await svc.act(ctx, id, action, body or ProblemActionBody())
        set_etag(response, moved.version)
        return moved

    act.__name__ = f"{action.value}_problem"
    return act


_WHO = {
    ProblemAction.accept: "承办单位",
    ProblemAction.resolve: "承办单位",
    ProblemAction.confirm: "提出单位",
    ProblemAction.reopen: "提出单位",
    ProblemAction.escalate: "承办单位或工程办公室",
}
for _action in ProblemAction:
    router.add_api_route(
        f"/problems/{{id}}/{_action.value}",
        _action_route(_action),
        methods=["POST"],
        response_model=ProblemRead,
        summary=f"{_action.label}（{_WHO[_action]}）",
    )
