"""The error vocabulary of every service, rendered once as RFC 9457 problem+json.

    AppError                         (500, never leaks internals)
    ├── BadRequest                   400  (a body that cannot be parsed at all, e.g. not UTF-8)
    ├── Unauthorized                 401  + WWW-Authenticate: Bearer
    ├── Forbidden                    403
    ├── NotFound                     404  (also for records outside the caller's scope)
    ├── Conflict                     409
    │   └── IdempotencyInFlight      409
    ├── PreconditionFailed           412  (stale If-Match)
    ├── PayloadTooLarge              413
    ├── Invalid                      422  (field-level errors)
    ├── PreconditionRequired         428  (If-Match missing)
    ├── PeerUnavailable              502/503  (a peer service could not answer)
    └── ServiceUnavailable           503

Domain code raises these (or subclasses named `<Thing><Problem>`); routers never build error
responses themselves. Peer clients map the problem documents they receive back to these classes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("wanqianbai.errors")

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str
    code: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "code": self.code}


class AppError(Exception):
    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"
    default_title: ClassVar[str] = "服务内部错误"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        title: str | None = None,
        errors: Sequence[FieldError] = (),
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.title = title or self.default_title
        self.detail = detail or self.title
        self.errors = list(errors)
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        super().__init__(f"{self.code}: {self.detail}")

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"urn:wanqianbai:problem:{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        body.update(self.extra)
        return body


class BadRequest(AppError):
    status = 400
    default_code = "request_malformed"
    default_title = "请求格式错误"


class Unauthorized(AppError):
    status = 401
    default_code = "unauthorized"
    default_title = "未认证或令牌无效"

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": 'Bearer realm="wanqianbai"'})


class Forbidden(AppError):
    status = 403
    default_code = "forbidden"
    default_title = "无权执行此操作"


class NotFound(AppError):
    status = 404
    default_code = "not_found"
    default_title = "资源不存在"


class Conflict(AppError):
    status = 409
    default_code = "conflict"
    default_title = "与现有数据冲突"


class IdempotencyInFlight(Conflict):
    default_code = "idempotency_in_flight"
    default_title = "相同幂等键的请求正在处理中"


class MethodNotAllowed(AppError):
    status = 405
    default_code = "method_not_allowed"
    default_title = "不支持的请求方法"


class PreconditionFailed(AppError):
    status = 412
    default_code = "precondition_failed"
    default_title = "资源已被修改（版本不匹配）"


class PayloadTooLarge(AppError):
    status = 413
    default_code = "payload_too_large"
    default_title = "请求体过大"


class Invalid(AppError):
    status = 422
    default_code = "validation_failed"
    default_title = "请求数据校验失败"

    @classmethod
    def field(cls, field: str, message: str, code: str) -> Invalid:
        """One bad field: the usual case for a domain rule."""
        return cls(message, code=code, errors=[FieldError(field, message, code)])


class PreconditionRequired(AppError):
    status = 428
    default_code = "precondition_required"
    default_title = "修改须携带 If-Match 请求头"


class ServiceUnavailable(AppError):
    status = 503
    default_code = "service_unavailable"
    default_title = "服务暂不可用"


class PeerUnavailable(AppError):
    status = 502
    default_code = "peer_unavailable"
    default_title = "依赖的服务暂不可用"


# A peer's 400 is deliberately absent: it means our own request was wrong (see shared.clients.problems).
_BY_STATUS: dict[int, type[AppError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    422: Invalid,
    428: PreconditionRequired,
    503: ServiceUnavailable,
}


def error_class_for_status(status: int) -> type[AppError]:
    return _BY_STATUS.get(status, PeerUnavailable if status >= 500 else AppError)


# Chinese messages for pydantic's built-in error types; custom validators raise
# PydanticCustomError with our own code and an already-Chinese message.
_PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_too_long": "字符串过长",
    "string_too_short": "字符串过短",
    "string_type": "应为字符串",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_type": "应为十进制数（可用字符串表示）",
    "decimal_parsing": "应为十进制数",
    "decimal_max_digits": "数字位数过多",
    "decimal_max_places": "小数位数过多",
    "decimal_whole_digits": "整数位数过多",
    "greater_than": "数值过小",
    "greater_than_equal": "数值不能小于下限",
    "less_than": "数值过大",
    "less_than_equal": "数值不能大于上限",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期，不含时间",
    "datetime_type": "应为 RFC 3339 时间",
    "datetime_parsing": "时间格式应为 RFC 3339",
    "datetime_from_date_parsing": "时间格式应为 RFC 3339",
    "timezone_aware": "时间须带时区偏移",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "UUID 格式不正确",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "list_type": "应为数组",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "too_long": "元素过多",
    "too_short": "元素过少",
    "json_invalid": "JSON 格式错误",
    "json_type": "应为 JSON",
    "value_error": "取值不合法",
    "union_tag_invalid": "类型标识不正确",
    "url_parsing": "URL 格式不正确",
    "url_scheme": "URL 协议不正确",
    "int_max_size": "数值过大",
}


def _field_path(loc: Sequence[int | str]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        source = parts.pop(0)
        if source != "body" and parts:
            return ".".join(str(p) for p in parts)
    # Tagged unions add the tag name to the location; it is noise to a caller.
    return ".".join(str(p) for p in parts if not (isinstance(p, str) and p.startswith("function-"))) or "body"


def field_errors_from_pydantic(errors: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    out: list[FieldError] = []
    for err in errors:
        code = str(err.get("type", "value_error"))
        message = _PYDANTIC_MESSAGES.get(code)
        if message is None:
            raw = str(err.get("msg", "取值不合法"))
            message = raw.removeprefix("Value error, ")
        ctx = err.get("ctx") or {}
        if code == "string_too_long" and "max_length" in ctx:
            message = f"字符串过长（最多 {ctx['max_length']} 个字符）"
        elif code in ("enum", "literal_error") and "expected" in ctx:
            message = f"取值不在允许范围内，可选：{ctx['expected']}"
        elif code in ("greater_than_equal", "greater_than") and ("ge" in ctx or "gt" in ctx):
            message = f"数值须{'≥' if 'ge' in ctx else '>'} {ctx.get('ge', ctx.get('gt'))}"
        out.append(FieldError(_field_path(err.get("loc", ())), message, code))
    return out


def problem_response(error: AppError, request_id: str | None = None) -> Response:
    body = error.problem()
    if request_id:
        body["request_id"] = request_id
    return Response(orjson.dumps(body), status_code=error.status, media_type=PROBLEM_JSON, headers=error.headers)


def install_error_handlers(app: FastAPI) -> None:
    """One renderer for every error the platform can produce."""

    def request_id(request: Request) -> str | None:
        value = request.scope.get("state", {}).get("request_id")
        return value if isinstance(value, str) else None

    async def on_app_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AppError)
        if exc.status >= 500:
            log.error("request failed: %s", exc.code, extra={"code": exc.code})
        return problem_response(exc, request_id(request))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = field_errors_from_pydantic(exc.errors())
        # A single domain rule (e.g. enterprise_uscc_invalid) names the whole problem.
        codes = {e.code for e in errors}
        code = next(iter(codes)) if len(codes) == 1 and not codes & _PYDANTIC_MESSAGES.keys() else None
        detail = "；".join(f"{e.field}: {e.message}" for e in errors[:5])
        return problem_response(Invalid(detail, code=code, errors=errors), request_id(request))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        cls = error_class_for_status(exc.status_code)
        if exc.status_code == 404:
            err: AppError = NotFound("请求的地址不存在", code="route_not_found")
        elif exc.status_code == 405:
            err = MethodNotAllowed()
        elif exc.status_code == 400:  # FastAPI's answer to a body it cannot decode (bytes not UTF-8, say)
            err = BadRequest("请求体无法解析：须为 UTF-8 编码、嵌套不过深的 JSON", code="body_unparseable")
        else:
            err = cls(str(exc.detail) if exc.status_code < 500 else None)
        return problem_response(err, request_id(request))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return problem_response(AppError(), request_id(request))

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
