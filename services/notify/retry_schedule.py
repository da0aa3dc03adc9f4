"""When a delivery is tried again, when it is given up, and when its endpoint is switched off.

Attempts run at 0 s, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (eight in all, about
28 hours end to end), each delay spread by ±20 % so that a receiver that comes back is not hit by
every queued message in the same second. A receiver's `Retry-After` wins when it asks for later
than the schedule would, capped at the schedule's longest step so no receiver can park a message
indefinitely. After the last attempt fails the delivery is failed.

An endpoint whose deliveries have failed without a single success for five days is disabled;
so is one that answers 410 Gone (see `AttemptResult.gone`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_DELAYS: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
DISABLE_AFTER = timedelta(days=5)


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """`delays[n]` is the wait before attempt n + 1, counted from the end of attempt n."""

    delays: tuple[timedelta, ...] = DEFAULT_DELAYS
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if not self.delays:
            raise ValueError("a retry schedule needs at least one delay")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must lie in [0, 1)")

    @property
    def max_attempts(self) -> int:
        return len(self.delays)

    @property
    def max_retry_after(self) -> timedelta:
        return max(self.delays)

    def next_attempt_at(
        self,
        attempt_no: int,
        now: datetime,
        retry_after: timedelta | None = None,
        *,
        rng: Callable[[], float] = random.random,
    ) -> datetime | None:
        """When attempt `attempt_no + 1` is due, given that `attempt_no` attempts have been made
        (0 for the first one, due at `now`); None once every attempt is spent.

        `rng` returns a float in [0, 1); `random.Random(seed).random` makes the jitter repeatable.
        """
        if attempt_no < 0:
            raise ValueError("attempt_no cannot be negative")
        if attempt_no >= self.max_attempts:
            return None
        factor = 1 + self.jitter * (2 * rng() - 1)
        due = now + self.delays[attempt_no] * factor
        if retry_after is not None and retry_after > timedelta(0):
            due = max(due, now + min(retry_after, self.max_retry_after))
        return due


def should_disable_endpoint(failing_since: datetime | None, now: datetime, after: timedelta = DISABLE_AFTER) -> bool:
    """True when the endpoint has failed continuously for `after`: `failing_since` is its first
    failure since its last success (None while its latest attempt succeeded)."""
    return failing_since is not None and now - failing_since >= after
