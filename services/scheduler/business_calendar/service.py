"""The business calendar's overrides and completed years, admin-managed.

Every change recomputes the scheduled (unopened) rounds of every active plan in the same
transaction, so due dates and reminders follow the arrangement as soon as it is entered: a year
marked complete stops its dates being provisional.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.access import Access
from services.scheduler.business_calendar.repository import CalendarRepository
from services.scheduler.business_calendar.schemas import (
    OverrideCreate,
    OverrideRead,
    OverrideUpdate,
    YearCreate,
    YearRead,
)
from services.scheduler.plans.repository import PlanRepository
from services.scheduler.rounds.opening import RoundBook
from shared.audit import AuditLog
from shared.concurrency import stale
from shared.context import RequestContext
from shared.errors import AppError, Conflict, Invalid, NotFound


class CalendarService:
    def __init__(self, session: AsyncSession, access: Access, audit: AuditLog, *, ahead: int) -> None:
        self.session = session
        self.access = access
        self.audit = audit
        self.ahead = ahead
        self.repo = CalendarRepository(session)

    async def list_overrides(self, since: dt.date | None, until: dt.date | None) -> list[OverrideRead]:
        return [OverrideRead.model_validate(dict(r)) for r in await self.repo.list_overrides(since, until)]

    async def get_override(self, day: dt.date) -> OverrideRead:
        row = await self.repo.get_override(day)
        if row is None:
            raise NotFound("该日期没有调整记录", code="calendar_override_not_found")
        return OverrideRead.model_validate(dict(row))

    async def _lost_race(self, day: dt.date) -> AppError:
        """A versioned write matched no row: another request changed the override since it was read
        (412 naming the version now committed) or deleted it (404)."""
        latest = await self.repo.get_override(day)
        if latest is None:
            return NotFound("该日期没有调整记录", code="calendar_override_not_found")
        return stale(latest["version"])

    async def create_override(self, ctx: RequestContext, body: OverrideCreate) -> OverrideRead:
        self.access.require_admin()
        row = await self.repo.insert_override(
            {"day": body.day, "working": body.working, "note": body.note, "updated_by": ctx.principal.sub}
        )
        if row is None:
            raise Conflict("该日期已有调整记录，请修改原记录", code="calendar_override_exists")
        created = OverrideRead.model_validate(dict(row))
        await self._changed(ctx, "create", str(body.day), None, created.model_dump(mode="json"))
        return created

    async def update_override(
        self, ctx: RequestContext, day: dt.date, version: int, body: OverrideUpdate
    ) -> OverrideRead:
        self.access.require_admin()
        before = await self.get_override(day)
        changes = body.model_dump(exclude_unset=True)
        for name, value in changes.items():
            if value is None:
                raise Invalid.field(name, "该字段不能为空", "field_required")
        row = await self.repo.update_override(day, version, changes | {"updated_by": ctx.principal.sub})
        if row is None:
            raise await self._lost_race(day)
        after = OverrideRead.model_validate(dict(row))
        await self._changed(ctx, "update", str(day), before.model_dump(mode="json"), after.model_dump(mode="json"))
        return after

    async def delete_override(self, ctx: RequestContext, day: dt.date, version: int) -> None:
        self.access.require_admin()
        before = await self.get_override(day)
        if not await self.repo.delete_override(day, version):
            raise await self._lost_race(day)
        await self._changed(ctx, "delete", str(day), before.model_dump(mode="json"), None)

    async def list_years(self) -> list[YearRead]:
        return [YearRead.model_validate(dict(r)) for r in await self.repo.list_years()]

    async def complete_year(self, ctx: RequestContext, body: YearCreate) -> YearRead:
        """Mark a year's arrangement as entered in full; its dates stop being provisional."""
        self.access.require_admin()
        row = await self.repo.insert_year({"year": body.year, "note": body.note, "completed_by": ctx.principal.sub})
        if row is None:
            raise Conflict("该年度已标记为节假日安排完整", code="calendar_year_exists")
        created = YearRead.model_validate(dict(row))
        await self._changed(ctx, "create", str(body.year), None, created.model_dump(mode="json"), kind="calendar_year")
        return created

    async def reopen_year(self, ctx: RequestContext, year: int) -> None:
        self.access.require_admin()
        if not await self.repo.delete_year(year):
            raise NotFound("该年度没有完成标记", code="calendar_year_not_found")
        await self._changed(ctx, "delete", str(year), {"year": year}, None, kind="calendar_year")

    async def _changed(
        self,
        ctx: RequestContext,
        action: str,
        resource_id: str,
        before: dict[str, object] | None,
        after: dict[str, object] | None,
        *,
        kind: str = "calendar_override",
    ) -> None:
        await self.audit.record(
            self.session, ctx, action=action, resource_type=kind, resource_id=resource_id, before=before, after=after
        )
        calendar = await self.repo.calendar()
        book = RoundBook(self.session, ahead=self.ahead)
        for plan in await PlanRepository(self.session).active():
            await book.reschedule(plan, calendar, ctx.now)
