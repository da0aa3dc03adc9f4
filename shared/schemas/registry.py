"""Wire schemas of the registry: what its API takes and returns, shared with its typed client."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from shared.identifiers import USCCError, validate_project_code, validate_uscc
from shared.schemas.common import LongText, Name, RegionCode, RequestModel, ResponseModel, ShortText, Text, Yi
from shared.schemas.enums import (
    PATHWAYS_BY_KIND,
    ApprovalKind,
    ApprovalState,
    Domain,
    EnterpriseLabel,
    EntityKind,
    Level,
    MetricKind,
    MetricSource,
    ParkGrade,
    Pathway,
    ProjectStage,
    RosterAction,
    RosterStatus,
    Standing,
    Tier,
)
from shared.tiers import level_region_error, tier_error

# ---- reference data -------------------------------------------------------------------------


class RegionRead(ResponseModel):
    code: str
    name: str
    level: Level
    parent_code: str | None
    county_type: str | None = None


class RegionDetail(RegionRead):
    children: list[RegionRead]


class DepartmentCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "changsha-industry-it",
                    "name": "长沙市工业和信息化局",
                    "short_name": "市工信局",
                    "level": "city",
                    "region_code": "430100",
                    "domains": ["industry_it"],
                }
            ]
        },
    )

    code: Annotated[
        str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$", description="部门代码（令牌 department 声明的取值）")
    ]
    name: Name
    short_name: ShortText = ""
    level: Level
    region_code: RegionCode
    domains: list[Domain] = Field(default_factory=list, description="牵头负责的领域")
    role_note: Text = ""

    @field_validator("region_code")
    @classmethod
    def _level_matches_region(cls, value: str, info: ValidationInfo) -> str:
        return _check_level_region(value, info)


class DepartmentUpdate(RequestModel):
    name: Name | None = None
    short_name: ShortText | None = None
    domains: list[Domain] | None = None
    role_note: Text | None = None


class DepartmentRead(ResponseModel):
    id: uuid.UUID
    code: str
    name: str
    short_name: str
    level: Level
    region_code: str
    domains: list[Domain]
    role_note: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ChainCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "工程机械",
                    "group_name": "3+3+2:世界级",
                    "leader_name": "（省领导姓名）",
                    "leader_title": "副省长",
                }
            ]
        },
    )

    name: Name
    group_name: ShortText = ""
    leader_name: ShortText | None = Field(default=None, description="联系该产业链的省领导（链长）")
    leader_title: ShortText | None = None
    master_enterprise_id: uuid.UUID | None = Field(default=None, description="链主企业")
    source: Text = ""


class ChainUpdate(RequestModel):
    name: Name | None = None
    group_name: ShortText | None = None
    leader_name: ShortText | None = None
    leader_title: ShortText | None = None
    master_enterprise_id: uuid.UUID | None = None
    source: Text | None = None


class ChainRead(ResponseModel):
    id: uuid.UUID
    name: str
    group_name: str
    leader_name: str | None
    leader_title: str | None
    master_enterprise_id: uuid.UUID | None
    source: str
    confidence: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ParkCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "长沙经济技术开发区", "grade": "national", "five_good": True, "region_code": "430121"}
            ]
        },
    )

    name: Name
    grade: ParkGrade
    five_good: bool = Field(default=False, description="是否获评“五好”园区")
    region_code: RegionCode


class ParkUpdate(RequestModel):
    name: Name | None = None
    grade: ParkGrade | None = None
    five_good: bool | None = None


class ParkRead(ResponseModel):
    id: uuid.UUID
    name: str
    grade: ParkGrade
    five_good: bool
    region_code: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class PersonCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "张三",
                    "title": "产业科科长",
                    "region_code": "430100",
                    "phone": "0731-88888888",
                    "email": "zhangsan@example.gov.cn",
                }
            ]
        },
    )

    name: Annotated[str, Field(min_length=1, max_length=100)]
    title: ShortText = ""
    department_id: uuid.UUID | None = None
    region_code: RegionCode
    phone: Annotated[str | None, Field(default=None, pattern=r"^[0-9+\-() ]{5,30}$")] = None
    email: Annotated[
        str | None, Field(default=None, max_length=200, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")
    ] = None


class PersonUpdate(RequestModel):
    name: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    title: ShortText | None = None
    department_id: uuid.UUID | None = None
    phone: Annotated[str | None, Field(pattern=r"^[0-9+\-() ]{5,30}$")] = None
    email: Annotated[str | None, Field(max_length=200, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")] = None


class PersonRead(ResponseModel):
    id: uuid.UUID
    name: str
    title: str
    department_id: uuid.UUID | None
    region_code: str
    phone: str | None = Field(description="调用方辖区覆盖该责任人所在地区时完整显示，否则打码")
    email: str | None = Field(description="调用方辖区覆盖该责任人所在地区时完整显示，否则打码")
    masked: bool
    version: int


# ---- programme entities ---------------------------------------------------------------------


def _check_level_region(value: str, info: ValidationInfo) -> str:
    level = info.data.get("level")
    if level is not None and (message := level_region_error(Level(level), value)):
        raise PydanticCustomError("level_region_mismatch", message)
    return value


class _EntityCreate(RequestModel):
    kind: ClassVar[EntityKind]

    name: Name
    level: Level
    region_code: RegionCode
    domain: Domain
    pathway: Pathway | None = Field(default=None, description="培育路径：该类对象自己的“四个一批”/“五个一批”")
    target_tier: Tier = Field(description="目标层级；只允许该类对象在该级别可用的层级或梯队")
    lead_department_id: uuid.UUID | None = None
    person_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50, description="责任人")
    chain_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    park_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    listed_on: dt.date | None = Field(default=None, description="纳入名单日期，默认今天")
    listing_reason: Text = Field(default="新增纳入名单", description="纳入名单的理由（记入调整记录）")
    document_ref: ShortText | None = Field(default=None, description="纳入名单依据的文件文号")

    @field_validator("region_code")
    @classmethod
    def _level_matches_region(cls, value: str, info: ValidationInfo) -> str:
        return _check_level_region(value, info)

    @field_validator("pathway")
    @classmethod
    def _pathway_of_kind(cls, value: Pathway | None) -> Pathway | None:
        return check_pathway(cls.kind, value)

    @field_validator("target_tier")
    @classmethod
    def _tier_allowed(cls, value: Tier, info: ValidationInfo) -> Tier:
        level = info.data.get("level")
        if level is not None and (message := tier_error(cls.kind, Level(level), value)):
            raise PydanticCustomError("tier_not_allowed", message)
        return value


def check_pathway(kind: EntityKind, value: Pathway | None) -> Pathway | None:
    if value is not None and value not in PATHWAYS_BY_KIND[kind]:
        allowed = ", ".join(p.value for p in PATHWAYS_BY_KIND[kind])
        raise PydanticCustomError("pathway_not_allowed", f"该类对象的培育路径只能是：{allowed}")
    return value


class _EntityUpdate(RequestModel):
    """Descriptive fields. Level, region, tier and roster status change only through roster adjustments,
    so the roster history always explains the entity's state on any date."""

    kind: ClassVar[EntityKind]

    name: Name | None = None
    domain: Domain | None = None
    pathway: Pathway | None = None
    lead_department_id: uuid.UUID | None = None
    person_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    chain_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    park_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)

    @field_validator("pathway")
    @classmethod
    def _pathway_of_kind(cls, value: Pathway | None) -> Pathway | None:
        return check_pathway(cls.kind, value)


