"""The business calendar: which days are working days (工作日), after 法定节假日 and 调休.

A day's answer comes from the first source that has one:

    1. an admin override for that date (True: working, False: not), always final;
    2. the installed `chinese_calendar` package, which carries the State Council's yearly
       arrangements, holidays and make-up working days (调休上班) included, for the years it knows;
    3. the weekday rule: Monday to Friday work, Saturday and Sunday do not.

An answer is *provisional* when it could still change: the date has no override, the package does
not know its year, and its year is not in `known_years` (the years whose arrangement the office
has entered in full as overrides). The package raises NotImplementedError outside its years; here
that never fails, it only marks the answer provisional.

Counting rules, each result paired with whether any day it rests on was provisional:

    next_working_day(d)        d itself when it is a working day, else the first working day after it
    add_working_days(d, n)     the n-th working day after d (d not counted); n = 0 is next_working_day(d)
    working_days_before(d, n)  the n-th working day before d (d not counted); n = 0 is d, or the last
                               working day before it when d is not one

Make-up working days count like any other working day, so every result of the three is a
working day, on whichever side of d it lies.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

import chinese_calendar  # type: ignore[import-untyped]
from chinese_calendar import constants as _package_data

ONE_DAY = dt.timedelta(days=1)


class WorkingDay(NamedTuple):
    working: bool
    provisional: bool


class CalendarDate(NamedTuple):
    date: dt.date
    provisional: bool


@functools.cache
def package_years() -> tuple[int, int]:
    """First and last year the installed chinese_calendar knows (the same bounds it checks itself)."""
    years = [day.year for day in _package_data.holidays]
    return min(years), max(years)


@functools.lru_cache(maxsize=8192)
def _package_answer(day: dt.date) -> bool | None:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    known_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        # A read-only copy: a caller mutating its dict afterwards must not change this calendar.
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "known_years", frozenset(self.known_years))

    def is_working_day(self, day: dt.date) -> WorkingDay:
        if (override := self.overrides.get(day)) is not None:
            return WorkingDay(override, provisional=False)
        answer = _package_answer(day)
        if answer is not None:
            return WorkingDay(answer, provisional=False)
        return WorkingDay(day.weekday() < 5, provisional=day.year not in self.known_years)

    def next_working_day(self, day: dt.date) -> CalendarDate:
        return self._step(day, 0, forward=True)

    def add_working_days(self, day: dt.date, n: int) -> CalendarDate:
        if n < 0:
            raise ValueError("n must be >= 0; use working_days_before to count backwards")
        return self._step(day, n, forward=True)

    def working_days_before(self, day: dt.date, n: int) -> CalendarDate:
        if n < 0:
            raise ValueError("n must be >= 0; use add_working_days to count forwards")
        return self._step(day, n, forward=False)

    def _step(self, day: dt.date, n: int, *, forward: bool) -> CalendarDate:
        """Walk from `day`; n = 0 stops at the first working day on or beyond `day` itself."""
        delta = ONE_DAY if forward else -ONE_DAY
        provisional = False
        current = day if n == 0 else day + delta
        remaining = max(n, 1)
        while True:
            working, unsure = self.is_working_day(current)
            provisional |= unsure
            if working:
                remaining -= 1
                if remaining == 0:
                    return CalendarDate(current, provisional)
            current += delta
