"""Optimistic concurrency with `version` + ETag / If-Match (428 when missing, 412 when stale)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Response
from pydantic import BaseModel

from shared.edge import INT32_MAX
from shared.errors import PreconditionFailed, PreconditionRequired

_ETAG_RE = re.compile(r'^(?:W/)?"(\d+)"$')


def etag_for(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


def versioned_json(body: BaseModel | bytes, version: int) -> Response:
    """A record as the JSON body FastAPI would write for it (a model, or its JSON already written), with
    its ETag.

    For reads on the hot path: the route returns a ready response, so FastAPI does not dump the
    model, validate it again against the route's `response_model` and serialise it a second time.
    The `response_model` still documents the body.
    """
    content = body if isinstance(body, bytes) else body.__pydantic_serializer__.to_json(body, by_alias=True)
    return Response(content, media_type="application/json", headers={"ETag": etag_for(version)})


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(description='当前版本的 ETag，例如 "3"；缺少时返回 428，过期时返回 412'),
    ] = None,
) -> int:
    if if_match is None:
        raise PreconditionRequired("修改或删除须携带 If-Match 请求头（取自 GET 返回的 ETag）")
    match = _ETAG_RE.match(if_match.strip())
    if match is None:
        raise PreconditionFailed("If-Match 格式无效，应为 GET 返回的 ETag", code="if_match_invalid")
    digits = match.group(1)
    if len(digits) > 10 or int(digits) > INT32_MAX:  # no version that large exists: never the current one
        raise PreconditionFailed("If-Match 的版本不是资源的当前版本，请重新获取后再试")
    return int(digits)


IfMatchDep = Annotated[int, Depends(expected_version)]


def stale(current: int) -> PreconditionFailed:
    return PreconditionFailed(f"资源已被他人修改，当前版本为 {current}，请重新获取后再试", extra={"version": current})
