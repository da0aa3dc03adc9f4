"""The daily escalation pass over the problem list, as a loop service.

Each tick locks the open and in-progress problems overdue by at least the rule's `overdue_days`
(`FOR UPDATE SKIP LOCKED`, so replicas share them and none waits), asks `escalation.escalate_by_rule`
what to do with each on today's date, and writes every move with its history row and audit record
in the batch's transaction, acting as the office. A problem at the top level stays where it is; the
problem_overdue finding keeps it red.
"""

from __future__ import annotations

import datetime as dt

from services.scheduler.business_calendar.repository import CalendarRepository
from services.scheduler.escalation import escalate_by_rule
from services.scheduler.findings.rule_repository import RuleRepository
from services.scheduler.problems.repository import ProblemRepository
from services.scheduler.problems.service import ProblemBook, domain_problem
from services.scheduler.rounds.opening import SYSTEM
from shared.context import RequestContext, local_date
from shared.loops import Clock, LoopService, utc_now

BATCH = 200


class ProblemEscalation(LoopService):
    name = "problem-escalation"

    def __init__(self, *, interval_s: float, clock: Clock = utc_now) -> None:
        super().__init__(clock=clock)
        self.interval_s = interval_s

    async def run_once(self, now: dt.datetime) -> int:
        today = local_date(now, self.platform.zone)
        ctx = RequestContext(principal=SYSTEM, request_id=None, now=now, zone=self.platform.zone)
        moved = 0
        async with self.platform.sessionmaker.begin() as session:
            params = await RuleRepository(session).escalation()
            calendar = await CalendarRepository(session).calendar()
            book = ProblemBook(session, self.platform.audit)
            due_before = today - dt.timedelta(days=params.overdue_days)
            for row in await ProblemRepository(session).lock_overdue(due_before, BATCH):
                escalation = escalate_by_rule(domain_problem(row), today, calendar, params)
                if escalation is not None and await book.escalate(ctx, row, escalation) is not None:
                    moved += 1
        return moved
