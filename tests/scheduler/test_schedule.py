"""Plan schedules: cron and conveniences, period keys, windows, reminders, DST and missed ticks."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scheduler.calendar import BusinessCalendar
from services.scheduler.errors import ScheduleInvalid
from services.scheduler.periods import PeriodKind
from services.scheduler.schedule import (
    MissedTickPolicy,
    PlanSchedule,
    Reminder,
    ReportedPeriod,
    RoundTiming,
    SubmissionWindow,
    TickSelection,
    day_of_month_on_or_after,
    preview,
    round_timing,
    ticks_to_open,
)

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC
CAL = BusinessCalendar()
MONTHLY = PlanSchedule.monthly()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


def ticks(schedule: PlanSchedule, after: dt.datetime, n: int) -> list[dt.datetime]:
    return list(itertools.islice(schedule.ticks_after(after), n))


@pytest.mark.parametrize(
    ("cron", "code"),
    [
        ("0 9 1 * * *", "cron_field_count"),
        ("@monthly", "cron_field_count"),
        ("0 9 1 *", "cron_field_count"),
        ("61 9 1 * *", "cron_invalid"),
        ("0 9 1 13 *", "cron_invalid"),
        ("0 9 30 2 *", "cron_never_fires"),
    ],
)
def test_a_bad_cron_is_refused_with_a_clear_code(cron: str, code: str) -> None:
    with pytest.raises(ScheduleInvalid) as caught:
        PlanSchedule(cron, PeriodKind.month, ReportedPeriod.previous)
    assert (caught.value.field, caught.value.code) == ("cron", code)
    assert "cron" in caught.value.message


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ScheduleInvalid) as caught:
        PlanSchedule("0 9 1 * *", PeriodKind.month, ReportedPeriod.previous, "Mars/Olympus")
    assert caught.value.code == "timezone_unknown"


def test_cron_whitespace_is_normalised() -> None:
    assert PlanSchedule(" 0  9 1 * * ", PeriodKind.month, ReportedPeriod.previous).cron == "0 9 1 * *"


def test_conveniences_build_their_cron() -> None:
    assert PlanSchedule.monthly().cron == "0 9 1 * *"
    assert PlanSchedule.monthly(day=-1, at=dt.time(17, 30)).cron == "30 17 L * *"
    assert PlanSchedule.quarterly().cron == "0 9 1 1,4,7,10 *"
    assert PlanSchedule.quarterly(day=25, month_of_quarter=3).cron == "0 9 25 3,6,9,12 *"
    assert PlanSchedule.weekly().cron == "0 9 * * 1"
    assert PlanSchedule.weekly(weekday=7).cron == "0 9 * * 0"
    assert PlanSchedule.yearly(month=1, day=15).cron == "0 9 15 1 *"
    assert {s.reports_on for s in (PlanSchedule.monthly(), PlanSchedule.weekly(), PlanSchedule.quarterly())} == {
        ReportedPeriod.previous
    }


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda: PlanSchedule.monthly(day=29), "monthly_day_invalid"),
        (lambda: PlanSchedule.monthly(day=0), "monthly_day_invalid"),
        (lambda: PlanSchedule.monthly(at=dt.time(9, 0, 30)), "time_of_day_invalid"),
        (lambda: PlanSchedule.quarterly(month_of_quarter=4), "month_of_quarter_invalid"),
        (lambda: PlanSchedule.weekly(weekday=0), "weekday_invalid"),
        (lambda: PlanSchedule.yearly(month=13), "yearly_date_invalid"),
    ],
)
def test_conveniences_refuse_bad_arguments(build: object, code: str) -> None:
    with pytest.raises(ScheduleInvalid) as caught:
        build()  # type: ignore[operator]
    assert caught.value.code == code


def test_cron_day_31_skips_short_months() -> None:
    schedule = PlanSchedule("0 9 31 * *", PeriodKind.month, ReportedPeriod.current)
    got = ticks(schedule, at(2026, 1, 1), 8)
    assert [t.date() for t in got] == [
        dt.date(2026, 1, 31),
        dt.date(2026, 3, 31),
        dt.date(2026, 5, 31),
        dt.date(2026, 7, 31),
        dt.date(2026, 8, 31),
        dt.date(2026, 10, 31),
        dt.date(2026, 12, 31),
        dt.date(2027, 1, 31),
    ]


def test_monthly_last_day_fires_every_month() -> None:
    got = ticks(PlanSchedule.monthly(day=-1, reports_on=ReportedPeriod.current), at(2028, 1, 1), 4)
    assert got == [at(2028, 1, 31, 9), at(2028, 2, 29, 9), at(2028, 3, 31, 9), at(2028, 4, 30, 9)]


def test_ticks_are_strictly_after() -> None:
    assert ticks(MONTHLY, at(2026, 12, 1, 9), 1) == [at(2027, 1, 1, 9)]
    assert ticks(MONTHLY, at(2026, 12, 1, 8, 59, 59), 1) == [at(2026, 12, 1, 9)]


@pytest.mark.parametrize(
    ("schedule", "tick", "key"),
    [
        (MONTHLY, at(2026, 12, 1, 9), "2026-11"),
        (MONTHLY, at(2027, 1, 1, 9), "2026-12"),
        (PlanSchedule.monthly(reports_on=ReportedPeriod.current), at(2027, 1, 1, 9), "2027-01"),
        (PlanSchedule.quarterly(), at(2027, 1, 1, 9), "2026-Q4"),
        (
            PlanSchedule.quarterly(day=25, month_of_quarter=3, reports_on=ReportedPeriod.current),
            at(2026, 3, 25, 9),
            "2026-Q1",
        ),
        (PlanSchedule.weekly(), at(2027, 1, 4, 9), "2026-W53"),
        (PlanSchedule.weekly(), at(2026, 12, 28, 9), "2026-W52"),
        (PlanSchedule.weekly(), at(2026, 1, 5, 9), "2026-W01"),
        (PlanSchedule.yearly(day=15), at(2027, 1, 15, 9), "2026"),
        # The local date decides: 2026-11-30 17:00 UTC is already 12-01 in Shanghai.
        (PlanSchedule.monthly(reports_on=ReportedPeriod.current), dt.datetime(2026, 11, 30, 17, tzinfo=UTC), "2026-12"),
    ],
)
def test_reported_period(schedule: PlanSchedule, tick: dt.datetime, key: str) -> None:
    assert schedule.reported_period(tick).key == key


def test_shanghai_has_no_daylight_saving() -> None:
    schedule = PlanSchedule("30 2 * * *", PeriodKind.week, ReportedPeriod.current)
    got = ticks(schedule, dt.datetime(2026, 3, 27, tzinfo=UTC), 4)
    assert [t.astimezone(UTC) for t in got] == [
        dt.datetime(2026, 3, 27, 18, 30, tzinfo=UTC),
        dt.datetime(2026, 3, 28, 18, 30, tzinfo=UTC),
        dt.datetime(2026, 3, 29, 18, 30, tzinfo=UTC),
        dt.datetime(2026, 3, 30, 18, 30, tzinfo=UTC),
    ]


def test_a_tick_in_the_spring_forward_gap_fires_after_the_gap() -> None:
    schedule = PlanSchedule("30 2 * * *", PeriodKind.week, ReportedPeriod.current, "Europe/Berlin")
    got = ticks(schedule, dt.datetime(2026, 3, 27, tzinfo=UTC), 4)
    assert [t.astimezone(UTC) for t in got] == [
        dt.datetime(2026, 3, 27, 1, 30, tzinfo=UTC),
        dt.datetime(2026, 3, 28, 1, 30, tzinfo=UTC),
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 03:30 CEST: 02:30 does not exist that day
        dt.datetime(2026, 3, 30, 0, 30, tzinfo=UTC),
    ]
    assert got[2] == dt.datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN)
    assert got[2].utcoffset() == dt.timedelta(hours=2)


def test_gap_ticks_never_repeat_an_instant() -> None:
    schedule = PlanSchedule("*/30 2-3 * * *", PeriodKind.week, ReportedPeriod.current, "Europe/Berlin")
    got = ticks(schedule, dt.datetime(2026, 3, 29, 0, tzinfo=UTC), 3)
    assert [t.astimezone(UTC) for t in got] == [
        dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # 03:00 CEST, standing in for 02:00 too
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 03:30 CEST, standing in for 02:30 too
        dt.datetime(2026, 3, 30, 0, 0, tzinfo=UTC),  # 02:00 CEST next day
    ]


def test_a_tick_in_the_repeated_autumn_hour_fires_once() -> None:
    schedule = PlanSchedule("30 2 * * *", PeriodKind.week, ReportedPeriod.current, "Europe/Berlin")
    got = ticks(schedule, dt.datetime(2026, 10, 24, 12, tzinfo=UTC), 2)
    assert [t.astimezone(UTC) for t in got] == [
        dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # the first 02:30, still CEST
        dt.datetime(2026, 10, 26, 1, 30, tzinfo=UTC),
    ]


def test_due_on_a_day_of_month_that_is_a_holiday_moves_and_the_grace_counts_a_make_up_day() -> None:
    window = SubmissionWindow(due_day_of_month=5, grace_working_days=2)
    timing = round_timing(MONTHLY, window, [Reminder(3), Reminder(0, dt.time(15))], CAL, at(2025, 10, 1, 9))
    assert timing == RoundTiming(
        period_key="2025-09",
        opens_at=at(2025, 10, 1, 9),
        due_on=dt.date(2025, 10, 9),  # 10-05 is in the National Day holiday
        due_at=at(2025, 10, 10),
        grace_until=at(2025, 10, 12),  # 10-10, then Saturday 10-11, a make-up working day
        reminders=(at(2025, 10, 9, 15),),  # 3 working days before is 09-28, before the opening: dropped
        provisional=False,
    )


def test_due_after_working_days_counts_a_make_up_saturday() -> None:
    schedule = PlanSchedule.monthly(day=-1, reports_on=ReportedPeriod.current)
    window = SubmissionWindow(due_after_working_days=3)
    reminders = [Reminder(3), Reminder(1, dt.time(15)), Reminder(0)]
    timing = round_timing(schedule, window, reminders, CAL, at(2025, 9, 30, 9))
    assert timing.period_key == "2025-09"
    assert timing.due_on == dt.date(2025, 10, 11)
    assert timing.due_at == at(2025, 10, 12)
    assert timing.grace_until == timing.due_at
    # 3 before is 09-30 09:00, the opening instant itself: dropped; 1 before is 10-10.
    assert timing.reminders == (at(2025, 10, 10, 15), at(2025, 10, 11, 9))


def test_due_day_of_month_before_the_opening_day_is_next_month_and_clamps_to_month_end() -> None:
    assert day_of_month_on_or_after(10, dt.date(2026, 12, 20)) == dt.date(2027, 1, 10)
    assert day_of_month_on_or_after(31, dt.date(2026, 11, 1)) == dt.date(2026, 11, 30)
    assert day_of_month_on_or_after(30, dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert day_of_month_on_or_after(5, dt.date(2026, 12, 5)) == dt.date(2026, 12, 5)


def test_reminders_on_the_same_instant_are_sent_once() -> None:
    window = SubmissionWindow(due_day_of_month=5)
    timing = round_timing(MONTHLY, window, [Reminder(0), Reminder(0), Reminder(3)], CAL, at(2025, 12, 1, 9))
    assert timing.reminders == (at(2025, 12, 2, 9), at(2025, 12, 5, 9))


def test_preview_across_the_year_end_is_provisional_in_an_unknown_year() -> None:
    window = SubmissionWindow(due_after_working_days=5)
    got = preview(MONTHLY, window, [Reminder(0)], CAL, at(2026, 11, 15), 3)
    assert [(t.period_key, t.opens_at, t.due_on, t.provisional) for t in got] == [
        ("2026-11", at(2026, 12, 1, 9), dt.date(2026, 12, 8), False),
        ("2026-12", at(2027, 1, 1, 9), dt.date(2027, 1, 8), True),
        ("2027-01", at(2027, 2, 1, 9), dt.date(2027, 2, 8), True),
    ]


def test_overrides_for_the_new_year_make_it_definite() -> None:
    window = SubmissionWindow(due_day_of_month=1)
    cal = BusinessCalendar(overrides={dt.date(2027, 1, 1): False}, known_years=frozenset({2027}))
    [provisional] = preview(MONTHLY, window, [], CAL, at(2026, 12, 15), 1)
    [definite] = preview(MONTHLY, window, [], cal, at(2026, 12, 15), 1)
    assert (provisional.due_on, provisional.provisional) == (dt.date(2027, 1, 1), True)
    assert (definite.due_on, definite.provisional) == (dt.date(2027, 1, 4), False)


def test_preview_in_a_dst_zone_returns_real_instants() -> None:
    schedule = PlanSchedule("30 2 29 3 *", PeriodKind.year, ReportedPeriod.current, "Europe/Berlin")
    [timing] = preview(schedule, SubmissionWindow(due_after_working_days=1), [Reminder(0)], CAL, at(2026, 1, 1), 1)
    assert timing.opens_at.astimezone(UTC) == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert timing.due_on == dt.date(2026, 3, 30)
    assert timing.due_at.astimezone(UTC) == dt.datetime(2026, 3, 30, 22, 0, tzinfo=UTC)
    assert timing.reminders == (dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC),)


def test_preview_counts() -> None:
    window = SubmissionWindow(due_after_working_days=5)
    assert preview(MONTHLY, window, [], CAL, at(2026, 1, 1), 0) == []
    with pytest.raises(ValueError, match="count"):
        preview(MONTHLY, window, [], CAL, at(2026, 1, 1), -1)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next(MONTHLY.ticks_after(dt.datetime(2026, 1, 1)))
    with pytest.raises(ValueError, match="timezone-aware"):
        ticks_to_open(MONTHLY, dt.datetime(2026, 1, 1), at(2026, 2, 1))


@pytest.mark.parametrize(
    ("window", "code"),
    [
        (lambda: SubmissionWindow(), "due_rule_ambiguous"),
        (lambda: SubmissionWindow(due_after_working_days=5, due_day_of_month=5), "due_rule_ambiguous"),
        (lambda: SubmissionWindow(due_after_working_days=-1), "due_after_negative"),
        (lambda: SubmissionWindow(due_day_of_month=32), "due_day_invalid"),
        (lambda: SubmissionWindow(due_day_of_month=5, grace_working_days=-1), "grace_negative"),
        (lambda: Reminder(-1), "reminder_offset_negative"),
    ],
)
def test_bad_windows_and_reminders_are_refused(window: object, code: str) -> None:
    with pytest.raises(ScheduleInvalid) as caught:
        window()  # type: ignore[operator]
    assert caught.value.code == code


# Missed ticks: the last pass was just after the 01-01 tick; the monthly ticks of 02-01, 03-01 and
# 04-01 are pending at 04-01 09:20.
LAST = at(2026, 1, 1, 10)
NOW = at(2026, 4, 1, 9, 20)


@pytest.mark.parametrize(
    ("policy", "cap", "opened", "dropped"),
    [
        (MissedTickPolicy.skip, 12, [at(2026, 4, 1, 9)], True),
        (MissedTickPolicy.latest, 12, [at(2026, 4, 1, 9)], True),
        (MissedTickPolicy.all, 12, [at(2026, 2, 1, 9), at(2026, 3, 1, 9), at(2026, 4, 1, 9)], False),
        (MissedTickPolicy.all, 2, [at(2026, 3, 1, 9), at(2026, 4, 1, 9)], True),
    ],
)
def test_missed_tick_policies(policy: MissedTickPolicy, cap: int, opened: list[dt.datetime], dropped: bool) -> None:
    assert ticks_to_open(MONTHLY, LAST, NOW, policy, cap=cap) == TickSelection(tuple(opened), dropped)


def test_latest_is_the_default_policy() -> None:
    assert ticks_to_open(MONTHLY, LAST, NOW) == TickSelection((at(2026, 4, 1, 9),), dropped=True)


def test_skip_opens_nothing_when_the_newest_tick_is_stale() -> None:
    later = at(2026, 4, 3, 12)
    assert ticks_to_open(MONTHLY, LAST, later, MissedTickPolicy.skip) == TickSelection((), dropped=True)
    assert ticks_to_open(MONTHLY, LAST, later, MissedTickPolicy.latest) == TickSelection(
        (at(2026, 4, 1, 9),), dropped=True
    )


def test_due_now_is_at_most_the_tolerance_old() -> None:
    last = at(2026, 3, 15)
    within = ticks_to_open(MONTHLY, last, at(2026, 4, 1, 10), MissedTickPolicy.skip)
    beyond = ticks_to_open(MONTHLY, last, at(2026, 4, 1, 10, 0, 1), MissedTickPolicy.skip)
    assert within == TickSelection((at(2026, 4, 1, 9),), dropped=False)
    assert beyond == TickSelection((), dropped=True)


def test_the_window_is_open_below_and_closed_above() -> None:
    assert ticks_to_open(MONTHLY, at(2026, 4, 1, 9), at(2026, 4, 1, 9, 20)) == TickSelection((), dropped=False)
    assert ticks_to_open(MONTHLY, at(2026, 3, 15), at(2026, 4, 1, 9)) == TickSelection(
        (at(2026, 4, 1, 9),), dropped=False
    )
    assert ticks_to_open(MONTHLY, NOW, LAST) == TickSelection((), dropped=False)


def test_missed_ticks_across_spring_forward_are_distinct() -> None:
    schedule = PlanSchedule("*/30 2-3 * * *", PeriodKind.week, ReportedPeriod.current, "Europe/Berlin")
    got = ticks_to_open(
        schedule,
        dt.datetime(2026, 3, 28, 23, tzinfo=UTC),
        dt.datetime(2026, 3, 29, 6, tzinfo=UTC),
        MissedTickPolicy.all,
    )
    assert [t.astimezone(UTC) for t in got.to_open] == [
        dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
    ]


schedules = st.sampled_from(
    [
        MONTHLY,
        PlanSchedule.monthly(day=-1, reports_on=ReportedPeriod.current),
        PlanSchedule.weekly(weekday=5, at=dt.time(16)),
        PlanSchedule.quarterly(),
        PlanSchedule("30 2 * * 0", PeriodKind.week, ReportedPeriod.previous, "Europe/Berlin"),
    ]
)
windows = st.one_of(
    st.builds(SubmissionWindow, due_after_working_days=st.integers(0, 20), grace_working_days=st.integers(0, 5)),
    st.builds(SubmissionWindow, due_day_of_month=st.integers(1, 31), grace_working_days=st.integers(0, 5)),
)
reminder_lists = st.lists(
    st.builds(Reminder, st.integers(0, 5), st.sampled_from([dt.time(9), dt.time(15, 30)])), max_size=3
)
afters = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2029, 12, 31), timezones=st.just(UTC))


@given(schedules, windows, reminder_lists, afters)
def test_every_round_is_well_formed(
    schedule: PlanSchedule, window: SubmissionWindow, reminders: list[Reminder], after: dt.datetime
) -> None:
    rounds = preview(schedule, window, reminders, CAL, after, 3)
    assert [r.opens_at for r in rounds] == sorted({r.opens_at for r in rounds})
    for timing in rounds:
        assert after < timing.opens_at
        assert CAL.is_working_day(timing.due_on).working
        assert timing.opens_at.astimezone(schedule.zone).date() <= timing.due_on
        assert timing.opens_at < timing.due_at <= timing.grace_until
        assert all(timing.opens_at < r < timing.due_at for r in timing.reminders)
        assert list(timing.reminders) == sorted(set(timing.reminders))
        assert schedule.reported_period(timing.opens_at).key == timing.period_key
        if timing.due_on.year > 2026:
            assert timing.provisional


@given(schedules, afters, st.integers(1, 400))
def test_ticks_back_and_forward_agree(schedule: PlanSchedule, since: dt.datetime, days: int) -> None:
    until = since + dt.timedelta(days=days)
    forward = list(itertools.takewhile(lambda t: t <= until, schedule.ticks_after(since)))
    assert list(reversed(list(schedule.ticks_back(until, since)))) == forward


def test_ticks_back_finds_the_tick_in_the_first_pass_of_a_repeated_hour() -> None:
    # Europe/Berlin, 2027-10-31: 02:00–03:00 happens twice. The 02:30 tick fires in the first pass
    # (00:30 UTC); `until` in the second pass (02:10 CET = 01:10 UTC) comes after it.
    schedule = PlanSchedule(
        cron="30 2 * * *", period=PeriodKind.month, reports_on=ReportedPeriod.current, timezone="Europe/Berlin"
    )
    since = dt.datetime(2027, 10, 30, 12, 0, tzinfo=dt.UTC)
    until = dt.datetime(2027, 10, 31, 1, 10, tzinfo=dt.UTC)
    # (in UTC: an aware time in an ambiguous hour never compares equal to one of another zone)
    back = [t.astimezone(dt.UTC) for t in schedule.ticks_back(until, since)]
    forward = [t.astimezone(dt.UTC) for t in itertools.takewhile(lambda t: t <= until, schedule.ticks_after(since))]
    assert back == forward == [dt.datetime(2027, 10, 31, 0, 30, tzinfo=dt.UTC)]