class IndustryCreate(_EntityCreate):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "工程机械",
                    "level": "province",
                    "region_code": "430000",
                    "domain": "industry_it",
                    "pathway": "supporting_collaboration",
                    "target_tier": "trillion",
                    "roadmap": "……",
                    "listing_reason": "列入省级万亿级产业培育名单",
                    "document_ref": "湘政办发〔2022〕4号",
                }
            ]
        },
    )

    kind = EntityKind.industry
    parent_industry_id: uuid.UUID | None = Field(default=None, description="所归属的上级产业（级别须更高）")
    roadmap: LongText = Field(default="", description="路线图")
    timetable: LongText = Field(default="", description="时间表")
    task_book: LongText = Field(default="", description="任务书")


class IndustryUpdate(_EntityUpdate):
    kind = EntityKind.industry
    parent_industry_id: uuid.UUID | None = None
    roadmap: LongText | None = None
    timetable: LongText | None = None
    task_book: LongText | None = None


def _uscc(value: str) -> str:
    try:
        return validate_uscc(value)
    except USCCError as exc:
        raise PydanticCustomError(exc.code, exc.message) from exc


class EnterpriseCreate(_EntityCreate):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "湖南某某智能装备有限公司",
                    "level": "city",
                    "region_code": "430100",
                    "domain": "industry_it",
                    "pathway": "nurture",
                    "target_tier": "ten_billion",
                    "uscc": "91430100MA4L7K3PXH",
                    "labels": ["little_giant"],
                }
            ]
        },
    )

    kind = EntityKind.enterprise
    uscc: str = Field(
        description="统一社会信用代码（18 位，校验 GB 32100 与 GB 11714 校验位）",
        examples=["91430100MA4L7K3PXH"],
        max_length=40,
    )
    labels: list[EnterpriseLabel] = Field(default_factory=list, max_length=5)
    industry_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50, description="所属产业")

    @field_validator("uscc")
    @classmethod
    def _check_uscc(cls, value: str) -> str:
        return _uscc(value)


