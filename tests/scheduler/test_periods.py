"""Period keys: months, ISO weeks (with 53-week years), quarters, years, and their rollover."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scheduler.errors import ScheduleInvalid
from services.scheduler.periods import Period, PeriodKind, parse_period_key, period_of

D = dt.date


@pytest.mark.parametrize(
    ("kind", "day", "key", "start", "end"),
    [
        (PeriodKind.month, D(2026, 11, 15), "2026-11", D(2026, 11, 1), D(2026, 11, 30)),
        (PeriodKind.month, D(2028, 2, 29), "2028-02", D(2028, 2, 1), D(2028, 2, 29)),
        (PeriodKind.quarter, D(2026, 11, 15), "2026-Q4", D(2026, 10, 1), D(2026, 12, 31)),
        (PeriodKind.quarter, D(2026, 3, 31), "2026-Q1", D(2026, 1, 1), D(2026, 3, 31)),
        (PeriodKind.year, D(2026, 7, 1), "2026", D(2026, 1, 1), D(2026, 12, 31)),
        (PeriodKind.week, D(2026, 11, 26), "2026-W48", D(2026, 11, 23), D(2026, 11, 29)),
        (PeriodKind.week, D(2026, 12, 31), "2026-W53", D(2026, 12, 28), D(2027, 1, 3)),
        (PeriodKind.week, D(2027, 1, 3), "2026-W53", D(2026, 12, 28), D(2027, 1, 3)),
        (PeriodKind.week, D(2027, 1, 4), "2027-W01", D(2027, 1, 4), D(2027, 1, 10)),
        (PeriodKind.week, D(2025, 12, 31), "2026-W01", D(2025, 12, 29), D(2026, 1, 4)),
    ],
)
def test_period_of(kind: PeriodKind, day: dt.date, key: str, start: dt.date, end: dt.date) -> None:
    assert period_of(kind, day) == Period(kind, start, end)
    assert period_of(kind, day).key == key


def test_year_end_rolls_the_key_over() -> None:
    december = parse_period_key("2026-12")
    assert december.next().key == "2027-01"
    assert december.next().previous() == december
    assert parse_period_key("2026-Q4").next().key == "2027-Q1"
    assert parse_period_key("2026-W53").next().key == "2027-W01"
    assert parse_period_key("2027-W01").previous().key == "2026-W53"
    assert parse_period_key("2025-W52").next().key == "2026-W01"


def test_only_some_years_have_an_iso_week_53() -> None:
    def has_w53(year: int) -> bool:
        try:
            parse_period_key(f"{year}-W53")
        except ScheduleInvalid:
            return False
        return True

    assert [y for y in range(2020, 2041) if has_w53(y)] == [2020, 2026, 2032, 2037]


@pytest.mark.parametrize("key", ["2027-W53", "2026-W00", "2026-13", "2026-00", "2026-Q5", "26-11", "2026-11-01", ""])
def test_an_unknown_key_is_refused(key: str) -> None:
    with pytest.raises(ScheduleInvalid) as caught:
        parse_period_key(key)
    assert caught.value.code == "period_key_invalid"
    assert caught.value.field == "period_key"


@given(st.sampled_from(list(PeriodKind)), st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31)))
def test_keys_round_trip_and_periods_tile_time(kind: PeriodKind, day: dt.date) -> None:
    period = period_of(kind, day)
    assert period.contains(day)
    assert parse_period_key(period.key) == period
    assert period.next().start == period.end + dt.timedelta(days=1)
    assert period.previous().end == period.start - dt.timedelta(days=1)
    assert period.previous().key < period.key < period.next().key
