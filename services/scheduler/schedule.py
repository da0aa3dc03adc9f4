"""Plan schedules: when a plan's rounds open, which period each reports on, when each falls due.

Ticks. A plan ticks on a five-field cron expression (minute hour day-of-month month day-of-week,
croniter's dialect: `L`, `W` and `#` are accepted) read as wall-clock time in an IANA zone,
`Asia/Shanghai` unless told. A cron day that a month lacks is simply not matched (`0 9 31 * *`
skips 30-day months, as cron does); the `monthly` convenience takes `day=-1` for the last day
instead. In a zone with daylight saving, a wall-clock tick that falls in the spring-forward gap
fires at the same wall-clock time plus the gap (02:30 becomes 03:30) and a tick in the repeated
autumn hour fires once, at its first occurrence; ticks never repeat an instant. Every datetime in
and out is tz-aware; results are in the plan's zone (`.astimezone(UTC)` normalises them).

Reported period. A tick reports on the period of its local date (`current`) or on the one before
(`previous`). Every convenience defaults to `previous`: a round opened on 12-01 collects November,
one opened on 01-02 collects the fourth quarter or the past year. A raw cron must say which.

Submission window. It opens at the tick. It falls due either N working days after the opening
date (the opening date not counted) or on day D of the month: the first such day on or after the
opening date, clamped to the month's last day (D = 31 in November is 11-30), moved to the next
working day when it is not one. `due_at` is the end of the due date, the instant a report becomes
late (00:00 local of the next calendar day; on time means `submitted_at < due_at`). A grace of G
working days gives `grace_until`, the end of the G-th working day after the due date.

Reminders. "n working days before the due date, at a time of day" (09:00 local unless told);
n = 0 is the due date itself. A reminder that would not fall strictly between the opening and
`due_at` is dropped, and reminders landing on the same instant are sent once.

Missed ticks. Given the last processed instant and `now`, the ticks pending are those in
(last_processed, now]. A tick is *due now* when it is at most `due_now_within` (one hour) old;
older pending ticks are *missed*:

    skip     open only a tick due now; missed ones are dropped
    latest   open the most recent pending tick, due now or missed (the default)
    all      open every pending tick, oldest first, at most the `cap` most recent of them

Anything computed on a provisional calendar day (see `services.scheduler.calendar`) makes the
round's timing provisional.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, CroniterError, croniter

from services.scheduler.calendar import BusinessCalendar
from services.scheduler.errors import ScheduleInvalid
from services.scheduler.periods import Period, last_day_of_month, period_of
from shared.schemas.scheduler.enums import MissedTickPolicy as MissedTickPolicy
from shared.schemas.scheduler.enums import PeriodKind
from shared.schemas.scheduler.enums import ReportedPeriod as ReportedPeriod

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_TIME_OF_DAY = dt.time(9, 0)
UTC = dt.UTC
# croniter searches this far for the next match; a plan that matches less often than this is a mistake.
_CRON_SEARCH_YEARS = 8


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleInvalid(
            "timezone", "timezone_unknown", f"未知的时区：{name}（应为 IANA 时区名，如 Asia/Shanghai）"
        ) from None


def _check_cron(expression: str) -> str:
    fields = expression.split()
    if len(fields) != 5:
        raise ScheduleInvalid(
            "cron",
            "cron_field_count",
            f"cron 表达式须为 5 段（分 时 日 月 周），实为 {len(fields)} 段：{expression!r}",
        )
    normalised = " ".join(fields)
    try:
        probe = croniter(normalised, dt.datetime(2000, 1, 1), max_years_between_matches=_CRON_SEARCH_YEARS)
        probe.get_next(dt.datetime)
    except CroniterBadDateError:
        raise ScheduleInvalid("cron", "cron_never_fires", f"cron 表达式永远不会触发：{normalised}") from None
    except (CroniterError, ValueError) as exc:
        raise ScheduleInvalid("cron", "cron_invalid", f"cron 表达式无效：{normalised}（{exc}）") from None
    return normalised


def _check_time_of_day(at: dt.time, field: str) -> None:
    if at.tzinfo is not None or at.second or at.microsecond:
        raise ScheduleInvalid(field, "time_of_day_invalid", "时刻须为不带时区、精确到分钟的本地时间，如 09:00")


def _check_aware(value: dt.datetime, field: str) -> None:
    if value.utcoffset() is None:
        raise ValueError(f"{field} must be timezone-aware")


def _localise(wall_clock: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A real instant for a wall-clock time: a gap time moves forward by the gap, a repeated one is the first."""
    return wall_clock.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


