"""Supervision cases (督办件): a red finding made a case, the responsible unit's replies and their review.

    awaiting_reply ──reply──► replied ──accept──► closed (销号; the finding is resolved)
          ▲   │                  └──return──► awaiting_reply (a new deadline, RETURN_WORKING_DAYS)
          │   └── deadline passes (loop) ──► escalated ──reply──► replied …

Opening a case moves its finding to `rectifying` and requests a supervision letter from notify
through the outbox, in the same transaction; a case escalated by the loop moves its finding to
`escalated`. Every move is one version- and state-checked statement: of two racing, one wins (409).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.access import Access
from services.scheduler.business_calendar.repository import CalendarRepository
from services.scheduler.cases.repository import CaseRepository
from services.scheduler.cases.schemas import (
    CaseCreate,
    CaseFilters,
    CaseRead,
    CaseState,
    ReplyCreate,
    ReplyRead,
    ReplyReturn,
    ReplyReview,
)
from services.scheduler.circulars.compose import case_letter, enqueue
from services.scheduler.findings.repository import FindingRepository
from services.scheduler.findings.service import FindingService
from services.scheduler.rounds.opening import SYSTEM
from shared.audit import AuditLog
from shared.context import RequestContext
from shared.errors import Conflict, NotFound
from shared.outbox import Outbox
from shared.pagination import PageRequest, cut_page
from shared.schemas.common import Page

RETURN_WORKING_DAYS = 5
REPLYABLE = (CaseState.awaiting_reply.value, CaseState.escalated.value)


def end_of_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The first instant after `day` in `zone`: a reply is on time through the whole deadline day."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)


def case_read(row: RowMapping, replies: list[RowMapping] | None = None) -> CaseRead:
    items = [ReplyRead.model_validate(dict(r)) for r in replies or []]
    return CaseRead.model_validate(dict(row) | {"replies": items})


async def escalate_overdue_cases(session: AsyncSession, audit: AuditLog, now: dt.datetime, zone: ZoneInfo) -> int:
    """The loop's step: every case past its reply deadline escalated, its finding with it."""
    rows = await CaseRepository(session).escalate_overdue(now)
    findings = FindingRepository(session)
    ctx = RequestContext(principal=SYSTEM, request_id=None, now=now, zone=zone)
    for row in rows:
        await findings.set_state(row["finding_id"], "escalated", now)
        after = case_read(row).model_dump(mode="json")
        await audit.record(
            session, ctx, action="escalate", resource_type="supervision_case", resource_id=row["id"], after=after
        )
    return len(rows)


