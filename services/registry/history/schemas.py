"""One entity's story as `GET /{kind}/{id}/history` tells it: the query it takes and the entries it gives."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.registry.roster.schemas import RosterAdjustmentRead
from shared.schemas.common import PageParams, ResponseModel
from shared.schemas.enums import HistoryEntryType
from shared.schemas.registry.responses.metrics import MetricRead


class _HistoryFilterFields(BaseModel):
    type: HistoryEntryType | None = Field(
        default=None,
        description="只看一类：roster_adjustment 名单调整、metric_revision 指标修订、field_change 信息变更",
    )
    sort: str | None = Field(default=None, description="at（默认，最早在前）或 -at（最新在前）")


class HistoryFilters(PageParams, _HistoryFilterFields):
    """Query parameters of an entity's history."""


class FieldChange(ResponseModel):
    field: str = Field(description="字段名，如 name、approvals、green_channel")
    before: Any = Field(default=None, description="修改前的值（新增时为 null）")
    after: Any = Field(default=None, description="修改后的值")


class HistoryEntry(ResponseModel):
    """One event in an entity's history; the member named by `type` carries it."""

    id: str = Field(description="条目标识（类别与记录序号），也是同一时刻条目的排序依据")
    type: HistoryEntryType
    at: dt.datetime = Field(description="记录时间")
    actor_sub: str = Field(description="操作人（令牌 sub）")
    actor_name: str | None = Field(description="操作人姓名；指标修订不记录姓名，为 null")
    roster_adjustment: RosterAdjustmentRead | None = Field(default=None, description="type = roster_adjustment")
    metric: MetricRead | None = Field(default=None, description="type = metric_revision：该期间的一次修订")
    action: Literal["create", "update"] | None = Field(
        default=None, description="type = field_change：create 新增记录，update 修改描述信息"
    )
    changes: list[FieldChange] = Field(
        default_factory=list,
        description=(
            "type = field_change：审计日志中前后不同的字段（新增时为填写了值的字段）；"
            "版本号、时间戳与派生的 standing 不列"
        ),
    )


HISTORY_EXAMPLE: dict[str, Any] = {
    "items": [
        {
            "id": "field_change:0000000000000000412",
            "type": "field_change",
            "at": "2024-03-01T02:15:09.120Z",
            "actor_sub": "county-430104-op",
            "actor_name": "岳麓区李四",
            "roster_adjustment": None,
            "metric": None,
            "action": "update",
            "changes": [{"field": "name", "before": "某某新材料项目", "after": "某某新材料产业园项目"}],
        },
        {
            "id": "metric_revision:0000000000000000093",
            "type": "metric_revision",
            "at": "2024-04-10T08:00:00Z",
            "actor_sub": "scheduler",
            "actor_name": None,
            "roster_adjustment": None,
            "metric": {
                "id": 93,
                "entity_id": "4f6c2d0e-0000-4000-8000-000000000001",
                "metric": "investment_completed",
                "year": 2024,
                "month": 3,
                "value": "3.2000",
                "revision": 1,
                "source": "report",
                "source_ref": "round-2024-03",
                "recorded_at": "2024-04-10T08:00:00Z",
                "recorded_by": "scheduler",
            },
            "action": None,
            "changes": [],
        },
        {
            "id": "roster_adjustment:0000000000000000007",
            "type": "roster_adjustment",
            "at": "2024-06-03T01:00:00Z",
            "actor_sub": "city-430100-op",
            "actor_name": "长沙市王五",
            "roster_adjustment": {
                "id": "9b1d7a52-0000-4000-8000-000000000007",
                "seq": 7,
                "entity_id": "4f6c2d0e-0000-4000-8000-000000000001",
                "entity_kind": "project",
                "action": "promote",
                "reason": "总投资超过10亿元，升级为市级重点项目",
                "effective_on": "2024-06-01",
                "approving_department_id": None,
                "document_ref": "长政办函〔2024〕21号",
                "actor_sub": "city-430100-op",
                "actor_name": "长沙市王五",
                "from_level": "county",
                "to_level": "city",
                "from_region_code": "430104",
                "to_region_code": "430100",
                "from_tier": "hundred_million",
                "to_tier": "billion",
                "status_after": "listed",
                "created_at": "2024-06-03T01:00:00Z",
            },
            "action": None,
            "changes": [],
        },
    ],
    "next_cursor": None,
}
