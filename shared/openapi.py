"""The OpenAPI document says everything a service answers: every status, as problem+json, and the bearer scheme.

FastAPI documents an operation's success and a generic 422 as `application/json`. The platform's
errors are `application/problem+json` (`shared.errors`), and which ones an operation can answer
follows from what it is, so they are added here once for every service rather than per route:

| status | answered by | when |
|---|---|---|
| 400 | every operation with a body | the body cannot be parsed (not UTF-8, malformed JSON or multipart) |
| 401, 403 | every `/api/v1` operation | no or bad token; a role or region scope that does not allow it |
| 404 | every `/api/v1` operation | no such record (in the path, or named by a filter or a field), or |
| | | one outside the caller's scope |
| 409 | creating and changing operations | a unique code taken, an idempotent request in flight |
| 412, 428 | operations that take `If-Match` | a stale version; `If-Match` missing |
| 413 | operations with a body | the body is over the limit |
| 422 | every operation | a parameter or field refused (NUL bytes included, in any query string) |
| 503 | every operation that reads the database | the database cannot be reached (with `Retry-After`) |

A description a route gives for one of these statuses is kept; its content becomes the problem schema,
and so does that of any other error status a route declares itself (`PEER_UNAVAILABLE` for an
operation that calls a peer service, 502).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from shared.concurrency import expected_version
from shared.errors import PROBLEM_JSON
from shared.idempotency import idempotency

API_PREFIX = "/api/v1"
BEARER = "bearerAuth"

DESCRIPTIONS = {
    400: "请求体无法解析（code: request_malformed）",
    401: "未认证：缺少令牌或令牌无效、过期（code: token_missing / token_invalid / token_expired …）",
    403: "无权限：角色或地区范围不允许此操作",
    404: "资源不存在，或不在调用方的地区范围内",
    409: "冲突：唯一编码已被占用，或相同幂等键的请求仍在处理中",
    412: "版本不匹配：If-Match 不是资源的当前版本（code: precondition_failed）",
    413: "请求体超过上限（code: payload_too_large）",
    422: "参数或字段校验失败，errors 列出每个字段的问题（含空字符 string_nul_byte）",
    428: "缺少 If-Match 请求头（code: precondition_required）",
    502: "依赖的服务（如名单库）暂不可用，稍后重试",
    503: "数据库或依赖服务暂不可用，按 Retry-After 稍后重试",
}

# `responses=` of an operation that calls a peer service and answers 502 when it cannot.
PEER_UNAVAILABLE: dict[int | str, dict[str, Any]] = {502: {"description": DESCRIPTIONS[502]}}


class ProblemFieldError(BaseModel):
    field: str = Field(description="出错的字段或参数，如 `region_code`、`items.0.name`")
    message: str = Field(description="中文说明")
    code: str = Field(description="稳定的错误代码")


class Problem(BaseModel):
    """RFC 9457 问题详情（application/problem+json）。"""

    type: str = Field(description="`urn:wanqianbai:problem:<code>`")
    title: str
    status: int
    detail: str
    code: str = Field(description="稳定的错误代码，客户端据此分支")
    request_id: str | None = Field(default=None, description="与响应头 X-Request-ID 相同")
    errors: list[ProblemFieldError] | None = Field(default=None, description="字段级错误（校验失败时）")


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def statuses(route: APIRoute) -> set[int]:
    """The problem statuses an operation can answer, from what it is (see the module's table)."""
    methods = route.methods or set()
    calls = set(_calls(route.dependant))
    found = {422}
    has_body = bool(methods & {"POST", "PUT", "PATCH"})
    if route.path.startswith(API_PREFIX):
        found |= {401, 403, 404, 503}
    if has_body:
        found |= {400, 413}
    if "{" in route.path:  # the operations endpoints have none, but a future one would 404 too
        found.add(404)
    if has_body or "DELETE" in methods:
        found.add(409)
    if expected_version in calls:
        found |= {412, 428}
    if idempotency in calls:
        found.add(409)
    return found


def install_openapi(app: FastAPI) -> None:
    """Replace `app.openapi` with one that documents the platform's problems and the bearer scheme."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem_schema.pop("$defs", {}))
        schemas["Problem"] = problem_schema
        components["securitySchemes"] = {
            BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "平台签发的 JWT"}
        }
        problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for route in app.routes:
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            for method in route.methods or ():
                operation = schema["paths"][route.path_format][method.lower()]
                if route.path.startswith(API_PREFIX):
                    operation["security"] = [{BEARER: []}]
                responses = operation.setdefault("responses", {})
                declared = {int(s) for s in responses if s.isdigit() and int(s) >= 400}
                for status in sorted(statuses(route) | declared):
                    given = responses.get(str(status), {})
                    description = given.get("description")
                    if description in (None, "Validation Error", "Successful Response"):
                        description = DESCRIPTIONS.get(status, "错误")
                    responses[str(status)] = {"description": description, "content": problem}
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
