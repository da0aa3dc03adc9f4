"""Supervision findings: the sweep that keeps them, and reading them.

`Sweep.run` is one pass, in the caller's transaction (the loop's own, or an admin's request): it
takes a transaction-scoped advisory lock (a concurrent pass skips rather than waits), runs each
active rule's set-wise statement (`sweep_sql`) with that rule's parameters, then requests a
supervision letter from notify (through the outbox, same transaction) for every red finding not yet
notified, marking it `notified`, in one statement for all of them (`sweep_sql.RED_LETTERS`).
Every statement is keyed on (rule, subject, period), so running it twice changes nothing the first
did not.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.access import Access
from services.scheduler.findings.parameters import (
    CIRCULAR_UNSIGNED,
    INVESTMENT_LAG,
    PACE_BELOW_TIER,
    PROBLEM_OVERDUE,
    PROMOTION_CANDIDATE,
    REPORT_DEADLINE,
    STALLED_PROJECT,
    SWEPT_RULES,
    deadline_params,
    lag_params,
    overdue_params,
    promotion_params,
    signing_params,
    stall_params,
)
from services.scheduler.findings.repository import FindingRepository
from services.scheduler.findings.rule_repository import RuleRepository
from services.scheduler.findings.schemas import FindingFilters, FindingRead, FindingRule, RuleSweep, SweepRead
from shared.context import RequestContext
from shared.errors import Conflict, NotFound
from shared.outbox import Outbox
from shared.pagination import PageRequest, cut_page
from shared.schemas.common import Page


def rule_binds(code: str, version: int, parameters: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """A rule's parameters as the bind values of its statement, checked by the domain core's classes."""
    if code == REPORT_DEADLINE:
        d = deadline_params(version, parameters)
        return {"version": d.version, "blue_within_days": d.blue_within_days, "red_overdue_days": d.red_overdue_days}
    if code in (INVESTMENT_LAG, PACE_BELOW_TIER):
        lag = lag_params(version, parameters)
        return {
            "version": lag.version,
            "yellow_below": lag.yellow_below,
            "red_below": lag.red_below,
            "yellow_below_text": str(lag.yellow_below),
            "red_below_text": str(lag.red_below),
            "basis": lag.basis.value,
        }
    if code == STALLED_PROJECT:
        s = stall_params(version, parameters)
        return {
            "version": s.version,
            "yellow_rounds": s.yellow_rounds,
            "red_rounds": s.red_rounds,
            "yellow_months": s.yellow_months,
            "red_months": s.red_months,
            "investment_counts_as_progress": s.investment_counts_as_progress,
        }
    if code == PROBLEM_OVERDUE:
        o = overdue_params(version, parameters)
        return {
            "version": o.version,
            "yellow_overdue_days": o.yellow_overdue_days,
            "red_overdue_days": o.red_overdue_days,
            "zone": zone.key,
        }
    if code == PROMOTION_CANDIDATE:
        return {"version": promotion_params(version, parameters).version}
    if code == CIRCULAR_UNSIGNED:
        c = signing_params(version, parameters)
        return {
            "version": c.version,
            "yellow_after_days": c.yellow_after_days,
            "red_after_days": c.red_after_days,
            "zone": zone.key,
        }
    raise ValueError(f"no statement for rule {code!r}")


class Sweep:
    def __init__(self, session: AsyncSession, zone: ZoneInfo) -> None:
        self.session = session
        self.zone = zone
        self.repo = FindingRepository(session)

    async def run(self, now: dt.datetime) -> SweepRead | None:
        """The pass's counts, or None when another pass holds the lock."""
        if not await self.repo.try_lock_sweep():
            return None
        rules = await RuleRepository(self.session).active()
        swept = []
        for code in SWEPT_RULES:
            row = rules.get(code)
            if row is None:
                continue
            binds = rule_binds(code, row["version"], row["parameters"], self.zone)
            upserted, cleared = await self.repo.sweep(code, row["version"], binds, now)
            swept.append(RuleSweep(rule=FindingRule(code), version=row["version"], upserted=upserted, cleared=cleared))
        letters = await self.repo.queue_red_letters(now)
        return SweepRead(swept_at=now, rules=swept, letters=letters)


def finding_read(row: RowMapping) -> FindingRead:
    return FindingRead.model_validate(dict(row))


class FindingService:
    def __init__(self, session: AsyncSession, access: Access, outbox: Outbox) -> None:
        self.session = session
        self.access = access
        self.outbox = outbox
        self.repo = FindingRepository(session)

    async def visible(self, finding_id: uuid.UUID, *, lock: bool = False) -> RowMapping:
        row = await self.repo.get(finding_id, lock=lock)
        if row is None or not self.access.can_read_region(row["region_code"]):
            raise NotFound("督办发现不存在", code="finding_not_found")
        return row

    async def get(self, finding_id: uuid.UUID) -> FindingRead:
        return finding_read(await self.visible(finding_id))

    async def list(self, filters: FindingFilters) -> Page[FindingRead]:
        page = PageRequest(limit=filters.limit, cursor=filters.cursor, sort=filters.sort)
        rows, key = await self.repo.list(
            page,
            colour=filters.colour.value if filters.colour else None,
            rule=filters.rule.value if filters.rule else None,
            region=filters.region,
            kind=filters.kind.value if filters.kind else None,
            state=filters.state.value if filters.state else None,
            round_id=filters.round_id,
            scope=self.access.principal.read_scope,
        )
        items, cursor = cut_page(rows, page, key, key.lstrip("-"))
        return Page(items=[finding_read(r) for r in items], next_cursor=cursor)

    async def sweep(self, ctx: RequestContext) -> SweepRead:
        self.access.require_admin()
        result = await Sweep(self.session, ctx.zone).run(ctx.now)
        if result is None:
            raise Conflict("另一次督导核查正在进行，请稍后再试", code="sweep_in_progress")
        return result
