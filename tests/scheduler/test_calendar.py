"""The business calendar: State Council arrangements, admin overrides, provisional years."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scheduler.calendar import BusinessCalendar, CalendarDate, WorkingDay, package_years

D = dt.date
CAL = BusinessCalendar()


def test_the_installed_package_knows_2004_to_2026() -> None:
    assert package_years() == (2004, 2026)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 9, 27), False),  # Saturday
        (D(2025, 9, 28), True),  # Sunday, make-up working day
        (D(2025, 9, 30), True),
        *((D(2025, 10, n), False) for n in range(1, 9)),
        (D(2025, 10, 9), True),
        (D(2025, 10, 11), True),  # Saturday, make-up working day
        (D(2025, 10, 12), False),
    ],
)
def test_national_day_2025(day: dt.date, working: bool) -> None:
    assert CAL.is_working_day(day) == WorkingDay(working, provisional=False)


def test_spring_festival_2026_has_sixteen_working_days_in_february() -> None:
    february = [D(2026, 2, n) for n in range(1, 29)]
    working = [d for d in february if CAL.is_working_day(d).working]
    assert len(working) == 16
    assert D(2026, 2, 14) in working and D(2026, 2, 28) in working  # the two make-up Saturdays
    assert not any(D(2026, 2, n) in working for n in range(15, 24))


def test_a_due_date_on_a_holiday_moves_to_the_next_working_day() -> None:
    assert CAL.next_working_day(D(2025, 10, 1)) == CalendarDate(D(2025, 10, 9), provisional=False)
    assert CAL.next_working_day(D(2026, 2, 15)) == CalendarDate(D(2026, 2, 24), provisional=False)
    assert CAL.next_working_day(D(2025, 10, 9)) == CalendarDate(D(2025, 10, 9), provisional=False)


def test_make_up_working_days_are_counted() -> None:
    assert CAL.add_working_days(D(2025, 9, 30), 3) == (D(2025, 10, 11), False)  # 10-09, 10-10, 10-11 (Saturday)
    assert CAL.add_working_days(D(2025, 9, 26), 1) == (D(2025, 9, 28), False)  # the Sunday make-up day
    assert CAL.add_working_days(D(2026, 2, 13), 1) == (D(2026, 2, 14), False)
    assert CAL.add_working_days(D(2026, 2, 14), 1) == (D(2026, 2, 24), False)


def test_working_days_before_counts_back_over_the_holiday() -> None:
    assert CAL.working_days_before(D(2025, 10, 9), 1) == (D(2025, 9, 30), False)
    assert CAL.working_days_before(D(2025, 10, 9), 3) == (D(2025, 9, 28), False)
    assert CAL.working_days_before(D(2025, 10, 13), 1) == (D(2025, 10, 11), False)
    assert CAL.working_days_before(D(2025, 10, 9), 0) == (D(2025, 10, 9), False)
    assert CAL.working_days_before(D(2025, 10, 5), 0) == (D(2025, 9, 30), False)


def test_a_year_beyond_the_package_follows_weekdays_provisionally() -> None:
    assert CAL.is_working_day(D(2031, 1, 1)) == WorkingDay(True, provisional=True)  # a Wednesday
    assert CAL.is_working_day(D(2031, 1, 4)) == WorkingDay(False, provisional=True)  # a Saturday
    assert CAL.add_working_days(D(2031, 1, 2), 1) == (D(2031, 1, 3), True)


def test_overrides_for_a_known_year_are_not_provisional() -> None:
    cal = BusinessCalendar(
        overrides={D(2031, 1, 1): False, D(2031, 1, 4): True},
        known_years=frozenset({2031}),
    )
    assert cal.is_working_day(D(2031, 1, 1)) == WorkingDay(False, provisional=False)
    assert cal.is_working_day(D(2031, 1, 4)) == WorkingDay(True, provisional=False)
    assert cal.is_working_day(D(2031, 1, 5)) == WorkingDay(False, provisional=False)  # weekday rule, year declared
    assert cal.next_working_day(D(2031, 1, 1)) == (D(2031, 1, 2), False)
    assert cal.add_working_days(D(2031, 1, 3), 1) == (D(2031, 1, 4), False)


def test_an_override_is_final_but_does_not_declare_its_year() -> None:
    cal = BusinessCalendar(overrides={D(2031, 1, 1): False})
    assert cal.is_working_day(D(2031, 1, 1)) == WorkingDay(False, provisional=False)
    assert cal.next_working_day(D(2031, 1, 1)) == (D(2031, 1, 2), True)


def test_an_override_wins_over_the_package() -> None:
    cal = BusinessCalendar(overrides={D(2025, 10, 8): True, D(2025, 10, 9): False})
    assert cal.is_working_day(D(2025, 10, 8)) == WorkingDay(True, provisional=False)
    assert cal.next_working_day(D(2025, 10, 1)) == (D(2025, 10, 8), False)
    assert cal.add_working_days(D(2025, 10, 8), 1) == (D(2025, 10, 10), False)


def test_a_count_crossing_into_an_unknown_year_is_provisional() -> None:
    assert CAL.add_working_days(D(2026, 12, 28), 2) == (D(2026, 12, 30), False)
    assert CAL.add_working_days(D(2026, 12, 30), 3) == (D(2027, 1, 4), True)


def test_the_calendar_keeps_its_own_copy_of_the_overrides() -> None:
    overrides = {D(2031, 1, 1): False}
    cal = BusinessCalendar(overrides=overrides)
    overrides[D(2031, 1, 1)] = True
    assert cal.is_working_day(D(2031, 1, 1)).working is False
    with pytest.raises(TypeError):
        cal.overrides[D(2031, 1, 2)] = True  # type: ignore[index]


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="working_days_before"):
        CAL.add_working_days(D(2026, 1, 5), -1)
    with pytest.raises(ValueError, match="add_working_days"):
        CAL.working_days_before(D(2026, 1, 5), -1)


# Days around known and unknown years, with a few overrides on both sides of the package's last year.
days = st.dates(min_value=D(2024, 1, 1), max_value=D(2029, 12, 31))
counts = st.integers(min_value=0, max_value=40)
calendars = st.sampled_from(
    [
        CAL,
        BusinessCalendar(
            overrides={D(2026, 10, 9): False, D(2027, 1, 1): False, D(2027, 2, 6): True},
            known_years=frozenset({2027}),
        ),
    ]
)


@given(calendars, days, counts)
def test_add_working_days_lands_on_a_working_day_after_exactly_n_of_them(
    cal: BusinessCalendar, day: dt.date, n: int
) -> None:
    result, _ = cal.add_working_days(day, n)
    assert cal.is_working_day(result).working
    between = [day + dt.timedelta(days=k) for k in range(1, (result - day).days + 1)]
    counted = sum(cal.is_working_day(d).working for d in between)
    assert counted == (n if n else int(result != day))


@given(calendars, days, counts, counts)
def test_add_working_days_is_monotonic(cal: BusinessCalendar, day: dt.date, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert cal.add_working_days(day, low).date <= cal.add_working_days(day, high).date
    # Strictly later for more working days, except 0 and 1 from a day off: both land on the next working day.
    if low < high and (low > 0 or cal.is_working_day(day).working):
        assert cal.add_working_days(day, low).date < cal.add_working_days(day, high).date


def test_zero_and_one_working_days_from_a_day_off_land_on_the_same_working_day() -> None:
    saturday = D(2026, 12, 5)
    assert CAL.add_working_days(saturday, 0).date == CAL.add_working_days(saturday, 1).date == D(2026, 12, 7)


@given(calendars, days, counts)
def test_working_days_before_undoes_add_working_days(cal: BusinessCalendar, day: dt.date, n: int) -> None:
    start, _ = cal.next_working_day(day)
    forward, _ = cal.add_working_days(start, n)
    assert cal.working_days_before(forward, n).date == start


@given(calendars, days, counts)
def test_a_result_is_provisional_iff_a_day_it_rests_on_is(cal: BusinessCalendar, day: dt.date, n: int) -> None:
    result, provisional = cal.add_working_days(day, n)
    first = day if n == 0 else day + dt.timedelta(days=1)
    span = [first + dt.timedelta(days=k) for k in range((result - first).days + 1)]
    assert provisional is any(cal.is_working_day(d).provisional for d in span)
