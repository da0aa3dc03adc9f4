"""The retry schedule and the endpoint-disabling rule."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.retry_schedule import DEFAULT_DELAYS, RetrySchedule, should_disable_endpoint

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SCHEDULE = RetrySchedule()


def middle() -> float:
    return 0.5


def test_default_delays_are_the_documented_ones() -> None:
    assert [d.total_seconds() for d in DEFAULT_DELAYS] == [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
    assert SCHEDULE.max_attempts == 8


@pytest.mark.parametrize(("attempt_no", "delay"), list(enumerate(DEFAULT_DELAYS)))
def test_without_jitter_each_attempt_waits_its_delay(attempt_no: int, delay: timedelta) -> None:
    assert SCHEDULE.next_attempt_at(attempt_no, NOW, rng=middle) == NOW + delay


def test_first_attempt_is_due_at_once() -> None:
    assert SCHEDULE.next_attempt_at(0, NOW) == NOW


def test_after_the_last_attempt_the_delivery_is_given_up() -> None:
    assert SCHEDULE.next_attempt_at(8, NOW, rng=middle) is None
    assert SCHEDULE.next_attempt_at(9, NOW, rng=middle) is None


def test_jitter_spans_plus_minus_20_percent() -> None:
    assert SCHEDULE.next_attempt_at(2, NOW, rng=lambda: 0.0) == NOW + timedelta(minutes=4)
    assert SCHEDULE.next_attempt_at(2, NOW, rng=lambda: 1.0) == NOW + timedelta(minutes=6)


@given(st.integers(min_value=0, max_value=7), st.floats(min_value=0, max_value=1, exclude_max=True))
def test_jittered_delay_always_lies_within_20_percent(attempt_no: int, r: float) -> None:
    due = SCHEDULE.next_attempt_at(attempt_no, NOW, rng=lambda: r)
    assert due is not None
    delay = DEFAULT_DELAYS[attempt_no]
    assert NOW + delay * 0.8 <= due <= NOW + delay * 1.2


def test_seeded_random_source_repeats() -> None:
    first = [SCHEDULE.next_attempt_at(n, NOW, rng=random.Random(7).random) for n in range(8)]
    second = [SCHEDULE.next_attempt_at(n, NOW, rng=random.Random(7).random) for n in range(8)]
    assert first == second
    assert first != [SCHEDULE.next_attempt_at(n, NOW, rng=middle) for n in range(8)]


def test_a_later_retry_after_wins() -> None:
    assert SCHEDULE.next_attempt_at(1, NOW, timedelta(seconds=120), rng=middle) == NOW + timedelta(seconds=120)


def test_an_earlier_retry_after_does_not_shorten_the_schedule() -> None:
    assert SCHEDULE.next_attempt_at(3, NOW, timedelta(seconds=10), rng=middle) == NOW + timedelta(minutes=30)


def test_retry_after_is_capped_at_the_longest_step() -> None:
    assert SCHEDULE.next_attempt_at(1, NOW, timedelta(days=30), rng=middle) == NOW + timedelta(hours=10)


def test_retry_after_does_not_revive_a_spent_delivery() -> None:
    assert SCHEDULE.next_attempt_at(8, NOW, timedelta(seconds=60)) is None


def test_negative_attempt_number_is_an_error() -> None:
    with pytest.raises(ValueError):
        SCHEDULE.next_attempt_at(-1, NOW)


def test_schedule_rejects_bad_settings() -> None:
    with pytest.raises(ValueError):
        RetrySchedule(delays=())
    with pytest.raises(ValueError):
        RetrySchedule(jitter=1.0)


def test_custom_schedule() -> None:
    short = RetrySchedule(delays=(timedelta(0), timedelta(seconds=1)), jitter=0)
    assert short.next_attempt_at(1, NOW, rng=lambda: 0.9) == NOW + timedelta(seconds=1)
    assert short.next_attempt_at(2, NOW) is None


def test_endpoint_failing_for_five_days_is_disabled() -> None:
    assert should_disable_endpoint(NOW - timedelta(days=5), NOW)
    assert should_disable_endpoint(NOW - timedelta(days=9), NOW)


def test_endpoint_failing_for_less_than_five_days_stays() -> None:
    assert not should_disable_endpoint(NOW - timedelta(days=5) + timedelta(seconds=1), NOW)


def test_endpoint_that_last_succeeded_stays() -> None:
    assert not should_disable_endpoint(None, NOW)
