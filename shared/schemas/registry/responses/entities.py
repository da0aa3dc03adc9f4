"""Industries, enterprises and projects as the registry returns them, with their derived standing."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import Field

from shared.schemas.common import ResponseModel
from shared.schemas.enums import (
    ApprovalKind,
    ApprovalState,
    Domain,
    EnterpriseLabel,
    EntityKind,
    Level,
    MetricKind,
    Pathway,
    ProjectStage,
    RosterStatus,
    Standing,
    Tier,
)
from shared.schemas.registry.responses.reference import PersonRead


class StandingRead(ResponseModel):
    """Derived from the latest annual metric; never stored."""

    metric: MetricKind | None = None
    year: int | None = None
    value: Decimal | None = Field(default=None, description="最新年度指标值，单位：亿元")
    actual_tier: Tier | None = Field(default=None, description="按最新年度指标实际达到的层级或梯队")
    status: Standing = Standing.no_data
    in_growth_band: bool = Field(default=False, description="是否处于本级企业重点推动的成长区间")


class _EntityRead(ResponseModel):
    id: uuid.UUID
    kind: EntityKind
    name: str
    level: Level
    region_code: str
    domain: Domain
    pathway: Pathway | None
    target_tier: Tier
    lead_department_id: uuid.UUID | None
    roster_status: RosterStatus
    listed_on: dt.date
    persons: list[PersonRead] = Field(default_factory=list)
    chain_ids: list[uuid.UUID] = Field(default_factory=list)
    park_ids: list[uuid.UUID] = Field(default_factory=list)
    standing: StandingRead = Field(default_factory=StandingRead)
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


_IDS_NOTE = "（调用方辖区内，按名称排序，至多 100 个；其余用列表筛选查询）"


class IndustryRead(_EntityRead):
    parent_industry_id: uuid.UUID | None
    roadmap: str
    timetable: str
    task_book: str
    enterprise_count: int = Field(default=0, description="所属企业数（调用方辖区内）")
    enterprise_ids: list[uuid.UUID] = Field(
        default_factory=list, description="所属企业 ID" + _IDS_NOTE + "：GET /enterprises?industry="
    )
    child_industry_count: int = Field(default=0, description="归属于本产业的下级产业数（调用方辖区内）")
    child_industry_ids: list[uuid.UUID] = Field(
        default_factory=list, description="下级产业 ID" + _IDS_NOTE + "：GET /industries?parent_industry="
    )


class EnterpriseRead(_EntityRead):
    uscc: str
    labels: list[EnterpriseLabel]
    industry_ids: list[uuid.UUID] = Field(default_factory=list)
    project_count: int = Field(default=0, description="本企业为业主的项目数（调用方辖区内）")
    project_ids: list[uuid.UUID] = Field(
        default_factory=list, description="本企业为业主的项目 ID" + _IDS_NOTE + "：GET /projects?owner_enterprise="
    )


class AnnualPlanRead(ResponseModel):
    year: int
    planned_investment: Decimal


class ApprovalRead(ResponseModel):
    kind: ApprovalKind
    state: ApprovalState
    applied_on: dt.date | None
    approved_on: dt.date | None
    document_no: str | None
    committed_completion_on: dt.date | None = Field(default=None, description="承诺办结时限（承诺时限）")
    overdue: bool = Field(
        default=False,
        description="已超过承诺时限仍未办结（未启动或办理中）；按当日（北京时间）计算，不记入审计与变更事件",
    )


class ProjectRead(_EntityRead):
    project_code: str | None
    owner_enterprise_id: uuid.UUID | None
    total_investment: Decimal = Field(description="总投资，单位：亿元")
    annual_plans: list[AnnualPlanRead] = Field(default_factory=list)
    stage: ProjectStage
    planned_start_on: dt.date | None
    planned_completion_on: dt.date | None
    actual_start_on: dt.date | None
    actual_completion_on: dt.date | None
    approvals: list[ApprovalRead] = Field(default_factory=list)
    signing_event: str | None
    signed_on: dt.date | None
    green_channel: bool = Field(default=False, description="是否纳入审批绿色通道")
    green_channel_at: dt.datetime | None = Field(default=None, description="纳入绿色通道的时间")
    green_channel_by: str | None = Field(default=None, description="纳入绿色通道的操作人（令牌 sub）")
    green_channel_by_name: str | None = Field(default=None, description="纳入绿色通道的操作人姓名")
    green_channel_note: str | None = Field(default=None, description="纳入绿色通道的依据或说明")
