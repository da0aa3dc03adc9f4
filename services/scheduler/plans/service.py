"""Dispatch plans: create, read, change, delete, preview; backfill a past period by hand.

Writing a plan and replacing its scheduled rounds commit together: a change to the schedule, time
zone, window, reminders, scope or status calls `RoundBook.reschedule` in the same transaction, and
open rounds are never touched. Concurrent changes of one version: one statement checks it, one wins.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.access import Access
from services.scheduler.business_calendar.repository import CalendarRepository
from services.scheduler.errors import ScheduleInvalid
from services.scheduler.peers import Peers
from services.scheduler.periods import parse_period_key
from services.scheduler.plans.convert import plan_schedule, reminders, submission_window
from services.scheduler.plans.repository import PlanQuery, PlanRepository
from services.scheduler.roster_feed.repository import FEED, FeedRepository
from services.scheduler.rounds.opening import RoundBook, fetch_roster
from services.scheduler.rounds.repository import RoundRepository
from services.scheduler.schedule import preview, round_timing
from services.scheduler.templates import get_template, latest_template
from services.scheduler.views import plan_read, round_read
from shared.audit import AuditLog
from shared.concurrency import stale
from shared.context import RequestContext
from shared.errors import AppError, Conflict, Invalid, NotFound
from shared.pagination import PageRequest, cut_page
from shared.regions import covers
from shared.schemas.common import PageParams
from shared.schemas.enums import EntityKind
from shared.schemas.scheduler.actions.plans import BackfillRoundCreate, PlanCreate, PlanScope, PlanUpdate
from shared.schemas.scheduler.enums import PlanStatus
from shared.schemas.scheduler.responses.plans import PlanPreview, PlanRead, RoundPreview
from shared.schemas.scheduler.responses.rounds import RoundRead

# A change to any of these recomputes the plan's scheduled rounds.
TIMING_FIELDS = frozenset(
    {"schedule", "timezone", "submission_window", "reminders", "scope", "status", "template_versions"}
)
REQUIRED_FIELDS = frozenset(PlanUpdate.model_fields)


class _PlanFilterFields(BaseModel):
    status: PlanStatus | None = None
    owner_department: str | None = Field(default=None, max_length=60)
    sort: str | None = Field(default=None, description="name、created_at、updated_at，前加 - 为倒序；默认 -updated_at")


class PlanFilters(PageParams, _PlanFilterFields):
    """Query parameters of the plan list."""


def _checked_versions(versions: dict[EntityKind, int], scope: PlanScope) -> dict[str, int]:
    """Every kind in scope with its template version: the one asked for, else the latest."""
    out: dict[str, int] = {}
    for kind in versions:
        if kind not in scope.kinds:
            raise Invalid.field(f"template_versions.{kind.value}", "该类别不在计划范围内", "template_kind_not_in_scope")
    for kind in scope.kinds:
        version = versions.get(kind, latest_template(kind).version)
        if get_template(kind, version) is None:
            raise Invalid.field(
                f"template_versions.{kind.value}", f"{kind.label}没有第 {version} 版报表模板", "template_unknown"
            )
        out[kind.value] = version
    return out


def _checked_scope(scope: PlanScope, region_code: str) -> None:
    for index, region in enumerate(scope.regions):
        if not covers(region_code, region):
            raise Invalid.field(f"scope.regions.{index}", "范围中的地区须在计划所属地区内", "scope_region_outside_plan")


class PlanService:
    def __init__(self, session: AsyncSession, access: Access, audit: AuditLog, *, ahead: int) -> None:
        self.session = session
        self.access = access
        self.audit = audit
        self.ahead = ahead
        self.repo = PlanRepository(session)
        self.book = RoundBook(session, ahead=ahead)

    async def _visible(self, plan_id: uuid.UUID, *, lock: bool = False) -> RowMapping:
        row = await self.repo.get(plan_id, lock=lock)
        if row is None or not self.access.can_see_plan(row["region_code"]):
            raise NotFound("调度计划不存在", code="plan_not_found")
        return row

    async def _lost_race(self, plan_id: uuid.UUID) -> AppError:
        """A versioned write matched no row: another request changed the plan since it was read (412
        naming the version now committed) or deleted it (404)."""
        latest = await self.repo.get(plan_id)
        return NotFound("调度计划不存在", code="plan_not_found") if latest is None else stale(latest["version"])

    async def get(self, plan_id: uuid.UUID) -> PlanRead:
        return plan_read(await self._visible(plan_id))

    async def list(self, filters: PlanFilters) -> tuple[list[PlanRead], str | None]:
        query = PlanQuery(
            status=filters.status.value if filters.status else None,
            owner_department=filters.owner_department,
            scope=self.access.principal.read_scope,
        )
        page = PageRequest(limit=filters.limit, cursor=filters.cursor, sort=filters.sort)
        rows, key = await self.repo.list(query, page)
        items, cursor = cut_page(rows, page, key, key.lstrip("-"))
        return [plan_read(r) for r in items], cursor

    def _columns(self, body: PlanCreate) -> dict[str, Any]:
        """The plan's stored form, every part checked by the domain core first (422 naming the field)."""
        schedule = plan_schedule(body.schedule, body.timezone)
        submission_window(body.submission_window)
        reminders(body.reminders)
        _checked_scope(body.scope, body.region_code)
        return {
            "name": body.name,
            "owner_department": body.owner_department,
            "region_code": body.region_code,
            "schedule": body.schedule.model_dump(mode="json"),
            "cron": schedule.cron,
            "period_kind": schedule.period.value,
            "timezone": body.timezone,
            "scope": body.scope.model_dump(mode="json"),
            "template_versions": _checked_versions(body.template_versions, body.scope),
            "submission_window": body.submission_window.model_dump(mode="json"),
            "reminders": [r.model_dump(mode="json") for r in body.reminders],
            "missed_tick_policy": body.missed_tick_policy.value,
            "missed_tick_cap": body.missed_tick_cap,
            "status": body.status.value,
        }

    async def create(self, ctx: RequestContext, body: PlanCreate) -> PlanRead:
        self.access.require_plan_write(body.region_code, body.owner_department)
        columns = self._columns(body)
        row = await self.repo.insert(columns | {"created_by": ctx.principal.sub, "last_tick_at": ctx.now})
        await self.book.reschedule(row, await CalendarRepository(self.session).calendar(), ctx.now)
        created = plan_read(await self._visible(row["id"]))
        await self.audit.record(
            self.session, ctx, action="create", resource_type="plan", resource_id=created.id, after=_dump(created)
        )
        return created

    async def update(self, ctx: RequestContext, plan_id: uuid.UUID, version: int, body: PlanUpdate) -> PlanRead:
        current = await self._visible(plan_id)
        self.access.require_plan_write(current["region_code"], current["owner_department"])
        sent = body.model_fields_set
        for name in sorted(sent & REQUIRED_FIELDS):
            if getattr(body, name) is None:
                raise Invalid.field(name, "该字段不能为空", "field_required")
        before = plan_read(current)
        stored = before.model_dump(mode="json", include=set(PlanCreate.model_fields))
        if "scope" in sent and "template_versions" not in sent:
            kinds = {kind.value for kind in body.scope.kinds} if body.scope else set()
            stored["template_versions"] = {k: v for k, v in stored["template_versions"].items() if k in kinds}
        merged = PlanCreate.model_validate(stored | body.model_dump(mode="json", include=sent))
        if "owner_department" in sent:
            self.access.require_plan_write(current["region_code"], merged.owner_department)
        columns = self._columns(merged)
        changes = {name: value for name, value in columns.items() if current[name] != value}
        if "status" in changes and merged.status is PlanStatus.active and current["status"] != PlanStatus.active:
            changes["last_tick_at"] = max(current["last_tick_at"], ctx.now)
        row = await self.repo.update(plan_id, version, changes)
        if row is None:
            raise await self._lost_race(plan_id)
        if TIMING_FIELDS & changes.keys():
            await self.book.reschedule(row, await CalendarRepository(self.session).calendar(), ctx.now)
        after = plan_read(await self._visible(plan_id))
        await self.audit.record(
            self.session,
            ctx,
            action="update",
            resource_type="plan",
            resource_id=plan_id,
            before=_dump(before),
            after=_dump(after),
        )
        return after

    async def delete(self, ctx: RequestContext, plan_id: uuid.UUID, version: int) -> None:
        """Remove a plan that never opened a round; one with history is paused instead (409)."""
        current = await self._visible(plan_id)
        self.access.require_plan_write(current["region_code"], current["owner_department"])
        if await self.repo.has_history(plan_id):
            raise Conflict("计划已有开启过的轮次，不能删除；可改为暂停", code="plan_has_rounds")
        if not await self.repo.delete(plan_id, version):
            raise await self._lost_race(plan_id)
        await self.audit.record(
            self.session,
            ctx,
            action="delete",
            resource_type="plan",
            resource_id=plan_id,
            before=_dump(plan_read(current)),
        )

    async def preview(self, ctx: RequestContext, plan_id: uuid.UUID, count: int) -> PlanPreview:
        row = await self._visible(plan_id)
        body = _spec(row)
        schedule = plan_schedule(body.schedule, body.timezone)
        calendar = await CalendarRepository(self.session).calendar()
        rounds = preview(
            schedule, submission_window(body.submission_window), reminders(body.reminders), calendar, ctx.now, count
        )
        return PlanPreview(
            plan_id=plan_id,
            after=ctx.now,
            rounds=[
                RoundPreview(
                    period_key=r.period_key,
                    opens_at=r.opens_at,
                    due_on=r.due_on,
                    due_at=r.due_at,
                    grace_until=r.grace_until,
                    reminders=list(r.reminders),
                    provisional=r.provisional,
                )
                for r in rounds
            ],
        )

    async def backfill(
        self, ctx: RequestContext, plan_id: uuid.UUID, body: BackfillRoundCreate, peers: Peers
    ) -> RoundRead:
        """Open the round of a past (or the current) period now: admin only; 409 when it has a round.

        The plan's row stays locked from here to the commit, through the roster read: an edit waits,
        so the round opens with the scope and window it was computed from."""
        plan = await self._visible(plan_id, lock=True)
        self.access.require_admin()
        try:
            period = parse_period_key(body.period_key)
        except ScheduleInvalid as exc:
            raise Invalid.field("period_key", exc.message, exc.code) from None
        if period.kind.value != plan["period_kind"]:
            raise Invalid.field("period_key", "报告期类型与计划不符", "period_kind_mismatch")
        if period.start > ctx.today:
            raise Invalid.field("period_key", "只能补开已开始的报告期", "period_in_future")
        state = await RoundRepository(self.session).state_of(plan_id, period.key)
        if state not in (None, "scheduled"):
            raise Conflict("该报告期已有轮次", code="round_exists")
        body_plan = _spec(plan)
        schedule = plan_schedule(body_plan.schedule, body_plan.timezone)
        calendar = await CalendarRepository(self.session).calendar()
        timing = round_timing(
            schedule, submission_window(body_plan.submission_window), reminders(body_plan.reminders), calendar, ctx.now
        )
        roster_on = min(period.end, ctx.today)
        position = await FeedRepository(self.session).position(FEED)
        roster = await fetch_roster(peers.registry, plan, roster_on)
        opened = await self.book.open(
            plan,
            replace(timing, period_key=period.key),
            roster,
            now=ctx.now,
            roster_on=roster_on,
            backfill=True,
            feed_position=position,
        )
        if opened is None:
            raise Conflict("该报告期已有轮次", code="round_exists")
        row = await RoundRepository(self.session).get(opened["id"])
        assert row is not None
        created = round_read(row)
        await self.audit.record(
            self.session, ctx, action="backfill", resource_type="round", resource_id=created.id, after=_dump(created)
        )
        return created


def _spec(row: RowMapping) -> PlanCreate:
    """A stored plan as the body that would create it (every part was checked when it was written)."""
    return PlanCreate.model_validate(plan_read(row).model_dump(mode="json", include=set(PlanCreate.model_fields)))


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
