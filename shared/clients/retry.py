"""When a peer call may be repeated, and how long to wait before repeating it.

Only calls that are safe to repeat are retried: GET/HEAD/OPTIONS/PUT/DELETE, and any call that
carries an `Idempotency-Key` (the peer replays the first response instead of acting twice). PATCH
without a key is not retried: a repeat after an unseen success would fail on its stale `If-Match`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from shared.errors import IdempotencyInFlight

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# A retry while the first request with the same key is still being processed answers 409 with this code.
IN_FLIGHT_CODE = IdempotencyInFlight.default_code

# Failures where the request may not have reached the peer, or its answer did not reach us.
RETRYABLE_ERRORS: tuple[type[httpx.HTTPError], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: retry n waits between half and all of min(max, base * 2**n).

    A `Retry-After` from the peer replaces the computed wait; one longer than `max_retry_after`
    ends the retries at once (the caller is better told now than after that long).
    """

    max_retries: int = 3
    backoff_base_s: float = 0.2
    backoff_max_s: float = 5.0
    max_retry_after_s: float = 30.0
    jitter: Callable[[], float] = field(default=random.random, compare=False)  # uniform in [0, 1)

    def allows(self, method: str, headers: httpx.Headers) -> bool:
        return method.upper() in IDEMPOTENT_METHODS or "idempotency-key" in headers

    def backoff(self, retry: int) -> float:
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2.0**retry)
        return ceiling * (0.5 + self.jitter() / 2)

    def delay_after(self, retry: int, response: httpx.Response, now: dt.datetime) -> float | None:
        """Seconds to wait before repeating a call that got `response`; None when it must not be repeated."""
        if not is_retryable_response(response):
            return None
        retry_after = parse_retry_after(response.headers, now)
        if retry_after is None:
            return self.backoff(retry)
        return retry_after if retry_after <= self.max_retry_after_s else None


def is_retryable_response(response: httpx.Response) -> bool:
    if response.status_code in RETRYABLE_STATUSES:
        return True
    if response.status_code == 409 and "idempotency-key" in response.request.headers:
        return _problem_code(response) == IN_FLIGHT_CODE
    return False


def _problem_code(response: httpx.Response) -> object:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def parse_retry_after(headers: httpx.Headers, now: dt.datetime) -> float | None:
    """`Retry-After` in seconds (delay-seconds or HTTP-date), never negative; None when absent or unreadable.

    An HTTP-date is measured from the response's own `Date` when it has one, so clock skew between
    the peer and us does not stretch or shrink the wait.
    """
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    when = _http_date(raw)
    if when is None:
        return None
    reference = _http_date(headers.get("date", "")) or now
    return max(0.0, (when - reference).total_seconds())


def _http_date(value: str) -> dt.datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)
