"""One HTTP attempt of a webhook delivery, on aiohttp, and what came of it.

`WebhookSender` owns one `aiohttp.ClientSession` for the whole fan-out: a `TCPConnector` with
`limit` connections in all and `limit_per_host` per receiver (so one slow system cannot take
every connection), the `SafeResolver` of `outbound`, no cookie jar, no proxy from the environment,
and a total timeout of 15 s per attempt. `send` never raises for anything the receiver or the
network does: every attempt ends in an `AttemptResult`.

    2xx                 delivered
    410                 gone: the endpoint is to be disabled
    3xx                 failure `redirect_not_followed` (redirects are never followed: a redirect
                        could point anywhere the URL rules would have refused)
    429, 5xx            failure `http_error`, with `retry_after_s` from Retry-After (seconds or an
                        HTTP-date) when the receiver sent one
    other 4xx           failure `http_error`
    no HTTP answer      failure with one of the `AttemptError` codes below
"""

from __future__ import annotations

import asyncio
import codecs
import math
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from types import TracebackType
from typing import Self

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from services.notify.outbound import (
    AddressRefused,
    OutboundPolicy,
    OutboundRefused,
    SafeResolver,
    validate_webhook_url,
)

DEFAULT_TIMEOUT_S = 15.0
EXCERPT_BYTES = 1024
MAX_ERROR_MESSAGE = 500
USER_AGENT = "wanqianbai-notify/1.0"


class AttemptError(StrEnum):
    http_error = "http_error"
    redirect_not_followed = "redirect_not_followed"
    gone = "gone"
    invalid_url = "invalid_url"
    address_refused = "address_refused"
    dns_error = "dns_error"
    connect_refused = "connect_refused"
    connect_error = "connect_error"
    tls_error = "tls_error"
    timeout = "timeout"
    disconnected = "disconnected"
    protocol_error = "protocol_error"
    connection_error = "connection_error"


class AttemptOutcome(StrEnum):
    delivered = "delivered"
    retry = "retry"
    gone = "gone"


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """`status_code` is None when no HTTP answer came; `response_excerpt` is at most the first
    1 KB of the body, decoded with its charset (else UTF-8), undecodable bytes replaced and
    control characters dropped, so it can be stored as text."""

    status_code: int | None
    latency_ms: int
    error_code: AttemptError | None = None
    error_message: str | None = None
    response_excerpt: str = ""
    retry_after_s: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.error_code is None and self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410

    @property
    def outcome(self) -> AttemptOutcome:
        if self.succeeded:
            return AttemptOutcome.delivered
        if self.gone:
            return AttemptOutcome.gone
        return AttemptOutcome.retry


def parse_retry_after(value: str, now: datetime) -> int | None:
    """Seconds to wait from a Retry-After value (delay-seconds or HTTP-date); None when unreadable."""
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, math.ceil((when - now).total_seconds()))


def _utc_now() -> datetime:
    return datetime.now(UTC)


