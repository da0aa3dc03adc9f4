"""A report task as the scheduler returns it, and a list page with counts per state."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import Field

from shared.schemas.common import ResponseModel
from shared.schemas.enums import Domain, EntityKind, Level, Tier
from shared.schemas.scheduler.enums import TaskState


class TaskRead(ResponseModel):
    id: uuid.UUID
    round_id: uuid.UUID
    plan_id: uuid.UUID
    period_key: str
    entity_id: uuid.UUID
    entity_kind: EntityKind
    entity_name: str = Field(description="开启轮次时的名单快照")
    region_code: str
    level: Level
    tier: Tier
    domain: Domain
    lead_department_id: uuid.UUID | None
    lead_department_code: str | None
    lead_department_name: str | None
    responsible_person: str | None
    template_version: int
    state: TaskState = Field(
        description="withdrawn：对象在轮次开放期间移出名单或不再属于计划范围，待报送或已退回的任务随之撤销"
    )
    overdue: bool = Field(description="已过截止时刻且未报送")
    due_at: dt.datetime
    figures: dict[str, Any] | None
    submission_count: int
    submitted_at: dt.datetime | None
    submitted_by: str | None
    reviewed_at: dt.datetime | None
    reviewed_by: str | None
    review_comment: str | None
    accepted_at: dt.datetime | None
    withdrawn_at: dt.datetime | None = Field(
        default=None,
        description="对象在轮次开放期间移出名单（或不再属于计划范围）、任务撤销的时刻；撤销的任务保留已报送的历史",
    )
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class TaskPage(ResponseModel):
    items: list[TaskRead]
    next_cursor: str | None = Field(description="下一页游标；为 null 表示没有更多")
    counts: dict[TaskState, int] = Field(description="符合筛选条件（不含 state 筛选）的任务按状态计数")
    overdue_count: int = Field(description="其中逾期的任务数")
