"""The ASGI middleware every service runs: request id, trace context, NUL refusal, body limit, metrics,
access log.

Written as plain ASGI (not BaseHTTPMiddleware) because it wraps every request on the hot path.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.edge import nul_in_request
from shared.errors import AppError, PayloadTooLarge, problem_response
from shared.logging import request_id_var, service_var, traceparent_var
from shared.metrics import Metrics

access_log = logging.getLogger("wanqianbai.access")

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_TRACEPARENT_RE = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def _request_ids(incoming_id: str, incoming_trace: str) -> tuple[str, str]:
    """The request id and traceparent a request runs under: the caller's when well formed, else new ones.

    New ones come from one read of the system's random source for both.
    """
    valid_id = _REQUEST_ID_RE.match(incoming_id) is not None
    valid_trace = _TRACEPARENT_RE.match(incoming_trace) is not None
    if valid_id and valid_trace:
        return incoming_id, incoming_trace
    fresh = secrets.token_hex(40)  # 16 bytes of request id, then 16 + 8 of trace and span id
    request_id = incoming_id if valid_id else fresh[:32]
    traceparent = incoming_trace if valid_trace else f"00-{fresh[32:64]}-{fresh[64:]}-01"
    return request_id, traceparent


class _BodyTooLarge(HTTPException):
    """Raised from `receive`; an HTTPException so FastAPI's body parsing passes it on as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"请求体超过上限 {limit} 字节")


class PlatformMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str,
        metrics: Metrics,
        max_body_bytes: int,
        max_upload_bytes: int,
        is_upload_path: Callable[[str], bool],
        access_log_enabled: bool = True,
    ) -> None:
        self.app = app
        self.service = service
        self.metrics = metrics
        self.max_body = max_body_bytes
        self.max_upload = max_upload_bytes
        self.is_upload_path = is_upload_path
        self.access_log_enabled = access_log_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        request_id, traceparent = _request_ids(
            headers.get(b"x-request-id", b"").decode("latin-1"), headers.get(b"traceparent", b"").decode("latin-1")
        )
        scope.setdefault("state", {})
        scope["state"]["request_id"] = request_id
        scope["state"]["traceparent"] = traceparent
        service_token = service_var.set(self.service)
        rid_token = request_id_var.set(request_id)
        tp_token = traceparent_var.set(traceparent)
        extra_headers = [(b"x-request-id", request_id.encode()), (b"traceparent", traceparent.encode())]
        status = 500
        limit = self.max_upload if self.is_upload_path(scope["path"]) else self.max_body

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = list(message.get("headers", [])) + extra_headers
            await send(message)

        try:
            refused = nul_in_request(scope["path"], scope["query_string"])
            if refused is not None:
                await self._refuse(send_wrapper, refused, request_id)
                return
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and len(declared) < 20 and int(declared) > limit:
                await self._too_large(send_wrapper, limit, request_id)
                return
            received = 0

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise _BodyTooLarge(limit)
                return message

            try:
                await self.app(scope, limited_receive, send_wrapper)
            except _BodyTooLarge:
                await self._too_large(send_wrapper, limit, request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.observe_request(method, template, status, elapsed)
            if self.access_log_enabled:
                principal = scope["state"].get("principal")
                access_log.info(
                    "request",
                    extra={
                        "method": method,
                        "route": template,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "request_id": request_id,
                        "caller": getattr(principal, "sub", None),
                        "role": getattr(getattr(principal, "role", None), "value", None),
                    },
                )
            request_id_var.reset(rid_token)
            traceparent_var.reset(tp_token)
            service_var.reset(service_token)

    @classmethod
    async def _too_large(cls, send: Send, limit: int, request_id: str) -> None:
        await cls._refuse(send, PayloadTooLarge(f"请求体超过上限 {limit} 字节"), request_id)

    @staticmethod
    async def _refuse(send: Send, error: AppError, request_id: str) -> None:
        response = problem_response(error, request_id)
        await response({"type": "http"}, _no_receive, send)