@dataclass(frozen=True, slots=True)
class PlanSchedule:
    cron: str
    period: PeriodKind
    reports_on: ReportedPeriod
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        object.__setattr__(self, "cron", _check_cron(self.cron))
        _zone(self.timezone)

    @classmethod
    def monthly(
        cls,
        day: int = 1,
        at: dt.time = DEFAULT_TIME_OF_DAY,
        reports_on: ReportedPeriod = ReportedPeriod.previous,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> PlanSchedule:
        """A tick on `day` (1–28, or -1 for the month's last day) of every month."""
        if not (1 <= day <= 28 or day == -1):
            raise ScheduleInvalid(
                "day", "monthly_day_invalid", "每月触发日须为 1–28，或 -1 表示月末（29–31 日并非每月都有）"
            )
        _check_time_of_day(at, "at")
        dom = "L" if day == -1 else str(day)
        return cls(f"{at.minute} {at.hour} {dom} * *", PeriodKind.month, reports_on, timezone)

    @classmethod
    def quarterly(
        cls,
        day: int = 1,
        month_of_quarter: int = 1,
        at: dt.time = DEFAULT_TIME_OF_DAY,
        reports_on: ReportedPeriod = ReportedPeriod.previous,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> PlanSchedule:
        """A tick on `day` (1–28) of the `month_of_quarter`-th month (1–3) of every quarter."""
        if not 1 <= day <= 28:
            raise ScheduleInvalid("day", "quarterly_day_invalid", "每季度触发日须为 1–28")
        if not 1 <= month_of_quarter <= 3:
            raise ScheduleInvalid("month_of_quarter", "month_of_quarter_invalid", "季度内月份须为 1–3")
        _check_time_of_day(at, "at")
        months = ",".join(str(first + month_of_quarter - 1) for first in (1, 4, 7, 10))
        return cls(f"{at.minute} {at.hour} {day} {months} *", PeriodKind.quarter, reports_on, timezone)

    @classmethod
    def weekly(
        cls,
        weekday: int = 1,
        at: dt.time = DEFAULT_TIME_OF_DAY,
        reports_on: ReportedPeriod = ReportedPeriod.previous,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> PlanSchedule:
        """A tick every week on ISO `weekday` (1 = Monday … 7 = Sunday)."""
        if not 1 <= weekday <= 7:
            raise ScheduleInvalid("weekday", "weekday_invalid", "星期须为 1（周一）到 7（周日）")
        _check_time_of_day(at, "at")
        return cls(f"{at.minute} {at.hour} * * {weekday % 7}", PeriodKind.week, reports_on, timezone)

    @classmethod
    def yearly(
        cls,
        month: int = 1,
        day: int = 1,
        at: dt.time = DEFAULT_TIME_OF_DAY,
        reports_on: ReportedPeriod = ReportedPeriod.previous,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> PlanSchedule:
        if not 1 <= month <= 12 or not 1 <= day <= 28:
            raise ScheduleInvalid("day", "yearly_date_invalid", "每年触发日期须为 1–12 月的 1–28 日")
        _check_time_of_day(at, "at")
        return cls(f"{at.minute} {at.hour} {day} {month} *", PeriodKind.year, reports_on, timezone)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    def reported_period(self, tick: dt.datetime) -> Period:
        _check_aware(tick, "tick")
        current = period_of(self.period, tick.astimezone(self.zone).date())
        return current.previous() if self.reports_on is ReportedPeriod.previous else current

    def ticks_after(self, after: dt.datetime) -> Iterator[dt.datetime]:
        """Every tick strictly after `after`, in order, without end."""
        _check_aware(after, "after")
        zone = self.zone
        wall_clock = croniter(self.cron, after.astimezone(zone).replace(tzinfo=None))
        last = after
        while True:
            tick = _localise(wall_clock.get_next(dt.datetime), zone)
            if tick > last:
                yield tick
                last = tick

    def ticks_back(self, until: dt.datetime, since: dt.datetime) -> Iterator[dt.datetime]:
        """Every tick in (since, until], newest first."""
        _check_aware(until, "until")
        _check_aware(since, "since")
        zone = self.zone
        # get_prev is strict and ticks fall on whole minutes, so start late and filter. Two hours late:
        # when `until` is in the second pass of a repeated autumn hour, a wall-clock time just after it
        # (02:30 at 02:10 CET, say) came first, an hour earlier, and must still be found.
        start = until.astimezone(zone).replace(tzinfo=None) + dt.timedelta(hours=2, minutes=1)
        wall_clock = croniter(self.cron, start)
        newest: dt.datetime | None = None
        while True:
            tick = _localise(wall_clock.get_prev(dt.datetime), zone)
            if tick <= since:
                return
            if tick <= until and (newest is None or tick < newest):
                yield tick
                newest = tick


@dataclass(frozen=True, slots=True)
class SubmissionWindow:
    due_after_working_days: int | None = None
    due_day_of_month: int | None = None
    grace_working_days: int = 0

    def __post_init__(self) -> None:
        if (self.due_after_working_days is None) == (self.due_day_of_month is None):
            raise ScheduleInvalid(
                "due_after_working_days", "due_rule_ambiguous", "截止规则须二选一：开启后 N 个工作日，或每月第 D 日"
            )
        if self.due_after_working_days is not None and self.due_after_working_days < 0:
            raise ScheduleInvalid("due_after_working_days", "due_after_negative", "截止工作日数不能为负数")
        if self.due_day_of_month is not None and not 1 <= self.due_day_of_month <= 31:
            raise ScheduleInvalid("due_day_of_month", "due_day_invalid", "截止日须为 1–31")
        if self.grace_working_days < 0:
            raise ScheduleInvalid("grace_working_days", "grace_negative", "宽限工作日数不能为负数")


def day_of_month_on_or_after(day: int, opened_on: dt.date) -> dt.date:
    """The first date on or after `opened_on` that is day `day` of its month, clamped to the month's end."""
    year, month = opened_on.year, opened_on.month
    candidate = _clamped(year, month, day)
    if candidate < opened_on:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        candidate = _clamped(year, month, day)
    return candidate


def _clamped(year: int, month: int, day: int) -> dt.date:
    last = last_day_of_month(year, month)
    return last if day > last.day else last.replace(day=day)


@dataclass(frozen=True, slots=True)
class Reminder:
    working_days_before_due: int = 0
    at: dt.time = DEFAULT_TIME_OF_DAY

    def __post_init__(self) -> None:
        if self.working_days_before_due < 0:
            raise ScheduleInvalid("working_days_before_due", "reminder_offset_negative", "提醒提前的工作日数不能为负数")
        _check_time_of_day(self.at, "at")


@dataclass(frozen=True, slots=True)
class RoundTiming:
    period_key: str
    opens_at: dt.datetime
    due_on: dt.date
    due_at: dt.datetime  # the end of due_on: on time iff submitted_at < due_at
    grace_until: dt.datetime  # the end of the grace; equals due_at without one
    reminders: tuple[dt.datetime, ...]
    provisional: bool


def _end_of(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return _localise(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), zone)


def round_timing(
    schedule: PlanSchedule,
    window: SubmissionWindow,
    reminders: Sequence[Reminder],
    calendar: BusinessCalendar,
    tick: dt.datetime,
) -> RoundTiming:
    """The timing of the round a tick opens."""
    _check_aware(tick, "tick")
    zone = schedule.zone
    opens_at = tick.astimezone(zone)
    opened_on = opens_at.date()
    if window.due_day_of_month is not None:
        due_on, provisional = calendar.next_working_day(day_of_month_on_or_after(window.due_day_of_month, opened_on))
    else:
        due_on, provisional = calendar.add_working_days(opened_on, window.due_after_working_days or 0)
    # due_on is a working day, so a grace of 0 working days ends on due_on itself.
    grace_on, unsure = calendar.add_working_days(due_on, window.grace_working_days)
    provisional |= unsure
    due_at = _end_of(due_on, zone)
    times: set[dt.datetime] = set()
    for reminder in reminders:
        day, unsure = calendar.working_days_before(due_on, reminder.working_days_before_due)
        at = _localise(dt.datetime.combine(day, reminder.at), zone)
        if opens_at < at < due_at:
            times.add(at)
            provisional |= unsure
    return RoundTiming(
        period_key=schedule.reported_period(opens_at).key,
        opens_at=opens_at,
        due_on=due_on,
        due_at=due_at,
        grace_until=_end_of(grace_on, zone),
        reminders=tuple(sorted(times)),
        provisional=provisional,
    )


def preview(
    schedule: PlanSchedule,
    window: SubmissionWindow,
    reminders: Sequence[Reminder],
    calendar: BusinessCalendar,
    after: dt.datetime,
    count: int,
) -> list[RoundTiming]:
    """The timings of the next `count` rounds whose ticks come strictly after `after`."""
    if count < 0:
        raise ValueError("count must be >= 0")
    ticks = schedule.ticks_after(after)
    return [round_timing(schedule, window, reminders, calendar, next(ticks)) for _ in range(count)]


@dataclass(frozen=True, slots=True)
class TickSelection:
    to_open: tuple[dt.datetime, ...]  # oldest first
    dropped: bool  # pending ticks the policy leaves unopened


def ticks_to_open(
    schedule: PlanSchedule,
    last_processed: dt.datetime,
    now: dt.datetime,
    policy: MissedTickPolicy = MissedTickPolicy.latest,
    *,
    due_now_within: dt.timedelta = dt.timedelta(hours=1),
    cap: int = 12,
) -> TickSelection:
    """Which of the ticks in (last_processed, now] to open now, under `policy`."""
    if cap < 1:
        raise ValueError("cap must be >= 1")
    _check_aware(last_processed, "last_processed")
    _check_aware(now, "now")
    wanted = cap if policy is MissedTickPolicy.all else 1
    pending: list[dt.datetime] = []
    for tick in schedule.ticks_back(now, last_processed):
        pending.append(tick)
        if len(pending) > wanted:
            break
    chosen = pending[:wanted]
    if policy is MissedTickPolicy.skip:
        chosen = [tick for tick in chosen if now - tick <= due_now_within]
    return TickSelection(to_open=tuple(reversed(chosen)), dropped=len(pending) > len(chosen))
