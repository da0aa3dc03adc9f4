"""A roster adjustment as requested and as recorded, and the query of the roster on a date (`GET /roster`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from shared.openapi import Problem
from shared.schemas.common import RegionCode, RequestModel, ResponseModel, ShortText
from shared.schemas.enums import BatchMode, Domain, EntityKind, Level, RosterAction, RosterStatus, Tier


class RosterAdjustmentCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entity_id": "4f6c2d0e-0000-4000-8000-000000000001",
                    "action": "promote",
                    "reason": "年营业收入突破100亿元，升级为市级重点企业",
                    "effective_on": "2024-03-01",
                    "document_ref": "长政办函〔2024〕12号",
                }
            ]
        },
    )

    entity_id: uuid.UUID
    action: RosterAction
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    effective_on: dt.date
    approving_department_id: uuid.UUID | None = None
    document_ref: ShortText | None = Field(default=None, description="调整依据文件文号")
    to_level: Level | None = Field(default=None, description="promote/demote 的新级别；缺省为相邻的上一级/下一级")
    to_region_code: RegionCode | None = Field(
        default=None,
        description="新地区：promote 缺省按上下级推导（县→所属市州，→省级 430000）；"
        "demote 必填且须位于原地区内；retier 可改为同级别的另一地区",
    )
    to_tier: Tier | None = Field(
        default=None,
        description="新目标层级：retier 须给出 to_tier 与 to_region_code 至少一项；"
        "promote/demote 缺省为新级别的工程层级；include 缺省保持原层级",
    )

    @field_validator("reason")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise PydanticCustomError("string_nul_byte", "不允许包含 NUL 字符")
        return value


class RosterAdjustmentRead(ResponseModel):
    id: uuid.UUID
    seq: int = Field(description="全局递增的记录序号（列表游标分页依据）")
    entity_id: uuid.UUID
    entity_kind: EntityKind
    action: RosterAction
    reason: str
    effective_on: dt.date
    approving_department_id: uuid.UUID | None
    document_ref: str | None
    actor_sub: str
    actor_name: str
    from_level: Level | None
    to_level: Level
    from_region_code: str | None
    to_region_code: str
    from_tier: Tier | None
    to_tier: Tier
    status_after: RosterStatus
    created_at: dt.datetime


MAX_BATCH_ITEMS = 200


class RosterBatchCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mode": "each",
                    "items": [
                        {
                            "entity_id": "4f6c2d0e-0000-4000-8000-000000000001",
                            "action": "promote",
                            "reason": "年营业收入突破100亿元，升级为市级重点企业",
                            "effective_on": "2024-03-01",
                            "document_ref": "长政办函〔2024〕12号",
                        },
                        {
                            "entity_id": "4f6c2d0e-0000-4000-8000-000000000002",
                            "action": "remove",
                            "reason": "企业注销，移出名单",
                            "effective_on": "2024-03-01",
                        },
                    ],
                }
            ]
        },
    )

    mode: BatchMode = Field(
        default=BatchMode.all_or_nothing,
        description="all_or_nothing（默认）：任一项不符合规则则整批不生效（422，逐项列出原因）；"
        "each：逐项生效，每项各自成功或被拒绝",
    )
    items: list[RosterAdjustmentCreate] = Field(
        min_length=1,
        max_length=MAX_BATCH_ITEMS,
        description=f"按顺序逐项应用的名单调整（1–{MAX_BATCH_ITEMS} 项）；同一对象的后一项以前一项调整后的状态为准",
    )


class RosterBatchItemResult(ResponseModel):
    index: int = Field(description="该项在请求 items 中的位置（从 0 开始）")
    status: int = Field(description="该项单独提交时的 HTTP 状态：201 已应用；403、404、422 被拒绝")
    adjustment: RosterAdjustmentRead | None = Field(default=None, description="已应用时的调整记录")
    problem: Problem | None = Field(default=None, description="被拒绝时的问题详情（与单项提交时相同）")


class RosterBatchRead(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mode": "each",
                    "applied": 1,
                    "refused": 1,
                    "items": [
                        {
                            "index": 0,
                            "status": 201,
                            "adjustment": {
                                "id": "9b1e7f00-0000-4000-8000-00000000000a",
                                "seq": 42,
                                "entity_id": "4f6c2d0e-0000-4000-8000-000000000001",
                                "entity_kind": "enterprise",
                                "action": "promote",
                                "reason": "年营业收入突破100亿元，升级为市级重点企业",
                                "effective_on": "2024-03-01",
                                "approving_department_id": None,
                                "document_ref": "长政办函〔2024〕12号",
                                "actor_sub": "office-01",
                                "actor_name": "万千百办",
                                "from_level": "county",
                                "to_level": "city",
                                "from_region_code": "430104",
                                "to_region_code": "430100",
                                "from_tier": "billion",
                                "to_tier": "ten_billion",
                                "status_after": "listed",
                                "created_at": "2024-03-01T02:00:00Z",
                            },
                            "problem": None,
                        },
                        {
                            "index": 1,
                            "status": 422,
                            "adjustment": None,
                            "problem": {
                                "type": "urn:wanqianbai:problem:roster_already_removed",
                                "title": "请求数据校验失败",
                                "status": 422,
                                "detail": "该对象已移出名单",
                                "code": "roster_already_removed",
                                "errors": [
                                    {"field": "action", "message": "该对象已移出名单", "code": "roster_already_removed"}
                                ],
                            },
                        },
                    ],
                }
            ]
        },
    )

    mode: BatchMode
    applied: int = Field(description="已应用的项数")
    refused: int = Field(description="被拒绝的项数（all_or_nothing 成功时为 0）")
    items: list[RosterBatchItemResult]


class RosterListing(BaseModel):
    """Query parameters of `GET /roster`: each repeatable (`?kind=enterprise&kind=project`); values of one
    parameter are alternatives, parameters narrow one another, and an absent one means any."""

    model_config = ConfigDict(extra="forbid")

    kind: list[EntityKind] = Field(default_factory=list, max_length=3, description="对象类别，可重复")
    level: list[Level] = Field(default_factory=list, max_length=3, description="级别（as_of 当日），可重复")
    region: list[RegionCode] = Field(
        default_factory=list, max_length=200, description="地区（as_of 当日，含下级地区），可重复，至多 200 个"
    )
    domain: list[Domain] = Field(default_factory=list, max_length=4, description="领域，可重复")
    tier: list[Tier] = Field(default_factory=list, max_length=9, description="目标层级（as_of 当日），可重复")
    chain: list[uuid.UUID] = Field(
        default_factory=list, max_length=200, description="产业链 ID，可重复：属于其中任一条链的对象"
    )
    park: list[uuid.UUID] = Field(
        default_factory=list, max_length=500, description="园区 ID，可重复：位于其中任一园区的对象"
    )
    as_of: dt.date | None = Field(
        default=None,
        description="按某一日期的名单：当日在名单上的对象，级别、地区、层级取当日值；不填为当前名单",
    )

    @field_validator("kind", "level", "region", "domain", "tier", "chain", "park")
    @classmethod
    def _distinct(cls, values: list[object]) -> list[object]:
        return list(dict.fromkeys(values))
