"""`ServiceClient`: one peer service over HTTP, typed, retried, traced, failing only with shared.errors.

One call (`request`, or `stream` for a body read as it arrives):

    headers: Authorization (static token, or the provider asked again on every attempt),
             X-Request-ID and traceparent of the request being served, Idempotency-Key if given
    attempt ─► 2xx ────────────────────────────────────────────► response (`call` parses it into the model)
       │  ├─► 429/502/503/504, or 409 idempotency_in_flight on a keyed call,
       │  │   while the call is retryable and retries remain ──► wait Retry-After or backoff, attempt again
       │  └─► any other non-2xx, or retries spent ────────────► raise error_from_response(...)
       └─► timeout, connect/network/protocol error
              ├─ retryable call, retries remain ──────────────► wait backoff, attempt again
              └─ otherwise ───────────────────────────────────► raise PeerUnavailable

Retryable calls: GET, HEAD, OPTIONS, PUT, DELETE, and any call sent with an `Idempotency-Key`.
Timeouts apply per attempt: the client's `timeout`, or the `request_timeout` given to one call.

What a caller can catch (every one a shared.errors.AppError; never an httpx or pydantic error):

    AppError                    another 4xx: our own request was wrong (renders as 500 if left alone)
    ├── Unauthorized 401, Forbidden 403, NotFound 404, MethodNotAllowed 405, Conflict 409
    │   (IdempotencyInFlight), PreconditionFailed 412, PayloadTooLarge 413, Invalid 422,
    │   PreconditionRequired 428, ServiceUnavailable 503
    │                           the peer's problem document: code, title, detail, field errors and
    │                           extra members (existing_id, version, ...) as the peer sent them
    └── PeerUnavailable 502     peer_timeout, peer_unavailable (transport), peer_bad_response (an error
                                that is not problem+json, a body not matching the schema); also a
                                429 or a 5xx other than 503 once retries are spent

Note a 401/403 here means the peer refused *this service's* token; left to propagate, it reaches
our own caller with the peer's code.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from shared.clients.params import QueryValue, query
from shared.clients.problems import bad_response, error_from_exception, error_from_response
from shared.clients.propagation import context_headers
from shared.clients.retry import RETRYABLE_ERRORS, RetryPolicy

log = logging.getLogger("wanqianbai.clients")

M = TypeVar("M", bound=BaseModel)
TokenProvider = Callable[[], Awaitable[str]]
Sleep = Callable[[float], Awaitable[None]]
Timeout = float | httpx.Timeout

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
DEFAULT_RETRY = RetryPolicy()
ACCEPT = "application/json, application/problem+json"


class ServiceClient:
    """Base of every typed peer client; subclasses add one method per peer endpoint.

    Use as `async with RegistryClient(url, token=...) as registry:` or keep one for the app's lifetime
    (built in the lifespan) and `aclose()` it at shutdown. Safe to share between concurrent tasks.
    """

    peer: ClassVar[str] = "依赖的"  # how messages name the peer: "{peer}服务响应超时"

    def __init__(
        self,
        base_url: str,
        *,
        token: str | SecretStr | None = None,
        token_provider: TokenProvider | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if token is not None and token_provider is not None:
            raise ValueError("pass either token or token_provider, not both")
        self._token = token.get_secret_value() if isinstance(token, SecretStr) else token
        self._token_provider = token_provider
        self.retry = retry
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, transport=transport, headers={"Accept": ACCEPT}
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(
        self,
        model: type[M],
        method: str,
        path: str,
        *,
        params: Mapping[str, QueryValue] | None = None,
        json: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        request_timeout: Timeout | None = None,
    ) -> M:
        """`request`, then the JSON body parsed into `model`."""
        response = await self.request(
            method,
            path,
            params=params,
            json=json,
            headers=headers,
            idempotency_key=idempotency_key,
            request_timeout=request_timeout,
        )
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise bad_response(self.peer, f"{exc.error_count()} errors against {model.__name__}", response) from exc

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, QueryValue] | None = None,
        json: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        request_timeout: Timeout | None = None,
    ) -> httpx.Response:
        """Send one call, retried as the module docstring says; a 2xx response, or an AppError raised."""
        return await self._send(
            method,
            path,
            params=params,
            json=json,
            headers=headers,
            idempotency_key=idempotency_key,
            request_timeout=request_timeout,
            stream=False,
        )

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, QueryValue] | None = None,
        headers: Mapping[str, str] | None = None,
        request_timeout: Timeout | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """`request`, but the 2xx response's body is left unread for the block to read as it arrives.

        Retries are those of `request` up to the status line; once the block has the response, a
        failure reading the body is not retried (part of it has been consumed): read it through
        `read_errors` to get PeerUnavailable rather than an httpx error.
        """
        response = await self._send(
            method, path, params=params, headers=headers, request_timeout=request_timeout, stream=True
        )
        try:
            yield response
        finally:
            await response.aclose()

    @asynccontextmanager
    async def read_errors(self, method: str, path: str) -> AsyncIterator[None]:
        """Turn an httpx error raised while reading a streamed body into PeerUnavailable."""
        try:
            yield
        except httpx.HTTPError as exc:
            raise error_from_exception(exc, self.peer, method, path) from exc

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, QueryValue] | None = None,
        json: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        request_timeout: Timeout | None = None,
        stream: bool,
    ) -> httpx.Response:
        method = method.upper()
        fixed = httpx.Headers(headers)
        if idempotency_key is not None:
            fixed["Idempotency-Key"] = idempotency_key
        retryable = self.retry.allows(method, fixed)
        per_call = httpx.USE_CLIENT_DEFAULT if request_timeout is None else request_timeout
        retries = 0
        while True:
            request = self._http.build_request(
                method,
                path,
                params=query(params or {}),
                json=json,
                headers=await self._headers(fixed),
                timeout=per_call,
            )
            can_retry = retryable and retries < self.retry.max_retries
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.HTTPError as exc:
                if not (can_retry and isinstance(exc, RETRYABLE_ERRORS)):
                    raise error_from_exception(exc, self.peer, method, path) from exc
                await self._wait(self.retry.backoff(retries), request, type(exc).__name__)
                retries += 1
                continue
            if response.is_success:
                return response
            if stream:
                await self._read_error_body(response, method, path)
            delay = self.retry.delay_after(retries, response, dt.datetime.now(dt.UTC)) if can_retry else None
            if delay is None:
                raise error_from_response(response, self.peer)
            await self._wait(delay, request, f"HTTP {response.status_code}")
            retries += 1

    async def _read_error_body(self, response: httpx.Response, method: str, path: str) -> None:
        """Read a streamed error answer (a problem document is small) and release its connection."""
        try:
            await response.aread()
        except httpx.HTTPError as exc:
            raise error_from_exception(exc, self.peer, method, path) from exc
        finally:
            await response.aclose()

    async def _headers(self, fixed: httpx.Headers) -> httpx.Headers:
        headers = httpx.Headers(context_headers())
        headers.update(fixed)
        token = self._token if self._token_provider is None else await self._token_provider()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def _wait(self, delay: float, request: httpx.Request, reason: str) -> None:
        log.warning(
            "retrying peer call",
            extra={
                "peer": self.peer,
                "method": request.method,
                "url": str(request.url),
                "reason": reason,
                "delay_s": round(delay, 3),
            },
        )
        await self._sleep(delay)