class WebhookSender:
    """Use as `async with WebhookSender(policy) as sender: await sender.send(...)`.

    `resolver` replaces the system resolver under the `SafeResolver` (tests use a fake one);
    `ssl_context` lets a deployment trust a private CA; `clock` reads HTTP-date Retry-After values.
    """

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        limit: int = 100,
        limit_per_host: int = 4,
        resolver: AbstractResolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], datetime] = _utc_now,
        user_agent: str = USER_AGENT,
    ) -> None:
        self._policy = policy
        self._timeout_s = timeout_s
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._inner_resolver = resolver
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._clock = clock
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        connector = aiohttp.TCPConnector(
            resolver=SafeResolver(self._policy, self._inner_resolver),
            limit=self._limit,
            limit_per_host=self._limit_per_host,
            ssl=self._ssl,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self._timeout_s),
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            headers={"User-Agent": self._user_agent},
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, url: str, headers: Mapping[str, str], body: bytes) -> AttemptResult:
        """POST `body` to `url` once; the URL rules are checked again first (literal addresses
        never reach the resolver)."""
        if self._session is None:
            raise RuntimeError("WebhookSender is not open: use it as an async context manager")
        started = time.perf_counter()
        try:
            target = validate_webhook_url(url, self._policy)
            request_url = URL(target.url)
            if request_url.raw_host != target.host:
                raise OutboundRefused("url_invalid", "URL host is read differently by the HTTP client")
        except AddressRefused as exc:
            return AttemptResult(None, 0, AttemptError.address_refused, exc.message)
        except OutboundRefused as exc:
            return AttemptResult(None, 0, AttemptError.invalid_url, exc.message)

        try:
            async with (
                asyncio.timeout(self._timeout_s),
                self._session.post(request_url, data=body, headers=dict(headers), allow_redirects=False) as resp,
            ):
                excerpt = await _read_excerpt(resp)
                status, reason = resp.status, resp.reason or ""
                retry_after = resp.headers.get("Retry-After")
                location = resp.headers.get("Location", "")
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            code, message = self._classify(exc)
            return AttemptResult(None, _elapsed_ms(started), code, message)

        latency = _elapsed_ms(started)
        if 200 <= status < 300:
            return AttemptResult(status, latency, response_excerpt=excerpt)
        if status == 410:
            return AttemptResult(status, latency, AttemptError.gone, f"HTTP 410 {reason}".strip(), excerpt)
        if 300 <= status < 400:
            message = _clip(f"HTTP {status} redirect to {location or '(no Location)'} not followed")
            return AttemptResult(status, latency, AttemptError.redirect_not_followed, message, excerpt)
        wait = None
        if retry_after is not None and (status == 429 or status >= 500):
            wait = parse_retry_after(retry_after, self._clock())
        return AttemptResult(status, latency, AttemptError.http_error, f"HTTP {status} {reason}".strip(), excerpt, wait)

    def _classify(self, exc: BaseException) -> tuple[AttemptError, str]:
        refused = _find_in_chain(exc, AddressRefused)
        if isinstance(refused, AddressRefused):
            return AttemptError.address_refused, refused.message
        if isinstance(exc, aiohttp.ClientSSLError) or _find_in_chain(exc, ssl.SSLError) is not None:
            return AttemptError.tls_error, _clip(str(exc))
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return AttemptError.dns_error, _clip(str(exc))
        if isinstance(exc, TimeoutError):
            return AttemptError.timeout, f"no complete answer within {self._timeout_s:g} s"
        if isinstance(exc, aiohttp.ClientConnectorError):
            if isinstance(exc.os_error, ConnectionRefusedError):
                return AttemptError.connect_refused, _clip(str(exc))
            return AttemptError.connect_error, _clip(str(exc))
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            return AttemptError.disconnected, "the receiver closed the connection without answering"
        if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
            return AttemptError.protocol_error, _clip(str(exc))
        if isinstance(exc, aiohttp.InvalidURL | ValueError):
            return AttemptError.invalid_url, _clip(str(exc))
        return AttemptError.connection_error, _clip(str(exc) or type(exc).__name__)


async def _read_excerpt(resp: aiohttp.ClientResponse) -> str:
    data = bytearray()
    while len(data) < EXCERPT_BYTES:
        chunk = await resp.content.read(EXCERPT_BYTES - len(data))
        if not chunk:
            break
        data += chunk
    return decode_excerpt(bytes(data), resp.charset)


def decode_excerpt(data: bytes, charset: str | None) -> str:
    """Text of a body prefix: a multi-byte character cut at the end is dropped, not mangled."""
    try:
        codec = codecs.lookup(charset or "utf-8")
    except LookupError:
        codec = codecs.lookup("utf-8")
    text = codec.incrementaldecoder(errors="replace").decode(data, final=False)
    return "".join(c for c in text if c in "\t\n\r" or (ord(c) >= 0x20 and ord(c) != 0x7F))


def _find_in_chain(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        os_error = getattr(current, "os_error", None)
        if isinstance(os_error, kind):
            return os_error
        current = current.__cause__ or current.__context__
    return None


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ERROR_MESSAGE else text[: MAX_ERROR_MESSAGE - 1] + "…"
