"""The change feed (`GET /events`) that peers follow to learn what changed in the registry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from shared.schemas.common import ResponseModel


class ChangeEventRead(ResponseModel):
    id: int
    resource_type: str
    resource_id: str
    action: str
    payload: dict[str, Any]
    occurred_at: dt.datetime


class ChangeFeedPage(ResponseModel):
    items: list[ChangeEventRead]
    next_cursor: str = Field(description="下一次请求的 after 参数；没有新事件时与请求的 after 相同")
