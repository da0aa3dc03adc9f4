"""The problem list (问题清单): raising, following and closing difficulties and coordination requests.

    open ──accept──► in_progress ──resolve──► resolved ──confirm──► closed (销号, by the raiser)
      ▲                   │                      └──reopen──► in_progress
      └────escalate───────┘  (one level up: county → city → department → leader, new due date)

The transitions and who may take them are `escalation.TRANSITIONS`; this module finds which parts
(`Actor`) the caller holds, applies the table, and writes the move as one statement checking the
version read, with a `problem_event` row and an audit record in the same transaction. Problems are
raised from an accepted report (`ProblemBook.raise_from_report`, inside the acceptance's
transaction: one per report and figure) or entered directly; the daily escalation pass
(`ProblemEscalation`) moves overdue ones up by rule.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.access import Access
from services.scheduler.business_calendar.repository import CalendarRepository
from services.scheduler.errors import TransitionNotAllowed
from services.scheduler.escalation import (
    TRANSITIONS,
    Actor,
    CoordinationLevel,
    Escalation,
    Problem,
    ProblemAction,
    ProblemState,
    apply,
    raise_problem,
)
from services.scheduler.findings.rule_repository import RuleRepository
from services.scheduler.problems.repository import ProblemQuery, ProblemRepository
from services.scheduler.problems.schemas import (
    ProblemActionBody,
    ProblemCategory,
    ProblemCreate,
    ProblemEventRead,
    ProblemFilters,
    ProblemHistory,
    ProblemRead,
    ProblemSource,
    ProblemUpdate,
)
from shared.audit import AuditLog
from shared.concurrency import stale
from shared.context import RequestContext
from shared.errors import AppError, Conflict, Forbidden, Invalid, NotFound
from shared.pagination import PageRequest, cut_page
from shared.regions import region_level
from shared.schemas.common import Page
from shared.schemas.enums import Level

# The report figures that become problems, and what each is.
REPORT_FIGURES = {"difficulties": ProblemCategory.difficulty, "coordination": ProblemCategory.coordination}
NOT_CLOSED = ("open", "in_progress", "resolved")
_ACTOR_ORDER = (Actor.handler, Actor.raiser, Actor.office)


def problem_read(row: RowMapping, ctx: RequestContext) -> ProblemRead:
    overdue = row["state"] in (ProblemState.open, ProblemState.in_progress) and row["due_on"] < ctx.today
    source = ProblemSource.report if row["figure"] is not None else ProblemSource.direct
    return ProblemRead.model_validate(dict(row) | {"overdue": overdue, "source": source})


def domain_problem(row: RowMapping) -> Problem:
    return Problem(ProblemState(row["state"]), CoordinationLevel(row["level"]), row["due_on"], row["due_provisional"])


class ProblemBook:
    """Writes shared by the API, the task review and the escalation pass: each with its history row."""

    def __init__(self, session: AsyncSession, audit: AuditLog) -> None:
        self.session = session
        self.audit = audit
        self.repo = ProblemRepository(session)

    async def event(
        self,
        ctx: RequestContext,
        row: RowMapping,
        action: str,
        before: RowMapping | None,
        comment: str | None = None,
        explanation: dict[str, Any] | None = None,
    ) -> None:
        await self.repo.add_event(
            {
                "problem_id": row["id"],
                "action": action,
                "from_state": before["state"] if before is not None else None,
                "to_state": row["state"],
                "from_level": before["level"] if before is not None else None,
                "to_level": row["level"],
                "due_on": row["due_on"],
                "actor_sub": ctx.principal.sub,
                "actor_role": ctx.principal.role.value,
                "comment": comment,
                "explanation": explanation,
                "occurred_at": ctx.now,
            }
        )
        await self.audit.record(
            self.session,
            ctx,
            action=f"problem_{action}",
            resource_type="problem",
            resource_id=row["id"],
            before=problem_read(before, ctx).model_dump(mode="json") if before is not None else None,
            after=problem_read(row, ctx).model_dump(mode="json"),
        )

    async def raise_from_report(self, ctx: RequestContext, task: RowMapping) -> list[RowMapping]:
        """The problems an accepted report's difficulties and coordination figures raise (once per figure)."""
        figures = task["figures"] or {}
        texts = {f: str(figures[f]).strip() for f in REPORT_FIGURES if str(figures.get(f) or "").strip()}
        if not texts:
            return []
        calendar = await CalendarRepository(self.session).calendar()
        params = await RuleRepository(self.session).escalation()
        raised = []
        for figure, text in texts.items():
            category = REPORT_FIGURES[figure]
            problem = raise_problem(Level(task["level"]), ctx.today, calendar, params)
            row = await self.repo.insert_from_report(
                {
                    "category": category.value,
                    "title": f"{task['entity_name']}：{category.label}（{task['period_key']}）"[:200],
                    "description": text,
                    "region_code": task["region_code"],
                    "entity_id": task["entity_id"],
                    "entity_kind": task["entity_kind"],
                    "entity_name": task["entity_name"],
                    "task_id": task["id"],
                    "figure": figure,
                    "assigned_department": task["lead_department_code"],
                    "level": problem.level.value,
                    "state": problem.state.value,
                    "due_on": problem.due_on,
                    "due_provisional": problem.due_provisional,
                    "raised_by": task["submitted_by"] or ctx.principal.sub,
                    "raised_region": task["region_code"],
                }
            )
            if row is not None:
                await self.event(ctx, row, "raise", None)
                raised.append(row)
        return raised

    async def escalate(self, ctx: RequestContext, row: RowMapping, escalation: Escalation) -> RowMapping | None:
        moved = escalation.problem
        values = {
            "state": moved.state.value,
            "level": moved.level.value,
            "due_on": moved.due_on,
            "due_provisional": moved.due_provisional,
            "escalated_at": ctx.now,
        }
        after = await self.repo.update(row["id"], row["version"], values)
        if after is not None:
            await self.event(ctx, after, ProblemAction.escalate.value, row, explanation=dict(escalation.explanation))
        return after


