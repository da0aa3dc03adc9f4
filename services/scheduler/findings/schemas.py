"""Supervision findings (督办) as the API returns them, and the sweep's answer."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

from services.scheduler.rules import Colour
from shared.schemas.common import PageParams, RegionCode, ResponseModel
from shared.schemas.enums import EntityKind, LabelledEnum


class FindingState(LabelledEnum):
    open = "open", "待处理"
    notified = "notified", "已发督办函"
    rectifying = "rectifying", "整改中"
    resolved = "resolved", "已解除"
    escalated = "escalated", "逾期未整改，已提级"


class FindingRule(LabelledEnum):
    report_deadline = "report_deadline", "报送临期与逾期"
    investment_lag = "investment_lag", "投资进度滞后"
    stalled_project = "stalled_project", "项目停滞"
    pace_below_tier = "pace_below_tier", "低于目标层级的时序进度"
    promotion_candidate = "promotion_candidate", "规模达到更高层级（晋级候选）"
    problem_overdue = "problem_overdue", "问题逾期未解决"
    circular_unsigned = "circular_unsigned", "通报逾期未签收"


class _FindingFilterFields(BaseModel):
    colour: Colour | None = None
    rule: FindingRule | None = None
    region: RegionCode | None = Field(default=None, description="地区，含下级地区")
    kind: EntityKind | None = None
    state: FindingState | None = None
    round_id: uuid.UUID | None = None
    sort: str | None = Field(default=None, description="updated_at、created_at，前加 - 为倒序；默认 -updated_at")


class FindingFilters(PageParams, _FindingFilterFields):
    """Query parameters of the finding list."""


class FindingRead(ResponseModel):
    id: uuid.UUID
    rule_code: FindingRule
    rule_version: int
    subject_type: str = Field(
        description=(
            "report_task（报送任务）、industry / enterprise / project（名单对象）、problem（问题）"
            "或 receipt（通报签收）"
        )
    )
    subject_id: uuid.UUID
    period_key: str = Field(description="报告期、年份，或 - （不分期）")
    round_id: uuid.UUID | None
    entity_id: uuid.UUID | None
    entity_kind: EntityKind | None
    entity_name: str | None
    region_code: str
    lead_department_code: str | None
    colour: Colour
    state: FindingState
    explanation: dict[str, Any] = Field(description="产生该颜色的输入、阈值与规则版本")
    red_notified_at: dt.datetime | None
    first_seen_at: dt.datetime
    evaluated_at: dt.datetime = Field(description="最近一次使其颜色或 explanation 发生变化的核查时间")
    resolved_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class RuleSweep(ResponseModel):
    rule: FindingRule
    version: int
    upserted: int = Field(description="有颜色且新建或评估结果有变化的发现（未变化的不重写）")
    cleared: int = Field(description="条件已消除而降级或解除的发现")


class SweepRead(ResponseModel):
    swept_at: dt.datetime
    rules: list[RuleSweep]
    letters: int = Field(description="本次新发出的督办函（红色预警）")
