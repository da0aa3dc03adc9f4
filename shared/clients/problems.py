"""Turn a peer's failure into the platform's own error classes (shared.errors), never an httpx type.

    problem+json answer     -> error_class_for_status(status), with the peer's code, title, detail,
                               field errors and extra members (e.g. `existing_id`, `version`);
                               409 `idempotency_in_flight` -> IdempotencyInFlight, 405 -> MethodNotAllowed,
                               429 (retries spent) -> PeerUnavailable
    other error answer      -> PeerUnavailable  code=peer_bad_response (a proxy's HTML page, ...)
    2xx body not the schema -> PeerUnavailable  code=peer_bad_response
    timeout                 -> PeerUnavailable  code=peer_timeout
    any other transport err -> PeerUnavailable  code=peer_unavailable

The peer's status is kept wherever the hierarchy has a class for it (401 403 404 409 412 413 422
428 503); other 5xx become PeerUnavailable (502), other 4xx the base AppError (500: a request our
own code got wrong). Details shown to our callers name the peer by its label only, never a URL.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from shared.errors import (
    AppError,
    FieldError,
    IdempotencyInFlight,
    MethodNotAllowed,
    PeerUnavailable,
    error_class_for_status,
)

log = logging.getLogger("wanqianbai.clients")

PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail", "code", "errors", "request_id"})

_BY_CODE: dict[str, type[AppError]] = {IdempotencyInFlight.default_code: IdempotencyInFlight}
_BY_STATUS: dict[int, type[AppError]] = {405: MethodNotAllowed, 429: PeerUnavailable}


def error_from_response(response: httpx.Response, peer: str) -> AppError:
    """The error a non-2xx `response` from `peer` (a label such as 名单库) stands for."""
    problem = _problem(response)
    if problem is None:
        log.warning(
            "peer answered without a problem document",
            extra={"peer": peer, "status": response.status_code, "url": str(response.request.url)},
        )
        return PeerUnavailable(
            f"{peer}服务返回了无法识别的错误（HTTP {response.status_code}）", code="peer_bad_response"
        )
    code = problem.get("code")
    code = code if isinstance(code, str) and code else None
    cls = (
        _BY_CODE.get(code or "") or _BY_STATUS.get(response.status_code) or error_class_for_status(response.status_code)
    )
    detail, title = problem.get("detail"), problem.get("title")
    error = cls(detail if isinstance(detail, str) else None, code=code)
    if isinstance(title, str) and title:
        error.title = title
    error.errors = _field_errors(problem.get("errors"))
    error.extra = {k: v for k, v in problem.items() if k not in PROBLEM_MEMBERS}
    return error


def bad_response(peer: str, reason: str, response: httpx.Response) -> PeerUnavailable:
    log.warning(
        "peer response does not match its schema",
        extra={"peer": peer, "status": response.status_code, "url": str(response.request.url), "reason": reason},
    )
    return PeerUnavailable(f"{peer}服务的响应格式无效", code="peer_bad_response")


def error_from_exception(exc: httpx.HTTPError, peer: str, method: str, url: str) -> PeerUnavailable:
    log.warning("peer call failed", extra={"peer": peer, "method": method, "url": url, "error": type(exc).__name__})
    if isinstance(exc, httpx.TimeoutException):
        return PeerUnavailable(f"{peer}服务响应超时", code="peer_timeout")
    return PeerUnavailable(f"{peer}服务暂时无法连接", code="peer_unavailable")


def _problem(response: httpx.Response) -> Mapping[str, Any] | None:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/problem+json", "application/json"):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) and isinstance(body.get("code"), str) else None


def _field_errors(raw: object) -> list[FieldError]:
    if not isinstance(raw, list):
        return []
    return [
        FieldError(str(item["field"]), str(item.get("message", "")), str(item.get("code", "")))
        for item in raw
        if isinstance(item, dict) and "field" in item
    ]
