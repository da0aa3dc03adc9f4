"""The error statuses each operation documents: problem+json with the platform's problem schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from shared.errors import PROBLEM_JSON


class ProblemFieldError(BaseModel):
    field: str
    message: str
    code: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the platform's stable `code`."""

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="稳定的错误代码，供程序判断")
    request_id: str | None = None
    errors: list[ProblemFieldError] | None = Field(default=None, description="逐字段的校验错误")


DESCRIPTIONS = {
    401: "未认证或令牌无效",
    403: "无权执行此操作",
    404: "资源不存在或不在调用方辖区内",
    409: "与当前状态冲突（code 说明原因）",
    412: "If-Match 版本已过期",
    422: "请求数据校验失败（errors 逐字段说明）",
    428: "缺少 If-Match 请求头",
    502: "名单库暂不可用",
    503: "服务或名单库暂不可用，稍后重试",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for an operation: 401 and 422 always (every route is authenticated and validated)."""
    wanted = sorted({401, 422, *statuses})
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {"description": DESCRIPTIONS[status], "model": Problem, "content": {PROBLEM_JSON: {"schema": schema}}}
        for status in wanted
    }