class CaseService:
    def __init__(self, session: AsyncSession, access: Access, audit: AuditLog, outbox: Outbox) -> None:
        self.session = session
        self.access = access
        self.audit = audit
        self.outbox = outbox
        self.repo = CaseRepository(session)
        self.findings = FindingService(session, access, outbox)

    async def _visible(self, case_id: uuid.UUID) -> RowMapping:
        row = await self.repo.get(case_id)
        if row is None or not self.access.can_read_region(row["region_code"]):
            raise NotFound("督办件不存在", code="case_not_found")
        return row

    async def _read(self, row: RowMapping) -> CaseRead:
        return case_read(row, list(await self.repo.replies(row["id"])))

    async def get(self, case_id: uuid.UUID) -> CaseRead:
        return await self._read(await self._visible(case_id))

    async def list(self, filters: CaseFilters) -> Page[CaseRead]:
        page = PageRequest(limit=filters.limit, cursor=filters.cursor, sort=filters.sort)
        rows, key = await self.repo.list(
            page,
            state=filters.state.value if filters.state else None,
            region=filters.region,
            finding_id=filters.finding_id,
            scope=self.access.principal.read_scope,
        )
        items, cursor = cut_page(rows, page, key, key.lstrip("-"))
        return Page(items=[case_read(r) for r in items], next_cursor=cursor)

    async def open(self, ctx: RequestContext, finding_id: uuid.UUID, body: CaseCreate) -> CaseRead:
        """409 `finding_not_red` unless the finding is red and unresolved; 409 `case_exists` for a second case."""
        finding = await self.findings.visible(finding_id, lock=True)
        self.access.require_case_open(finding)
        if finding["colour"] != "red" or finding["state"] == "resolved":
            raise Conflict("只有未解除的红色预警可以转为督办件", code="finding_not_red")
        calendar = await CalendarRepository(self.session).calendar()
        due_on, _ = calendar.add_working_days(ctx.today, body.reply_working_days)
        row = await self.repo.insert(
            {
                "finding_id": finding_id,
                "region_code": finding["region_code"],
                "responsible_department": body.responsible_department or finding["lead_department_code"],
                "requirement": body.requirement,
                "state": CaseState.awaiting_reply.value,
                "reply_due_on": due_on,
                "reply_due_at": end_of_day(due_on, ctx.zone),
                "opened_by": ctx.principal.sub,
            }
        )
        if row is None:
            raise Conflict("该预警已转为督办件", code="case_exists")
        await FindingRepository(self.session).set_state(finding_id, "rectifying", ctx.now)
        key, request = case_letter(row, finding)
        await enqueue(self.session, self.outbox, key, request)
        return await self._recorded(ctx, "open", None, row)

    async def reply(self, ctx: RequestContext, case_id: uuid.UUID, body: ReplyCreate) -> CaseRead:
        case = await self._visible(case_id)
        self.access.require_case_reply(case)
        if case["state"] not in REPLYABLE:
            raise Conflict("该督办件当前不需要整改反馈", code="case_not_awaiting_reply")
        seq = case["reply_count"] + 1
        row = await self.repo.transition(
            case_id, case["version"], REPLYABLE, {"state": CaseState.replied.value, "reply_count": seq}
        )
        if row is None:
            raise Conflict("督办件已被他人同时处理，请刷新后重试", code="case_state_conflict")
        await self.repo.add_reply(
            {
                "case_id": case_id,
                "seq": seq,
                "body": body.body,
                "submitted_by": ctx.principal.sub,
                "submitted_at": ctx.now,
            }
        )
        return await self._recorded(ctx, "reply", case, row)

    async def accept(self, ctx: RequestContext, case_id: uuid.UUID, body: ReplyReview) -> CaseRead:
        case, finding = await self._reviewable(case_id)
        row = await self._review(ctx, case, "accepted", body.comment, {"state": "closed", "closed_at": ctx.now})
        await FindingRepository(self.session).set_state(finding["id"], "resolved", ctx.now)
        return await self._recorded(ctx, "accept", case, row)

    async def send_back(self, ctx: RequestContext, case_id: uuid.UUID, body: ReplyReturn) -> CaseRead:
        case, _ = await self._reviewable(case_id)
        calendar = await CalendarRepository(self.session).calendar()
        due_on, _ = calendar.add_working_days(ctx.today, RETURN_WORKING_DAYS)
        values = {"state": "awaiting_reply", "reply_due_on": due_on, "reply_due_at": end_of_day(due_on, ctx.zone)}
        row = await self._review(ctx, case, "returned", body.comment, values)
        return await self._recorded(ctx, "return", case, row)

    async def _reviewable(self, case_id: uuid.UUID) -> tuple[RowMapping, RowMapping]:
        case = await self._visible(case_id)
        finding = await FindingRepository(self.session).get(case["finding_id"])
        assert finding is not None  # a case is deleted with its finding
        self.access.require_case_open(finding)
        if case["state"] != CaseState.replied:
            raise Conflict("该督办件没有待审核的整改反馈", code="case_not_replied")
        return case, finding

    async def _review(
        self, ctx: RequestContext, case: RowMapping, outcome: str, comment: str | None, values: dict[str, Any]
    ) -> RowMapping:
        row = await self.repo.transition(case["id"], case["version"], (CaseState.replied.value,), values)
        if row is None:
            raise Conflict("督办件已被他人同时审核，请刷新后重试", code="case_state_conflict")
        await self.repo.review_reply(
            case["id"],
            case["reply_count"],
            {"outcome": outcome, "comment": comment, "reviewed_by": ctx.principal.sub, "reviewed_at": ctx.now},
        )
        return row

    async def _recorded(self, ctx: RequestContext, action: str, before: RowMapping | None, row: RowMapping) -> CaseRead:
        after = await self._read(row)
        await self.audit.record(
            self.session,
            ctx,
            action=action,
            resource_type="supervision_case",
            resource_id=row["id"],
            before=case_read(before).model_dump(mode="json") if before is not None else None,
            after=after.model_dump(mode="json"),
        )
        return after