class ProblemService:
    def __init__(self, session: AsyncSession, access: Access, audit: AuditLog) -> None:
        self.session = session
        self.access = access
        self.book = ProblemBook(session, audit)
        self.repo = self.book.repo

    async def _visible(self, problem_id: uuid.UUID) -> RowMapping:
        row = await self.repo.get(problem_id)
        if row is None or not self.access.can_read_region(row["region_code"]):
            raise NotFound("问题不存在", code="problem_not_found")
        return row

    async def _lost_race(self, problem_id: uuid.UUID) -> AppError:
        """A versioned write matched no row: another request moved or changed the problem since it was
        read (412 naming the version now committed) or withdrew it (404)."""
        latest = await self.repo.get(problem_id)
        return NotFound("问题不存在", code="problem_not_found") if latest is None else stale(latest["version"])

    async def get(self, ctx: RequestContext, problem_id: uuid.UUID) -> ProblemRead:
        return problem_read(await self._visible(problem_id), ctx)

    async def list(self, ctx: RequestContext, filters: ProblemFilters) -> Page[ProblemRead]:
        query = ProblemQuery(
            state=filters.state.value if filters.state else None,
            level=filters.level.value if filters.level else None,
            category=filters.category.value if filters.category else None,
            region=filters.region,
            assigned_department=filters.assigned_department,
            task_id=filters.task_id,
            overdue=filters.overdue,
            scope=self.access.principal.read_scope,
        )
        page = PageRequest(limit=filters.limit, cursor=filters.cursor, sort=filters.sort)
        rows, key = await self.repo.list(query, page, ctx.today)
        items, cursor = cut_page(rows, page, key, key.lstrip("-"))
        return Page(items=[problem_read(r, ctx) for r in items], next_cursor=cursor)

    async def history(self, ctx: RequestContext, problem_id: uuid.UUID) -> ProblemHistory:
        await self._visible(problem_id)
        events = await self.repo.events(problem_id)
        return ProblemHistory(items=[ProblemEventRead.model_validate(dict(e)) for e in events])

    async def create(self, ctx: RequestContext, body: ProblemCreate) -> ProblemRead:
        self.access.require_operator(body.region_code)
        level = body.level or Level(region_level(body.region_code))
        calendar = await CalendarRepository(self.session).calendar()
        params = await RuleRepository(self.session).escalation()
        problem = raise_problem(level, ctx.today, calendar, params)
        p = ctx.principal
        row = await self.repo.insert(
            {
                "category": body.category.value,
                "title": body.title,
                "description": body.description,
                "region_code": body.region_code,
                "entity_id": body.entity_id,
                "assigned_department": body.assigned_department,
                "level": problem.level.value,
                "state": problem.state.value,
                "due_on": problem.due_on,
                "due_provisional": problem.due_provisional,
                "raised_by": p.sub,
                "raised_region": p.region if p.role.value in ("city", "county") else body.region_code,
            }
        )
        await self.book.event(ctx, row, "raise", None)
        return problem_read(row, ctx)

    async def update(
        self, ctx: RequestContext, problem_id: uuid.UUID, version: int, body: ProblemUpdate
    ) -> ProblemRead:
        current = await self._visible(problem_id)
        self.access.require_raiser(current)
        if current["state"] == ProblemState.closed:
            raise Conflict("问题已销号，不能修改", code="problem_closed")
        sent = body.model_fields_set
        for name in sorted(sent & {"title", "description"}):
            if getattr(body, name) is None:
                raise Invalid.field(name, "该字段不能为空", "field_required")
        changes = body.model_dump(include=sent)
        row = await self.repo.update(problem_id, version, changes, from_states=NOT_CLOSED)
        if row is None:
            raise await self._lost_race(problem_id)
        await self.book.event(ctx, row, "update", current)
        return problem_read(row, ctx)

    async def delete(self, ctx: RequestContext, problem_id: uuid.UUID, version: int) -> None:
        """Withdraw a problem nobody has taken up yet (open at its first level); otherwise 409."""
        current = await self._visible(problem_id)
        self.access.require_raiser(current)
        if current["state"] != ProblemState.open or current["escalated_at"] is not None:
            raise Conflict("问题已在办理，不能撤回", code="problem_not_open")
        if not await self.repo.delete(problem_id, version):
            raise await self._lost_race(problem_id)
        await self.book.audit.record(
            self.session,
            ctx,
            action="delete",
            resource_type="problem",
            resource_id=problem_id,
            before=problem_read(current, ctx).model_dump(mode="json"),
        )

    async def act(
        self, ctx: RequestContext, problem_id: uuid.UUID, action: ProblemAction, body: ProblemActionBody
    ) -> ProblemRead:
        """One move of the transition table: 403 when the caller holds no part that may take it,
        409 `problem_transition_not_allowed` when the state does not allow it (or another write won)."""
        current = await self._visible(problem_id)
        held = self.access.actors(current)
        state = ProblemState(current["state"])
        transition = TRANSITIONS.get((state, action))
        if transition is None:
            raise Conflict(f"问题当前为“{state.label}”，不能{action.label}", code="problem_transition_not_allowed")
        actor = next((a for a in _ACTOR_ORDER if a in held and a in transition.actors), None)
        if actor is None:
            raise Forbidden(f"您不能对该问题执行“{action.label}”", code="problem_action_forbidden")
        calendar = await CalendarRepository(self.session).calendar()
        params = await RuleRepository(self.session).escalation()
        try:
            moved = apply(domain_problem(current), action, actor, ctx.today, calendar, params)
        except TransitionNotAllowed as exc:
            raise Conflict(exc.message, code=exc.code) from None
        values: dict[str, Any] = {"state": moved.state.value, "level": moved.level.value, "due_on": moved.due_on}
        values["due_provisional"] = moved.due_provisional
        if action is ProblemAction.resolve:
            values |= {"resolved_at": ctx.now, "resolution": body.comment}
        elif action is ProblemAction.confirm:
            values["closed_at"] = ctx.now
        elif action is ProblemAction.escalate:
            values["escalated_at"] = ctx.now
        elif action is ProblemAction.reopen:
            values["resolved_at"] = None
        row = await self.repo.update(problem_id, current["version"], values, from_states=[state.value])
        if row is None:
            raise Conflict("问题已被他人同时处理，请刷新后重试", code="problem_state_conflict")
        await self.book.event(ctx, row, action.value, current, comment=body.comment)
        return problem_read(row, ctx)
