"""Report tasks: the to-do lists, filing a report, and its review.

    pending ──submit──► submitted ──accept──► accepted
                           │
                        return (comment)
                           ▼
                        returned ──submit──► resubmitted ──accept──► accepted
                                                  └──return──► returned …

    pending, returned ──entity leaves the roster──► withdrawn ──it comes back──► pending (returned if filed)

A filed report is locked (409 `task_locked`) until it is returned. Every move is one statement that
checks the version and state read, so of two concurrent moves one wins and the other is 409.
Accepting writes the report's figures to the registry's metrics, and a project report's stage and
approval states to the project (`tasks/progress.py`), through the outbox, in the same transaction:
the acceptance stands even while the registry is away, and the relay delivers the writes later,
each exactly once. The same transaction raises a problem for each non-blank
`difficulties` and `coordination` figure (once per report and figure).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.access import Access
from services.scheduler.periods import parse_period_key
from services.scheduler.problems.service import ProblemBook
from services.scheduler.tasks.figures import metric_writes, previous_stage, progress_write, stored
from services.scheduler.tasks.repository import SORTING, ListShape, TaskLists, TaskQuery, TaskRepository, list_values
from services.scheduler.templates import get_template, parse_figures, validate_submission
from services.scheduler.views import task_page_json, task_read
from shared.audit import AuditLog
from shared.auth import Principal
from shared.context import RequestContext
from shared.errors import Conflict, FieldError, Invalid, NotFound
from shared.outbox import Outbox
from shared.pagination import decode_cursor, encode_cursor
from shared.reads import Reader
from shared.schemas.common import PageParams, RegionCode
from shared.schemas.enums import EntityKind
from shared.schemas.scheduler.actions.tasks import ReviewAccept, ReviewReturn, SubmissionCreate
from shared.schemas.scheduler.enums import RoundState, TaskState
from shared.schemas.scheduler.responses.tasks import TaskRead

SUBMITTABLE = (TaskState.pending.value, TaskState.returned.value)
REVIEWABLE = (TaskState.submitted.value, TaskState.resubmitted.value)
REGISTRY = "registry"
RECORD_METRIC = "record_metric"
UPDATE_PROJECT = "update_project"


class _TaskFilterFields(BaseModel):
    round_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    entity_id: uuid.UUID | None = None
    state: TaskState | None = None
    overdue: bool | None = Field(default=None, description="true 只看逾期（过截止时刻仍未报送）")
    region: RegionCode | None = Field(default=None, description="对象所在地区，含下级地区")
    kind: EntityKind | None = None
    department: str | None = Field(default=None, max_length=60, description="牵头部门代码")
    sort: str | None = Field(default=None, description="due_at（默认）、created_at、entity_name，前加 - 为倒序")


class TaskFilters(PageParams, _TaskFilterFields):
    """Query parameters of the task list."""


async def list_task_page(reader: Reader, principal: Principal, filters: TaskFilters, now: dt.datetime) -> bytes:
    """The caller's page of tasks with the counts per state, as the JSON of `TaskPage`.

    On the read lane: no unit of work, each statement compiled once per shape of the query. 422 for
    an unknown sort or a cursor of another sort."""
    query = TaskQuery(
        round_id=filters.round_id,
        plan_id=filters.plan_id,
        entity_id=filters.entity_id,
        state=filters.state.value if filters.state else None,
        overdue=filters.overdue,
        region=filters.region,
        kind=filters.kind.value if filters.kind else None,
        department=filters.department,
        scope=principal.read_scope,
    )
    key, column, _ = SORTING.resolve(filters.sort)
    after = decode_cursor(filters.cursor, key, [column.type.python_type, uuid.UUID]) if filters.cursor else []
    shape = ListShape.of(query, key, bool(after))
    values = list_values(query, now, filters.limit, after)
    lists = TaskLists(reader)
    rows = await lists.page(shape, values)
    items, cursor = rows[: filters.limit], None
    if len(rows) > filters.limit:
        cursor = encode_cursor(key, [items[-1][key.lstrip("-")], items[-1]["id"]])
    counts, overdue = await lists.counts(shape, values)
    return task_page_json(items, cursor, counts, overdue)


class TaskService:
    def __init__(self, session: AsyncSession, access: Access, audit: AuditLog, outbox: Outbox) -> None:
        self.session = session
        self.access = access
        self.audit = audit
        self.outbox = outbox
        self.repo = TaskRepository(session)

    async def _visible(self, task_id: uuid.UUID) -> RowMapping:
        row = await self.repo.get(task_id)
        if row is None or not self.access.can_read_task(row):
            raise NotFound("报送任务不存在", code="task_not_found")
        return row

    async def get(self, ctx: RequestContext, task_id: uuid.UUID) -> TaskRead:
        return task_read(await self._visible(task_id), ctx.now)

    async def _prior_figures(self, task: RowMapping) -> dict[str, Any] | None:
        """The figures of the entity's accepted report for the latest period before this task's in the
        same year (whichever plan asked for it), which year-to-date figures must not fall below.

        Periods are ordered by when they begin, not by when they were accepted: a late correction of
        an earlier month does not become the base for this one."""
        period = parse_period_key(task["period_key"])
        earlier = [
            (start, row["figures"])
            for row in await self.repo.accepted_near(task["entity_id"], period.start.year, task["id"])
            if (start := parse_period_key(row["period_key"]).start).year == period.start.year and start < period.start
        ]
        return max(earlier, key=lambda pair: pair[0])[1] if earlier else None

    async def submit(self, ctx: RequestContext, task_id: uuid.UUID, body: SubmissionCreate) -> TaskRead:
        """File the report: 404 outside the caller's scope, 409 when locked or the round is not open,
        422 with one error per bad figure (`figures.<name>`)."""
        task = await self._visible(task_id)
        self.access.require_submit(task)
        if task["round_state"] != RoundState.open:
            raise Conflict("该轮次未在报送中，不能报送", code="round_not_open")
        if task["state"] == TaskState.withdrawn:
            raise Conflict("该对象已移出名单，报送任务已撤销", code="task_withdrawn")
        if task["state"] not in SUBMITTABLE:
            raise Conflict("报送已提交，退回前不能修改", code="task_locked")
        template = get_template(EntityKind(task["entity_kind"]), task["template_version"])
        assert template is not None  # versions are checked when a plan is written
        prior = await self._prior_figures(task)
        total = task["facts"].get("total_investment")
        problems = validate_submission(
            template,
            body.figures,
            prior,
            _decimal(total),
            previous_stage(prior, task["facts"]),
        )
        if problems:
            errors = [FieldError(f"figures.{p.field}", p.message, p.code) for p in problems]
            codes = {e.code for e in errors}
            detail = "；".join(f"{e.field}: {e.message}" for e in errors[:5])
            raise Invalid(detail, code=codes.pop() if len(codes) == 1 else "submission_invalid", errors=errors)
        figures = stored(parse_figures(template, body.figures).values)
        state = TaskState.submitted if task["state"] == TaskState.pending else TaskState.resubmitted
        seq = task["submission_count"] + 1
        row = await self.repo.transition(
            task_id,
            task["version"],
            SUBMITTABLE,
            {
                "state": state.value,
                "figures": figures,
                "submission_count": seq,
                "submitted_at": ctx.now,
                "submitted_by": ctx.principal.sub,
                "review_comment": None,
            },
        )
        if row is None:
            raise Conflict("任务已被他人同时修改，请刷新后重试", code="task_state_conflict")
        await self.repo.add_submission(
            {
                "task_id": task_id,
                "seq": seq,
                "figures": figures,
                "submitted_by": ctx.principal.sub,
                "submitted_at": ctx.now,
            }
        )
        return await self._recorded(ctx, "submit", task, row)

    async def accept(self, ctx: RequestContext, task_id: uuid.UUID, body: ReviewAccept) -> TaskRead:
        task = await self._reviewable(task_id)
        row = await self._review(ctx, task, TaskState.accepted, body.comment, {"accepted_at": ctx.now})
        kind = EntityKind(task["entity_kind"])
        for key, metric in metric_writes(kind, task["entity_id"], task["round_id"], task["period_key"], row["figures"]):
            await self.outbox.enqueue(
                self.session,
                peer=REGISTRY,
                operation=RECORD_METRIC,
                idempotency_key=key,
                payload=metric.model_dump(mode="json"),
            )
        progress = progress_write(kind, task["entity_id"], task["round_id"], task["period_key"], row["figures"])
        if progress is not None:
            key, change = progress
            await self.outbox.enqueue(
                self.session,
                peer=REGISTRY,
                operation=UPDATE_PROJECT,
                idempotency_key=key,
                payload=change.model_dump(mode="json"),
            )
        await ProblemBook(self.session, self.audit).raise_from_report(ctx, row)
        return await self._recorded(ctx, "accept", task, row)

    async def send_back(self, ctx: RequestContext, task_id: uuid.UUID, body: ReviewReturn) -> TaskRead:
        task = await self._reviewable(task_id)
        row = await self._review(ctx, task, TaskState.returned, body.comment, {})
        return await self._recorded(ctx, "return", task, row)

    async def _reviewable(self, task_id: uuid.UUID) -> RowMapping:
        task = await self._visible(task_id)
        self.access.require_review(task)
        if task["state"] not in REVIEWABLE:
            raise Conflict("该任务没有待审核的报送", code="task_not_submitted")
        return task

    async def _review(
        self, ctx: RequestContext, task: RowMapping, to: TaskState, comment: str | None, extra: dict[str, Any]
    ) -> RowMapping:
        values = {
            "state": to.value,
            "reviewed_at": ctx.now,
            "reviewed_by": ctx.principal.sub,
            "review_comment": comment,
        }
        row = await self.repo.transition(task["id"], task["version"], REVIEWABLE, values | extra)
        if row is None:
            raise Conflict("任务已被他人同时审核，请刷新后重试", code="task_state_conflict")
        await self.repo.review_submission(
            task["id"],
            task["submission_count"],
            {"outcome": to.value, "comment": comment, "reviewed_by": ctx.principal.sub, "reviewed_at": ctx.now},
        )
        return row

    async def _recorded(self, ctx: RequestContext, action: str, before: RowMapping, row: RowMapping) -> TaskRead:
        after = task_read(row, ctx.now)
        await self.audit.record(
            self.session,
            ctx,
            action=action,
            resource_type="report_task",
            resource_id=row["id"],
            before=task_read(before, ctx.now).model_dump(mode="json"),
            after=after.model_dump(mode="json"),
        )
        return after


def _decimal(raw: object) -> Decimal | None:
    return Decimal(str(raw)) if raw is not None else None
