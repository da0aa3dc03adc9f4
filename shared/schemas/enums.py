"""Every enumeration on the wire: a stable lowercase English code for each member, and its Chinese label.

A member is declared with both, `province = "province", "省级"`; it is the code everywhere (it equals
the string, validates and serialises as it), and `.label` is the name shown to people. `ENUM_TYPES`
(with `shared.auth.Role`) feeds `GET /api/v1/enums`, so a frontend can show 万亿级, 省级, 工业和信息化.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class LabelledEnum(StrEnum):
    label: str

    def __new__(cls, value: str, label: str | None = None) -> Self:
        # `label` has a default only so that type checkers accept the lookup by code, `Level("city")`,
        # which never reaches this method at run time; a member declared without one is refused here.
        if label is None:
            raise TypeError(f"{cls.__name__} member {value!r} is declared without a label")
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """The enum's schema with its Chinese labels by code (`x-enum-labels`), so the OpenAPI document
        itself tells a frontend what to show for each code."""
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["x-enum-labels"] = {member.value: member.label for member in cls}
        return schema

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """Every member as (code, label), in declaration order."""
        return [(member.value, member.label) for member in cls]


class Level(LabelledEnum):
    province = "province", "省级"
    city = "city", "市级"
    county = "county", "县级"


class EntityKind(LabelledEnum):
    industry = "industry", "产业"
    enterprise = "enterprise", "企业"
    project = "project", "项目"


class Tier(LabelledEnum):
    """Sizes by threshold in 亿元: the three programme tiers of each level, plus the echelons."""

    trillion = "trillion", "万亿级"
    eight_hundred_billion = "eight_hundred_billion", "8000亿级"  # echelon
    five_hundred_billion = "five_hundred_billion", "5000亿级"  # echelon
    hundred_billion = "hundred_billion", "千亿级"
    eighty_billion = "eighty_billion", "800亿级"  # echelon
    fifty_billion = "fifty_billion", "500亿级"  # echelon
    ten_billion = "ten_billion", "百亿级"
    billion = "billion", "十亿级"
    hundred_million = "hundred_million", "亿元级"


TIER_THRESHOLD_YI: dict[Tier, Decimal] = {
    Tier.trillion: Decimal(10000),
    Tier.eight_hundred_billion: Decimal(8000),
    Tier.five_hundred_billion: Decimal(5000),
    Tier.hundred_billion: Decimal(1000),
    Tier.eighty_billion: Decimal(800),
    Tier.fifty_billion: Decimal(500),
    Tier.ten_billion: Decimal(100),
    Tier.billion: Decimal(10),
    Tier.hundred_million: Decimal(1),
}


class Domain(LabelledEnum):
    agriculture = "agriculture", "农林牧渔"
    industry_it = "industry_it", "工业和信息化"
    construction = "construction", "建筑业"
    services = "services", "服务业"


class Pathway(LabelledEnum):
    # industries, 四个一批
    foundation_rebuilding = "foundation_rebuilding", "产业基础再造支持"
    supporting_collaboration = "supporting_collaboration", "配套协作壮大"
    park_clustering = "park_clustering", "“五好”园区聚集"
    integration = "integration", "融合发展培育"
    # enterprises, 四个一批
    consolidate = "consolidate", "巩固提升做强"
    attract = "attract", "招大引强落地"
    nurture = "nurture", "扶持壮大培育"
    merge = "merge", "兼并重组打造"
    # projects, 五个一批
    transformation = "transformation", "转型升级催生"
    investment_attraction = "investment_attraction", "招商引资引进"
    innovation = "innovation", "创新成果转化"
    spin_off = "spin_off", "优质企业裂变"
    resource_based = "resource_based", "依靠资源建设"


PATHWAYS_BY_KIND: dict[EntityKind, tuple[Pathway, ...]] = {
    EntityKind.industry: (
        Pathway.foundation_rebuilding,
        Pathway.supporting_collaboration,
        Pathway.park_clustering,
        Pathway.integration,
    ),
    EntityKind.enterprise: (Pathway.consolidate, Pathway.attract, Pathway.nurture, Pathway.merge),
    EntityKind.project: (
        Pathway.transformation,
        Pathway.investment_attraction,
        Pathway.innovation,
        Pathway.spin_off,
        Pathway.resource_based,
    ),
}


class ParkGrade(LabelledEnum):
    national = "national", "国家级园区"
    provincial = "provincial", "省级园区"
    concentration_zone = "concentration_zone", "工业集中区"
    development_zone = "development_zone", "产业开发区"
    park_in_park = "park_in_park", "园中园"


class EnterpriseLabel(LabelledEnum):
    little_giant = "little_giant", "专精特新“小巨人”"
    single_champion = "single_champion", "单项冠军"
    top500 = "top500", "“三类500强”"
    chain_master = "chain_master", "链主"
    leading = "leading", "龙头企业"


class ProjectStage(LabelledEnum):
    planning = "planning", "谋划"
    signed = "signed", "签约"
    started = "started", "开工"
    under_construction = "under_construction", "在建"
    completed = "completed", "竣工"
    in_operation = "in_operation", "投产运营"


class ApprovalKind(LabelledEnum):
    approval_filing = "approval_filing", "核准备案"
    eia = "eia", "环评"
    land = "land", "土地审批"


class ApprovalState(LabelledEnum):
    not_started = "not_started", "未启动"
    in_progress = "in_progress", "办理中"
    approved = "approved", "已批复"
    rejected = "rejected", "未通过"
    not_required = "not_required", "无需办理"


class RosterAction(LabelledEnum):
    include = "include", "纳入"
    promote = "promote", "升级"
    demote = "demote", "降级"
    retier = "retier", "同级调整（目标层级或地区）"
    remove = "remove", "移出"


class RosterStatus(LabelledEnum):
    listed = "listed", "在册"
    removed = "removed", "已移出"


class BatchMode(LabelledEnum):
    all_or_nothing = "all_or_nothing", "全部成功才生效"
    each = "each", "逐项生效"


class MetricKind(LabelledEnum):
    revenue = "revenue", "营业收入"
    output = "output", "产值"
    investment_completed = "investment_completed", "完成投资"


class MetricSource(LabelledEnum):
    manual = "manual", "手工录入"
    report = "report", "调度报送"


class Standing(LabelledEnum):
    achieved = "achieved", "已达标"
    below = "below", "未达标"
    no_data = "no_data", "暂无数据"


class ImportStatus(LabelledEnum):
    pending = "pending", "排队中"
    running = "running", "导入中"
    succeeded = "succeeded", "已完成"
    failed = "failed", "失败"


class HistoryEntryType(LabelledEnum):
    roster_adjustment = "roster_adjustment", "名单调整"
    metric_revision = "metric_revision", "指标修订"
    field_change = "field_change", "信息变更"


class SearchField(LabelledEnum):
    entity_name = "name", "名称"
    uscc = "uscc", "统一社会信用代码"
    project_code = "project_code", "项目代码"


ENUM_TYPES: dict[str, type[LabelledEnum]] = {
    "level": Level,
    "entity_kind": EntityKind,
    "tier": Tier,
    "domain": Domain,
    "pathway": Pathway,
    "park_grade": ParkGrade,
    "enterprise_label": EnterpriseLabel,
    "project_stage": ProjectStage,
    "approval_kind": ApprovalKind,
    "approval_state": ApprovalState,
    "roster_action": RosterAction,
    "roster_status": RosterStatus,
    "batch_mode": BatchMode,
    "metric_kind": MetricKind,
    "metric_source": MetricSource,
    "standing": Standing,
    "import_status": ImportStatus,
    "history_entry_type": HistoryEntryType,
    "search_field": SearchField,
}
