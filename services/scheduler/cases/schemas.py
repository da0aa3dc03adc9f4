"""Supervision cases (督办件) and rectification replies (整改反馈): bodies and answers."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from shared.schemas.common import PageParams, RegionCode, RequestModel, ResponseModel, Text
from shared.schemas.enums import LabelledEnum


class CaseState(LabelledEnum):
    awaiting_reply = "awaiting_reply", "待整改反馈"
    replied = "replied", "已反馈待审核"
    closed = "closed", "已销号"
    escalated = "escalated", "逾期未反馈，已提级"


class CaseCreate(RequestModel):
    requirement: Text = Field(min_length=1, description="督办要求")
    reply_working_days: int = Field(default=10, ge=1, le=60, description="整改反馈时限（工作日）")
    responsible_department: str | None = Field(default=None, max_length=60, description="责任部门代码；缺省为牵头部门")


class ReplyCreate(RequestModel):
    body: Text = Field(min_length=1, description="整改情况")


class ReplyReview(RequestModel):
    comment: Text | None = None


class ReplyReturn(RequestModel):
    comment: Text = Field(min_length=1, description="退回原因（必填）")


class _CaseFilterFields(BaseModel):
    state: CaseState | None = None
    region: RegionCode | None = Field(default=None, description="地区，含下级地区")
    finding_id: uuid.UUID | None = None
    sort: str | None = Field(default=None, description="reply_due_at、created_at，前加 - 为倒序；默认 -created_at")


class CaseFilters(PageParams, _CaseFilterFields):
    """Query parameters of the case list."""


class ReplyRead(ResponseModel):
    seq: int
    body: str
    submitted_by: str
    submitted_at: dt.datetime
    outcome: str | None = Field(description="accepted（销号）或 returned（退回）；未审核为 null")
    comment: str | None
    reviewed_by: str | None
    reviewed_at: dt.datetime | None


class CaseRead(ResponseModel):
    id: uuid.UUID
    finding_id: uuid.UUID
    region_code: str
    responsible_department: str | None
    requirement: str
    state: CaseState
    reply_due_on: dt.date
    reply_due_at: dt.datetime
    reply_count: int
    opened_by: str
    escalated_at: dt.datetime | None
    closed_at: dt.datetime | None
    replies: list[ReplyRead] = Field(default_factory=list)
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
