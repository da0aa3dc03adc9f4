"""A plan's rounds from its schedule: the rounds kept scheduled ahead, and opening one with its tasks.

Both run inside the caller's transaction (a request's, or the ticker's own per round):

- `reschedule` replaces the plan's unopened (`scheduled`) rounds with the next `ahead` rounds after
  now, on the current business calendar, and sets `next_tick_at`. A plan's edit of its schedule,
  window or scope, a change to the calendar, and every tick call it; open, closed and cancelled
  rounds are never touched.
- `open` makes the round for a period open: the scheduled row if there is one, otherwise a new row,
  `INSERT … ON CONFLICT DO NOTHING` on (plan, period key). Either way one statement decides, so two
  openers of one period (two replicas, a tick and a backfill) open it once; the loser gets None.
  The round's tasks are inserted with it, one per entity of the roster read beforehand; and the
  roster feed's position goes back to `feed_position`, where it stood before that read, so the
  changes committed since reach the new round (`roster_feed.follower`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.calendar import BusinessCalendar
from services.scheduler.plans.convert import first_tick_after, timing_of
from services.scheduler.plans.repository import PlanRepository
from services.scheduler.roster_feed.repository import FEED, FeedRepository
from services.scheduler.rounds.repository import RoundRepository
from services.scheduler.rounds.roster import department_codes, read_roster, region_names, snapshot
from services.scheduler.schedule import RoundTiming, preview
from services.scheduler.templates import latest_template
from shared.auth import Principal, Role
from shared.clients import RegistryClient
from shared.schemas.enums import EntityKind
from shared.schemas.registry.responses.roster import RosterEntry
from shared.schemas.scheduler.actions.plans import PlanScope
from shared.schemas.scheduler.enums import PlanStatus, RoundState, TaskState

# The actor of what the scheduler does on its own (ticks), in the audit log.
SYSTEM = Principal(sub="scheduler", role=Role.service, region="430000", name="调度服务（定时）")


@dataclass(frozen=True, slots=True)
class Roster:
    entities: list[RosterEntry]
    departments: dict[Any, tuple[str, str]]
    regions: dict[str, str] = field(default_factory=dict)


async def fetch_roster(registry: RegistryClient, plan: RowMapping, on: dt.date) -> Roster:
    """The plan's roster on `on`, from the registry (outside any transaction: it is a peer call)."""
    scope = PlanScope.model_validate(plan["scope"])
    entities = await read_roster(registry, scope, plan["region_code"], on)
    departments = await department_codes(registry) if entities else {}
    regions = await region_names(registry) if entities else {}
    return Roster(entities, departments, regions)


def timing_values(timing: RoundTiming) -> dict[str, Any]:
    return {
        "period_key": timing.period_key,
        "opens_at": timing.opens_at,
        "due_on": timing.due_on,
        "due_at": timing.due_at,
        "grace_until": timing.grace_until,
        "reminders": [r.astimezone(dt.UTC).isoformat() for r in timing.reminders],
        "provisional": timing.provisional,
    }


def template_version(plan: RowMapping, kind: EntityKind) -> int:
    version = plan["template_versions"].get(kind.value)
    return int(version) if version is not None else latest_template(kind).version


class RoundBook:
    def __init__(self, session: AsyncSession, *, ahead: int) -> None:
        self.session = session
        self.ahead = ahead
        self.rounds = RoundRepository(session)
        self.plans = PlanRepository(session)

    async def reschedule(self, plan: RowMapping, calendar: BusinessCalendar, now: dt.datetime) -> None:
        if plan["status"] != PlanStatus.active:
            await self.rounds.replace_scheduled(plan["id"], [])
            await self.plans.set_ticks(plan["id"], {"next_tick_at": None})
            return
        timing = timing_of(plan)
        after = max(plan["last_tick_at"], now)
        upcoming = preview(timing.schedule, timing.window, timing.reminders, calendar, after, self.ahead)
        await self.rounds.replace_scheduled(plan["id"], [timing_values(t) for t in upcoming])
        next_tick = first_tick_after(timing.schedule, plan["last_tick_at"])
        await self.plans.set_ticks(plan["id"], {"next_tick_at": next_tick})

    async def open(
        self,
        plan: RowMapping,
        timing: RoundTiming,
        roster: Roster,
        *,
        now: dt.datetime,
        roster_on: dt.date,
        backfill: bool,
        feed_position: int | None,
    ) -> RowMapping | None:
        """The round opened now, or None when its period already had an open, closed or cancelled round."""
        values = timing_values(timing) | {
            "state": RoundState.open.value,
            "opened_at": now,
            "roster_on": roster_on,
            "backfill": backfill,
        }
        row = await self.rounds.open_scheduled(plan["id"], timing.period_key, values)
        if row is None:
            row = await self.rounds.insert_round({"plan_id": plan["id"], **values})
        if row is None:
            return None
        await self.rounds.insert_tasks(
            [
                snapshot(entity, roster.departments, roster.regions)
                | {
                    "round_id": row["id"],
                    "plan_id": plan["id"],
                    "period_key": timing.period_key,
                    "template_version": template_version(plan, entity.kind),
                    "state": TaskState.pending.value,
                    "due_at": row["due_at"],
                }
                for entity in roster.entities
            ]
        )
        if feed_position is not None:
            await FeedRepository(self.session).rewind(FEED, feed_position)
        return row
