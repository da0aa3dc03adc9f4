"""Create and update bodies of industries, enterprises and projects, with the rules a body alone can check.

The rules themselves are `entities.rules`, which the bulk import and the services call too; the
validators here only hand what they find to pydantic.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from services.registry.approvals import rules as approval_rules
from services.registry.entities import rules
from shared.errors import FieldError
from shared.identifiers import USCCError, validate_project_code, validate_uscc
from shared.schemas.common import LongText, Name, RegionCode, RequestModel, ShortText, Text, Yi
from shared.schemas.enums import (
    ApprovalKind,
    ApprovalState,
    Domain,
    EnterpriseLabel,
    EntityKind,
    Level,
    Pathway,
    ProjectStage,
    Tier,
)


def _broken(error: FieldError | None) -> None:
    """A rule's error as pydantic reports it: at the field being validated, with the rule's code."""
    if error is not None:
        raise PydanticCustomError(error.code, error.message)


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
        level = info.data.get("level")
        if level is not None:
            _broken(rules.level_region(Level(level), value))
        return value

    @field_validator("pathway")
    @classmethod
    def _pathway_of_kind(cls, value: Pathway | None) -> Pathway | None:
        _broken(rules.pathway(cls.kind, value))
        return value

    @field_validator("target_tier")
    @classmethod
    def _tier_allowed(cls, value: Tier, info: ValidationInfo) -> Tier:
        level = info.data.get("level")
        if level is not None:
            _broken(rules.target_tier(cls.kind, Level(level), value))
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
        _broken(rules.pathway(cls.kind, value))
        return value


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
    committed_completion_on: dt.date | None = Field(
        default=None, description="承诺办结时限（承诺时限）；过期仍未办结的审批标记为 overdue"
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> Approval:
        _broken(approval_rules.dates(self.applied_on, self.approved_on, self.committed_completion_on))
        return self


GREEN_CHANNEL_DESCRIPTION = (
    "纳入（true）或移出（false）审批绿色通道；纳入时记录操作人与时间，已在通道内再次纳入不改变原记录"
)


PROJECT_CODE_DESCRIPTION = (
    "全国投资项目在线审批监管平台项目代码（24 位：YYYY-AAAAAA-II-TT-NNNNNN）。"
    "赋码时间 YYYY 为年份（旧版）或年月 YYMM（2020 年 11 月起的新版，如 2411），不早于 2014 年、不晚于当前，"
    "否则 422 project_code_year_implausible；地区代码 AAAAAA 须为湖南省的有效 GB/T 2260 代码（43 开头），"
    "或省外项目以有效省级代码开头（11–15、21–23、31–37、41–46、50–54、61–65、71、81、82），"
    "否则 422 project_code_region_unknown。"
    " Time part: the year (first layout) or YYMM (from 2020-11), from 2014 up to now; region part: one of "
    "Hunan's GB/T 2260 codes, or another province's two-digit prefix for a project registered elsewhere."
)


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

    @field_validator("planned_completion_on", "actual_completion_on", check_fields=False)
    @classmethod
    def _completion_after_start(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        field = info.field_name
        assert field is not None
        _broken(rules.completion_order(field, info.data.get(rules.DATE_PAIRS[field][0]), value))
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
                        },
                        {
                            "kind": "land",
                            "state": "in_progress",
                            "applied_on": "2024-01-10",
                            "committed_completion_on": "2024-03-10",
                        },
                    ],
                    "green_channel": True,
                    "green_channel_note": "省重点项目，按湘政办发〔2022〕4号开辟绿色通道",
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
        description=PROJECT_CODE_DESCRIPTION,
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
    green_channel: bool = Field(default=False, description=GREEN_CHANNEL_DESCRIPTION)
    green_channel_note: ShortText | None = Field(default=None, description="纳入绿色通道的依据或说明（须同时纳入）")

    @model_validator(mode="after")
    def _note_with_entry(self) -> ProjectCreate:
        if self.green_channel_note and not self.green_channel:
            raise PydanticCustomError("green_channel_note_without_entry", "未纳入绿色通道的项目不能填写绿色通道说明")
        return self


class ProjectUpdate(_EntityUpdate, _ProjectFields):
    kind = EntityKind.project
    project_code: str | None = Field(default=None, max_length=40, description=PROJECT_CODE_DESCRIPTION)
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
    green_channel: bool | None = Field(default=None, description=GREEN_CHANNEL_DESCRIPTION)
    green_channel_note: ShortText | None = Field(
        default=None, description="绿色通道的依据或说明；项目须在（或同时纳入）绿色通道，null 清空"
    )
