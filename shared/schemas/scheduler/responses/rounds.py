"""A reporting round as the scheduler returns it."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field

from shared.schemas.common import ResponseModel
from shared.schemas.scheduler.enums import RoundState


class RoundRead(ResponseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    period_key: str
    state: RoundState
    backfill: bool = Field(description="由管理员手动补开")
    opens_at: dt.datetime
    due_on: dt.date
    due_at: dt.datetime
    grace_until: dt.datetime
    reminders: list[dt.datetime]
    provisional: bool
    roster_on: dt.date | None = Field(description="读取名单所依据的日期")
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    task_count: int = Field(default=0, description="轮次的报送任务数（不含已撤销的）")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
