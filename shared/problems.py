"""The error answers of an operation, for its OpenAPI `responses`.

`problems(404, 409)` documents each status as `application/problem+json` with the problem schema;
401 (no or bad token) and 422 (request validation) are added to every operation, since every one
is authenticated and takes parameters or a body.
"""

from __future__ import annotations

from typing import Any

from shared.errors import PROBLEM_JSON

DESCRIPTIONS = {
    401: "缺少或无效的令牌",
    403: "无权执行此操作",
    404: "资源不存在或不在调用方辖区内",
    409: "与当前状态或现有数据冲突",
    412: "If-Match 版本已过期",
    413: "请求体过大",
    422: "请求数据校验失败",
    428: "缺少 If-Match 请求头",
    503: "服务暂不可用",
}

# RFC 9457 problem details with our stable `code` (written out: it is inlined in every response).
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "稳定的错误代码，如 circular_not_draft"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message", "code"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "code": {"type": "string"}},
            },
        },
    },
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    wanted = sorted({401, 422, *statuses})
    return {
        status: {"description": DESCRIPTIONS[status], "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
        for status in wanted
    }