class EnterpriseUpdate(_EntityUpdate):
    kind = EntityKind.enterprise
    uscc: str | None = Field(default=None, max_length=40)
    labels: list[EnterpriseLabel] | None = Field(default=None, max_length=5)
    industry_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)

    @field_validator("uscc")
    @classmethod
    def _check_uscc(cls, value: str | None) -> str | None:
        return None if value is None else _uscc(value)


class AnnualPlan(RequestModel):
    year: Annotated[int, Field(ge=2000, le=2100)]
    planned_investment: Yi


class Approval(RequestModel):
    kind: ApprovalKind
    state: ApprovalState
    applied_on: dt.date | None = None
    approved_on: dt.date | None = None
    document_no: ShortText | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Approval:
        if self.applied_on and self.approved_on and self.approved_on < self.applied_on:
            raise PydanticCustomError("approval_dates_order", "批复日期不能早于申报日期")
        return self


def _project_code(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return validate_project_code(value)
    except ValueError as exc:
        raise PydanticCustomError("project_code_invalid", str(exc)) from exc


class _ProjectFields(RequestModel):
    @field_validator("project_code", check_fields=False)
    @classmethod
    def _check_code(cls, value: str | None) -> str | None:
        return _project_code(value)

    @field_validator("annual_plans", check_fields=False)
    @classmethod
    def _unique_years(cls, value: list[AnnualPlan] | None) -> list[AnnualPlan] | None:
        if value is not None and len({p.year for p in value}) != len(value):
            raise PydanticCustomError("annual_plan_year_duplicate", "年度计划投资的年份不能重复")
        return value

    @field_validator("approvals", check_fields=False)
    @classmethod
    def _unique_kinds(cls, value: list[Approval] | None) -> list[Approval] | None:
        if value is not None and len({a.kind for a in value}) != len(value):
            raise PydanticCustomError("approval_kind_duplicate", "同一类审批只能出现一次")
        return value

    @field_validator("actual_completion_on", check_fields=False)
    @classmethod
    def _actual_after_start(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("actual_start_on")
        if value is not None and start is not None and value < start:
            raise PydanticCustomError("project_dates_order", "实际竣工日期不能早于实际开工日期")
        return value

    @field_validator("planned_completion_on", check_fields=False)
    @classmethod
    def _planned_after_start(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("planned_start_on")
        if value is not None and start is not None and value < start:
            raise PydanticCustomError("project_dates_order", "计划竣工日期不能早于计划开工日期")
        return value


class ProjectCreate(_EntityCreate, _ProjectFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "某某新材料产业园项目",
                    "level": "county",
                    "region_code": "430181",
                    "domain": "industry_it",
                    "pathway": "investment_attraction",
                    "target_tier": "hundred_million",
                    "project_code": "2023-430181-39-03-012345",
                    "total_investment": "25.5",
                    "annual_plans": [{"year": 2024, "planned_investment": "8"}],
                    "stage": "under_construction",
                    "planned_start_on": "2024-03-01",
                    "actual_start_on": "2024-03-18",
                    "approvals": [
                        {
                            "kind": "eia",
                            "state": "approved",
                            "applied_on": "2023-11-02",
                            "approved_on": "2024-01-15",
                            "document_no": "浏环评〔2024〕3号",
                        }
                    ],
                    "signing_event": "湖南-粤港澳大湾区投资贸易洽谈活动",
                    "signed_on": "2023-09-12",
                }
            ]
        },
    )

    kind = EntityKind.project
    project_code: str | None = Field(
        default=None,
        max_length=40,
        examples=["2020-430100-39-03-012345"],
        description="全国投资项目在线审批监管平台项目代码（24 位）",
    )
    owner_enterprise_id: uuid.UUID | None = Field(default=None, description="项目业主企业")
    total_investment: Yi = Field(description="总投资，单位：亿元")
    annual_plans: list[AnnualPlan] = Field(default_factory=list, max_length=30, description="年度计划投资（亿元）")
    stage: ProjectStage = ProjectStage.planning
    planned_start_on: dt.date | None = None
    planned_completion_on: dt.date | None = None
    actual_start_on: dt.date | None = None
    actual_completion_on: dt.date | None = None
    approvals: list[Approval] = Field(default_factory=list, max_length=3, description="核准备案、环评、土地审批")
    signing_event: ShortText | None = Field(default=None, description="招商引资项目的签约活动，如 中非经贸博览会")
    signed_on: dt.date | None = None


