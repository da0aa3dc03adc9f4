"""A dispatch plan as the scheduler returns it, and the preview of its next rounds."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import Field

from shared.schemas.common import ResponseModel
from shared.schemas.enums import EntityKind
from shared.schemas.scheduler.enums import MissedTickPolicy, PeriodKind, PlanStatus


class PlanRead(ResponseModel):
    id: uuid.UUID
    name: str
    owner_department: str
    region_code: str
    schedule: dict[str, Any] = Field(description="请求中的调度规则（kind 为 monthly/quarterly/weekly/yearly/cron）")
    cron: str = Field(description="调度规则对应的 5 段 cron 表达式")
    period_kind: PeriodKind
    timezone: str
    scope: dict[str, Any]
    template_versions: dict[EntityKind, int]
    submission_window: dict[str, Any]
    reminders: list[dict[str, Any]]
    missed_tick_policy: MissedTickPolicy
    missed_tick_cap: int
    status: PlanStatus
    last_tick_at: dt.datetime = Field(description="已处理到的时刻")
    next_tick_at: dt.datetime | None = Field(description="下一次触发时刻；暂停时为 null")
    created_by: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class RoundPreview(ResponseModel):
    period_key: str
    opens_at: dt.datetime
    due_on: dt.date
    due_at: dt.datetime = Field(description="逾期起算时刻（截止日次日 0 时）")
    grace_until: dt.datetime
    reminders: list[dt.datetime]
    provisional: bool = Field(description="依据尚未公布的节假日安排推算，可能变动")


class PlanPreview(ResponseModel):
    plan_id: uuid.UUID
    after: dt.datetime
    rounds: list[RoundPreview]
