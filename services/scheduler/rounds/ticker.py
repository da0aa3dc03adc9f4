"""The round ticker: each tick opens the rounds that active plans have due, on the loop primitive.

A tick claims plans whose `next_tick_at` has come (`FOR UPDATE SKIP LOCKED` with a lease, so any
number of replicas share the work and a dead replica's plans are claimed again once its leases
expire). For each, the missed-tick policy (`schedule.ticks_to_open`) chooses which of the ticks since
`last_tick_at` to open; each chosen round's roster is read from the registry, then the round and its
tasks are written in one transaction (`RoundBook.open`, idempotent on the period key). Last, the plan
records `last_tick_at = now`, its next tick and its scheduled rounds. A failure (the registry away)
leaves `last_tick_at` where it was: the next tick tries the same rounds again, and those already
opened are skipped.

A plan may be edited while its tick reads the roster (no lock is held across a peer call). So each
write (a round opening, the final bookkeeping) first locks the plan's row and checks that its
`version` is still the one the tick was computed from; if not, nothing of that write is kept and the
tick starts over from the plan as now committed (`PlanChanged`), skipping rounds already open. The
round's dates are computed again under that lock from the business calendar as committed then. No
round opens with a scope, window or schedule the plan no longer has; an edit (or a calendar change,
which locks every active plan) that commits after the check waits for the row lock, and its own
reschedule then leaves the open round alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.business_calendar.repository import CalendarRepository
from services.scheduler.peers import Peers
from services.scheduler.plans.convert import timing_of
from services.scheduler.plans.repository import PlanRepository
from services.scheduler.roster_feed.repository import FEED, FeedRepository
from services.scheduler.rounds.opening import SYSTEM, RoundBook, fetch_roster
from services.scheduler.rounds.repository import RoundRepository
from services.scheduler.schedule import round_timing, ticks_to_open
from services.scheduler.views import round_read
from shared.context import RequestContext
from shared.loops import Clock, WorkerService, cancelling, utc_now
from shared.schemas.scheduler.enums import PlanStatus, RoundState

log = logging.getLogger("wanqianbai.scheduler.ticks")

# How often one tick starts over on a plan edited under it before leaving the plan to the next tick.
MAX_RESTARTS = 3


class PlanChanged(Exception):
    """The plan's committed version is no longer the one the tick read: the tick's write is undone."""


@dataclass(frozen=True, slots=True)
class DuePlan:
    id: uuid.UUID
    now: dt.datetime


class RoundTicker(WorkerService[DuePlan]):
    name = "round-ticker"
    concurrency = 2
    lease_s = 120.0

    def __init__(
        self,
        peers: Peers,
        *,
        interval_s: float,
        ahead: int,
        lease_s: float = 120.0,
        clock: Clock = utc_now,
        owner: str | None = None,
    ) -> None:
        super().__init__(clock=clock, owner=owner)
        self.peers = peers
        self.interval_s = interval_s
        self.lease_s = lease_s
        self.ahead = ahead
        self.opened = 0
        self.restarted = 0  # ticks started over on a plan edited under them

    @property
    def lease_duration(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.lease_s)

    async def claim(self, now: dt.datetime, limit: int) -> Sequence[DuePlan]:
        async with self.platform.sessionmaker.begin() as session:
            rows = await PlanRepository(session).claim_due(
                owner=self.owner, now=now, duration=self.lease_duration, limit=limit
            )
        return [DuePlan(row["id"], now) for row in rows]

    async def renew(self, items: Sequence[DuePlan], now: dt.datetime) -> None:
        async with self.platform.sessionmaker.begin() as session:
            await PlanRepository(session).renew(
                [i.id for i in items], owner=self.owner, now=now, duration=self.lease_duration
            )

    async def process(self, item: DuePlan) -> None:
        try:
            await self._open_due(item)
        finally:
            if not cancelling():
                async with self.platform.sessionmaker.begin() as session:
                    await PlanRepository(session).release(item.id, owner=self.owner)

    async def _open_due(self, item: DuePlan) -> None:
        for _ in range(MAX_RESTARTS + 1):
            try:
                await self._open_plan(item)
            except PlanChanged:
                self.restarted += 1
                continue
            return
        log.warning("plan edited during every try of its tick; left to the next tick", extra={"plan_id": str(item.id)})

    async def _locked_as_read(self, session: AsyncSession, plan: RowMapping) -> RowMapping:
        """The plan's row, locked until the transaction ends; PlanChanged when it was edited since `plan` was read."""
        current = await PlanRepository(session).get(plan["id"], lock=True)
        if current is None or current["version"] != plan["version"] or current["status"] != PlanStatus.active:
            raise PlanChanged
        return current

    async def _open_plan(self, item: DuePlan) -> None:
        sessions, now = self.platform.sessionmaker, item.now
        async with sessions.begin() as session:
            plan = await PlanRepository(session).get(item.id)
            calendar = await CalendarRepository(session).calendar()
        if plan is None or plan["status"] != PlanStatus.active:
            return
        timing = timing_of(plan)
        selection = ticks_to_open(timing.schedule, plan["last_tick_at"], now, timing.policy, cap=timing.cap)
        for tick in selection.to_open:
            planned = round_timing(timing.schedule, timing.window, timing.reminders, calendar, tick)
            async with sessions.begin() as session:
                state = await RoundRepository(session).state_of(plan["id"], planned.period_key)
            if state not in (None, RoundState.scheduled):
                continue
            on = tick.astimezone(timing.schedule.zone).date()
            async with sessions.begin() as session:
                position = await FeedRepository(session).position(FEED)
            roster = await fetch_roster(self.peers.registry, plan, on)
            async with sessions.begin() as session:
                await self._locked_as_read(session, plan)
                # The calendar as committed now: a holiday entered during the roster read moves the dates.
                calendar = await CalendarRepository(session).calendar()
                planned = round_timing(timing.schedule, timing.window, timing.reminders, calendar, tick)
                book = RoundBook(session, ahead=self.ahead)
                opened = await book.open(
                    plan, planned, roster, now=now, roster_on=on, backfill=False, feed_position=position
                )
                if opened is not None:
                    self.opened += 1
                    ctx = RequestContext(principal=SYSTEM, request_id=None, now=now, zone=self.platform.zone)
                    row = await RoundRepository(session).get(opened["id"])
                    after = round_read(row).model_dump(mode="json") if row is not None else None
                    await self.platform.audit.record(
                        session, ctx, action="open", resource_type="round", resource_id=opened["id"], after=after
                    )
        async with sessions.begin() as session:
            await self._locked_as_read(session, plan)
            calendar = await CalendarRepository(session).calendar()
            plans = PlanRepository(session)
            await plans.set_ticks(plan["id"], {"last_tick_at": now})
            current = await plans.get(plan["id"])
            assert current is not None  # locked above
            await RoundBook(session, ahead=self.ahead).reschedule(current, calendar, now)
        if selection.dropped:
            log.info("missed ticks dropped", extra={"plan_id": str(plan["id"]), "policy": timing.policy.value})
