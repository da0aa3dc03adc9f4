"""The problem list's bodies and answers (问题清单/协调事项)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.scheduler.escalation import CoordinationLevel, ProblemAction, ProblemState
from shared.schemas.common import Name, PageParams, RegionCode, RequestModel, ResponseModel, Text
from shared.schemas.enums import LabelledEnum, Level


class ProblemCategory(LabelledEnum):
    difficulty = "difficulty", "困难问题"
    coordination = "coordination", "需协调事项"


class ProblemSource(LabelledEnum):
    report = "report", "报送中提出"
    direct = "direct", "直接录入"


class ProblemCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "category": "coordination",
                    "title": "二期用地指标未落实",
                    "description": "需协调省自然资源厅落实 200 亩用地指标",
                    "region_code": "430104",
                    "assigned_department": "natural-resources",
                }
            ]
        }
    )

    category: ProblemCategory
    title: Name
    description: Text = Field(min_length=1)
    region_code: RegionCode = Field(description="提出问题的单位所在地区")
    level: Level | None = Field(default=None, description="对象级别；缺省按地区代码推断，决定起始协调层级")
    entity_id: uuid.UUID | None = Field(default=None, description="涉及的产业、企业或项目（可选）")
    assigned_department: str | None = Field(default=None, max_length=60, description="责任部门代码")


class ProblemUpdate(RequestModel):
    title: Name | None = None
    description: Text | None = None
    assigned_department: str | None = Field(default=None, max_length=60)


class ProblemActionBody(RequestModel):
    comment: Text | None = Field(default=None, description="办理说明；办结（resolve）时为办理结果")


class _ProblemFilterFields(BaseModel):
    state: ProblemState | None = None
    level: CoordinationLevel | None = None
    category: ProblemCategory | None = None
    region: RegionCode | None = Field(default=None, description="地区，含下级地区")
    assigned_department: str | None = Field(default=None, max_length=60)
    task_id: uuid.UUID | None = None
    overdue: bool | None = Field(default=None, description="true 只看已过办理时限仍未办结的")
    sort: str | None = Field(
        default=None, description="due_on、created_at、updated_at，前加 - 为倒序；默认 -updated_at"
    )


class ProblemFilters(PageParams, _ProblemFilterFields):
    """Query parameters of the problem list."""


class ProblemRead(ResponseModel):
    id: uuid.UUID
    category: ProblemCategory
    source: ProblemSource
    title: str
    description: str
    region_code: str
    entity_id: uuid.UUID | None
    entity_kind: str | None
    entity_name: str | None
    task_id: uuid.UUID | None
    figure: str | None = Field(description="来自报送的哪一项：difficulties 或 coordination")
    assigned_department: str | None
    level: CoordinationLevel
    state: ProblemState
    due_on: dt.date
    due_provisional: bool = Field(description="办理时限按尚未公布节假日安排的日历计算")
    overdue: bool
    raised_by: str
    raised_region: str
    resolution: str | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    escalated_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ProblemEventRead(ResponseModel):
    id: int
    action: str = Field(description="raise（提出）或 ProblemAction 之一")
    from_state: ProblemState | None
    to_state: ProblemState
    from_level: CoordinationLevel | None
    to_level: CoordinationLevel
    due_on: dt.date
    actor_sub: str
    actor_role: str
    comment: str | None
    explanation: dict[str, Any] | None
    occurred_at: dt.datetime


class ProblemHistory(ResponseModel):
    items: list[ProblemEventRead]


ACTIONS = tuple(ProblemAction)
