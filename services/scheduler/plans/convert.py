"""A plan's wire form (`shared.schemas.scheduler.actions.plans`) as the domain core's objects.

A schedule, window or reminder the domain refuses (`ScheduleInvalid`) becomes a 422 naming the
field under the request's own path, e.g. `schedule.day` or `submission_window.due_after_working_days`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from services.scheduler.errors import ScheduleInvalid
from services.scheduler.schedule import PlanSchedule, Reminder, SubmissionWindow
from shared.errors import Invalid
from shared.schemas.scheduler.actions.plans import (
    CronSchedule,
    MonthlySchedule,
    QuarterlySchedule,
    ReminderSpec,
    ScheduleSpec,
    SubmissionWindowSpec,
    WeeklySchedule,
)
from shared.schemas.scheduler.enums import MissedTickPolicy

_SCHEDULE = TypeAdapter[Any](ScheduleSpec)


@dataclass(frozen=True, slots=True)
class PlanTiming:
    """What the domain needs of a plan to compute its rounds."""

    schedule: PlanSchedule
    window: SubmissionWindow
    reminders: tuple[Reminder, ...]
    policy: MissedTickPolicy
    cap: int


def _invalid(prefix: str, exc: ScheduleInvalid) -> Invalid:
    field = exc.field if exc.field.startswith(prefix) else f"{prefix}.{exc.field}"
    if exc.field == "timezone":
        field = "timezone"
    return Invalid.field(field, exc.message, exc.code)


def plan_schedule(spec: Any, timezone: str) -> PlanSchedule:
    try:
        if isinstance(spec, CronSchedule):
            return PlanSchedule(spec.cron, spec.period, spec.reports_on, timezone)
        if isinstance(spec, MonthlySchedule):
            return PlanSchedule.monthly(spec.day, spec.at, spec.reports_on, timezone)
        if isinstance(spec, QuarterlySchedule):
            return PlanSchedule.quarterly(spec.day, spec.month_of_quarter, spec.at, spec.reports_on, timezone)
        if isinstance(spec, WeeklySchedule):
            return PlanSchedule.weekly(spec.weekday, spec.at, spec.reports_on, timezone)
        return PlanSchedule.yearly(spec.month, spec.day, spec.at, spec.reports_on, timezone)
    except ScheduleInvalid as exc:
        raise _invalid("schedule", exc) from None


def submission_window(spec: SubmissionWindowSpec) -> SubmissionWindow:
    try:
        return SubmissionWindow(spec.due_after_working_days, spec.due_day_of_month, spec.grace_working_days)
    except ScheduleInvalid as exc:
        raise _invalid("submission_window", exc) from None


def reminders(specs: Sequence[ReminderSpec]) -> tuple[Reminder, ...]:
    out = []
    for index, spec in enumerate(specs):
        try:
            out.append(Reminder(spec.working_days_before_due, spec.at))
        except ScheduleInvalid as exc:
            raise _invalid(f"reminders.{index}", exc) from None
    return tuple(out)


def timing_of(row: Mapping[Any, Any]) -> PlanTiming:
    """The stored plan (already validated when written) as domain objects."""
    return PlanTiming(
        schedule=plan_schedule(_SCHEDULE.validate_python(row["schedule"]), row["timezone"]),
        window=submission_window(SubmissionWindowSpec.model_validate(row["submission_window"])),
        reminders=reminders([ReminderSpec.model_validate(r) for r in row["reminders"]]),
        policy=MissedTickPolicy(row["missed_tick_policy"]),
        cap=row["missed_tick_cap"],
    )


def first_tick_after(schedule: PlanSchedule, after: dt.datetime) -> dt.datetime:
    return next(schedule.ticks_after(after)).astimezone(dt.UTC)
