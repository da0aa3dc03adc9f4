"""Reporting periods and their keys: the stretch of time a round's reports describe.

    week     2026-W48   ISO 8601 week, Monday to Sunday, numbered within its ISO year
    month    2026-11
    quarter  2026-Q4    Q1 = January to March
    year     2026

A period is closed on both ends (`start` and `end` are its first and last day). Keys sort
chronologically as strings within one kind. ISO weeks belong to the ISO year of their Thursday,
so the week of 2026-12-31 is 2026-W53 (2026 has 53 ISO weeks; so do 2020, 2032 and 2037) while
2027-01-04 starts 2027-W01; in years without a 53rd week, 12-31 may lie in the next year's W01.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
import re
from dataclasses import dataclass

from services.scheduler.errors import ScheduleInvalid
from shared.schemas.scheduler.enums import PeriodKind as PeriodKind

_KEY_RE: dict[PeriodKind, re.Pattern[str]] = {
    PeriodKind.week: re.compile(r"^(\d{4})-W(\d{2})$"),
    PeriodKind.month: re.compile(r"^(\d{4})-(\d{2})$"),
    PeriodKind.quarter: re.compile(r"^(\d{4})-Q([1-4])$"),
    PeriodKind.year: re.compile(r"^(\d{4})$"),
}


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    start: dt.date
    end: dt.date

    @property
    def key(self) -> str:
        if self.kind is PeriodKind.week:
            iso = self.start.isocalendar()
            return f"{iso.year:04d}-W{iso.week:02d}"
        if self.kind is PeriodKind.month:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        if self.kind is PeriodKind.quarter:
            return f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year:04d}"

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def previous(self) -> Period:
        return period_of(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        return period_of(self.kind, self.end + dt.timedelta(days=1))


def last_day_of_month(year: int, month: int) -> dt.date:
    return dt.date(year, month, _stdlib_calendar.monthrange(year, month)[1])


def period_of(kind: PeriodKind, day: dt.date) -> Period:
    """The period of `kind` that contains `day`."""
    if kind is PeriodKind.week:
        start = day - dt.timedelta(days=day.weekday())
        return Period(kind, start, start + dt.timedelta(days=6))
    if kind is PeriodKind.month:
        return Period(kind, day.replace(day=1), last_day_of_month(day.year, day.month))
    if kind is PeriodKind.quarter:
        first_month = (day.month - 1) // 3 * 3 + 1
        return Period(kind, dt.date(day.year, first_month, 1), last_day_of_month(day.year, first_month + 2))
    return Period(kind, dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))


def parse_period_key(key: str) -> Period:
    """The period a key names; raises `ScheduleInvalid` (code `period_key_invalid`) otherwise."""
    for kind, pattern in _KEY_RE.items():
        if match := pattern.match(key):
            year = int(match.group(1))
            number = int(match.group(2)) if kind is not PeriodKind.year else 1
            try:
                if kind is PeriodKind.week:
                    first = dt.date.fromisocalendar(year, number, 1)
                elif kind is PeriodKind.month:
                    first = dt.date(year, number, 1)
                elif kind is PeriodKind.quarter:
                    first = dt.date(year, (number - 1) * 3 + 1, 1)
                else:
                    first = dt.date(year, 1, 1)
            except ValueError:
                break
            return period_of(kind, first)
    raise ScheduleInvalid(
        "period_key", "period_key_invalid", f"无法识别的报告期：{key}（应形如 2026-11、2026-W48、2026-Q4 或 2026）"
    )