class ProjectUpdate(_EntityUpdate, _ProjectFields):
    kind = EntityKind.project
    project_code: str | None = Field(default=None, max_length=40)
    owner_enterprise_id: uuid.UUID | None = None
    total_investment: Yi | None = None
    annual_plans: list[AnnualPlan] | None = Field(default=None, max_length=30)
    stage: ProjectStage | None = None
    planned_start_on: dt.date | None = None
    planned_completion_on: dt.date | None = None
    actual_start_on: dt.date | None = None
    actual_completion_on: dt.date | None = None
    approvals: list[Approval] | None = Field(default=None, max_length=3)
    signing_event: ShortText | None = None
    signed_on: dt.date | None = None


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


class IndustryRead(_EntityRead):
    parent_industry_id: uuid.UUID | None
    roadmap: str
    timetable: str
    task_book: str


class EnterpriseRead(_EntityRead):
    uscc: str
    labels: list[EnterpriseLabel]
    industry_ids: list[uuid.UUID] = Field(default_factory=list)


class AnnualPlanRead(ResponseModel):
    year: int
    planned_investment: Decimal


class ApprovalRead(ResponseModel):
    kind: ApprovalKind
    state: ApprovalState
    applied_on: dt.date | None
    approved_on: dt.date | None
    document_no: str | None


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


# ---- roster, metrics, targets, progress, feed, imports ----------------------------------------


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


class MetricCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entity_id": "4f6c2d0e-0000-4000-8000-000000000001",
                    "metric": "revenue",
                    "year": 2023,
                    "value": "126.4821",
                    "source": "manual",
                }
            ]
        },
    )

    entity_id: uuid.UUID
    metric: MetricKind
    year: Annotated[int, Field(ge=2000, le=2100)]
    month: Annotated[int | None, Field(ge=1, le=12, description="月份；年度值不填")] = None
    value: Yi = Field(description="指标值，单位：亿元")
    source: MetricSource = MetricSource.manual
    source_ref: ShortText | None = Field(default=None, description="来源标识，如调度轮次 ID")


class MetricRead(ResponseModel):
    id: int
    entity_id: uuid.UUID
    metric: MetricKind
    year: int
    month: int | None
    value: Decimal
    revision: int
    source: MetricSource
    source_ref: str | None
    recorded_at: dt.datetime
    recorded_by: str


class TargetCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "horizon": "2025",
                    "year": 2025,
                    "kind": "enterprise",
                    "level": "city",
                    "tier": "ten_billion",
                    "domain": None,
                    "min_count": 30,
                    "note": "市级百亿级企业目标",
                }
            ]
        },
    )

    horizon: Annotated[str, Field(min_length=1, max_length=40, description="目标期，如 2025、interim-3y")]
    year: Annotated[int, Field(ge=2000, le=2100)]
    kind: EntityKind
    level: Level
    tier: Tier
    domain: Domain | None = Field(default=None, description="领域；为空表示全部领域合计")
    min_count: Annotated[int, Field(ge=0, le=100000)]
    max_count: Annotated[int | None, Field(ge=0, le=100000)] = None
    note: Text = ""

    @model_validator(mode="after")
    def _range(self) -> TargetCreate:
        if self.max_count is not None and self.max_count < self.min_count:
            raise PydanticCustomError("target_range_invalid", "目标上限不能小于下限")
        return self


class TargetUpdate(RequestModel):
    min_count: Annotated[int | None, Field(ge=0, le=100000)] = None
    max_count: Annotated[int | None, Field(ge=0, le=100000)] = None
    note: Text | None = None


class TargetRead(ResponseModel):
    id: uuid.UUID
    horizon: str
    year: int
    kind: EntityKind
    level: Level
    tier: Tier
    domain: Domain | None
    min_count: int
    max_count: int | None
    note: str
    source: str
    version: int


class TierCount(ResponseModel):
    kind: EntityKind
    level: Level
    tier: Tier
    listed: int = Field(description="名单内以该层级为目标的对象数")
    achieved: int = Field(description="其中最新年度指标已达到目标层级的数量")


class EchelonCount(ResponseModel):
    kind: EntityKind
    tier: Tier
    count: int = Field(description="最新年度指标处于该梯队的省级对象数")


class GrowthBandCount(ResponseModel):
    level: Level
    low: Decimal
    high: Decimal
    count: int


class TargetProgress(ResponseModel):
    target: TargetRead
    achieved: int
    gap: int = Field(description="距目标下限的差额；已达到为 0")
    met: bool


class ProgressRead(ResponseModel):
    as_of: dt.date
    tiers: list[TierCount]
    echelons: list[EchelonCount]
    growth_bands: list[GrowthBandCount]
    targets: list[TargetProgress]


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


class ImportRowError(ResponseModel):
    row: int = Field(description="数据行号（表头为第 1 行）")
    column: str
    message: str
    code: str


class ImportJobRead(ResponseModel):
    id: uuid.UUID
    kind: EntityKind
    file_format: str
    filename: str
    mode: str
    status: str
    total: int
    processed: int
    created: int
    updated: int
    error_count: int
    errors: list[ImportRowError]
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
