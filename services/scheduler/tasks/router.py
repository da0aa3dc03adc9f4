"""HTTP for /tasks: the to-do lists with counts per state, filing a report, and reviewing it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from services.scheduler.access import AccessDep
from services.scheduler.deps import SchedulerPlatformDep, request_reader
from services.scheduler.tasks.service import TaskFilters, TaskService, list_task_page
from shared.app import api_router, platform_of
from shared.audit import AuditDep
from shared.concurrency import set_etag
from shared.context import ContextDep, PrincipalDep
from shared.db import SessionDep
from shared.schemas.scheduler.actions.tasks import ReviewAccept, ReviewReturn, SubmissionCreate
from shared.schemas.scheduler.responses.tasks import TaskPage, TaskRead

router = api_router(tags=["tasks"])


async def _service(
    session: SessionDep, access: AccessDep, audit: AuditDep, platform: SchedulerPlatformDep
) -> TaskService:
    return TaskService(session, access, audit, platform.state.outbox)


TaskServiceDep = Annotated[TaskService, Depends(_service)]
FiltersQuery = Annotated[TaskFilters, Query()]


@router.get(
    "/tasks",
    response_model=TaskPage,
    summary="报送任务（待办）列表：按轮次、状态、逾期、地区（含下级）、类别、牵头部门筛选，附各状态计数",
    description=(
        "Tasks of entities that left the roster (or the plan's scope) while their round was open are kept as "
        "`withdrawn` (with `withdrawn_at`) and counted under that state; entities that came into scope meanwhile "
        "have tasks of their own, added with the entity's snapshot at that moment."
    ),
)
async def list_tasks(request: Request, principal: PrincipalDep, filters: FiltersQuery) -> Response:
    # The most requested call: no unit of work (the read lane is reached here rather than through
    # the service's dependencies), and the page is written as JSON once. The caller stays a
    # dependency so that, as on every route, a missing token is 401 before a bad query is 422.
    body = await list_task_page(request_reader(request), principal, filters, platform_of(request).clock())
    return Response(body, media_type="application/json")


@router.get("/tasks/{id}", response_model=TaskRead, summary="一个报送任务")
async def get_task(id: uuid.UUID, svc: TaskServiceDep, ctx: ContextDep, response: Response) -> TaskRead:
    task = await svc.get(ctx, id)
    set_etag(response, task.version)
    return task


@router.post(
    "/tasks/{id}/submit",
    response_model=TaskRead,
    summary="报送（按报表模板填报；退回后可重新报送）",
    description=(
        "Files `figures` against the task's report template. Every problem is reported at once as a field "
        "error on `figures.<name>` with a stable code (figure_required, amount_invalid, amount_exceeds, "
        "running_total_decreased, stage_moved_back, ...). A filed report is locked (409 `task_locked`) "
        "until it is returned; a round not open is 409 `round_not_open`; a task withdrawn because its entity "
        "left the roster while the round was open is 409 `task_withdrawn`."
    ),
)
async def submit_task(
    id: uuid.UUID, body: SubmissionCreate, svc: TaskServiceDep, ctx: ContextDep, response: Response
) -> TaskRead:
    task = await svc.submit(ctx, id, body)
    set_etag(response, task.version)
    return task


@router.post(
    "/tasks/{id}/accept",
    response_model=TaskRead,
    summary="审核通过（上一级或牵头部门）：数据写入名单库指标，项目阶段与审批状态写入项目",
    description=(
        "Accepts the filed report and queues its figures for the registry's metrics in the same transaction, "
        "and for a project its stage and approval states (only what differs from the project is written, "
        "with If-Match); the writes are delivered by the outbox relay, retried until the registry has them, "
        "each once."
    ),
)
async def accept_task(
    id: uuid.UUID, svc: TaskServiceDep, ctx: ContextDep, response: Response, body: ReviewAccept | None = None
) -> TaskRead:
    task = await svc.accept(ctx, id, body or ReviewAccept())
    set_etag(response, task.version)
    return task


@router.post(
    "/tasks/{id}/return",
    response_model=TaskRead,
    summary="退回报送（上一级或牵头部门，须说明原因）",
)
async def return_task(
    id: uuid.UUID, body: ReviewReturn, svc: TaskServiceDep, ctx: ContextDep, response: Response
) -> TaskRead:
    task = await svc.send_back(ctx, id, body)
    set_etag(response, task.version)
    return task
