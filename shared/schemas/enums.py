"""Every enumeration on the wire: stable lowercase English codes, each with its Chinese label.

`ENUMS` feeds `GET /api/v1/enums`, so a frontend can show 万亿级, 省级, 工业和信息化.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum


class Level(StrEnum):
    province = "province"
    city = "city"
    county = "county"


class EntityKind(StrEnum):
    industry = "industry"
    enterprise = "enterprise"
    project = "project"


class Tier(StrEnum):
    """Sizes by threshold in 亿元: the three programme tiers of each level, plus the echelons."""

    trillion = "trillion"  # 万亿级 ≥ 10000亿
    eight_hundred_billion = "eight_hundred_billion"  # 8000亿级 echelon
    five_hundred_billion = "five_hundred_billion"  # 5000亿级 echelon
    hundred_billion = "hundred_billion"  # 千亿级 ≥ 1000亿
    eighty_billion = "eighty_billion"  # 800亿级 echelon
    fifty_billion = "fifty_billion"  # 500亿级 echelon
    ten_billion = "ten_billion"  # 百亿级 ≥ 100亿
    billion = "billion"  # 十亿级 ≥ 10亿
    hundred_million = "hundred_million"  # 亿元级 ≥ 1亿


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


class Domain(StrEnum):
    agriculture = "agriculture"
    industry_it = "industry_it"
    construction = "construction"
    services = "services"


class Pathway(StrEnum):
    # industries, 四个一批
    foundation_rebuilding = "foundation_rebuilding"
    supporting_collaboration = "supporting_collaboration"
    park_clustering = "park_clustering"
    integration = "integration"
    # enterprises, 四个一批
    consolidate = "consolidate"
    attract = "attract"
    nurture = "nurture"
    merge = "merge"
    # projects, 五个一批
    transformation = "transformation"
    investment_attraction = "investment_attraction"
    innovation = "innovation"
    spin_off = "spin_off"
    resource_based = "resource_based"


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


class ParkGrade(StrEnum):
    national = "national"
    provincial = "provincial"
    concentration_zone = "concentration_zone"
    development_zone = "development_zone"
    park_in_park = "park_in_park"


class EnterpriseLabel(StrEnum):
    little_giant = "little_giant"
    single_champion = "single_champion"
    top500 = "top500"
    chain_master = "chain_master"
    leading = "leading"


class ProjectStage(StrEnum):
    planning = "planning"
    signed = "signed"
    started = "started"
    under_construction = "under_construction"
    completed = "completed"
    in_operation = "in_operation"


class ApprovalKind(StrEnum):
    approval_filing = "approval_filing"
    eia = "eia"
    land = "land"


class ApprovalState(StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    approved = "approved"
    rejected = "rejected"
    not_required = "not_required"


class RosterAction(StrEnum):
    include = "include"
    promote = "promote"
    demote = "demote"
    retier = "retier"
    remove = "remove"


class RosterStatus(StrEnum):
    listed = "listed"
    removed = "removed"


class MetricKind(StrEnum):
    revenue = "revenue"
    output = "output"
    investment_completed = "investment_completed"


class MetricSource(StrEnum):
    manual = "manual"
    report = "report"


class Standing(StrEnum):
    achieved = "achieved"
    below = "below"
    no_data = "no_data"


class ImportStatus(StrEnum):
    pending = "pending"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


LABELS: dict[str, dict[str, str]] = {
    "level": {"province": "省级", "city": "市级", "county": "县级"},
    "entity_kind": {"industry": "产业", "enterprise": "企业", "project": "项目"},
    "tier": {
        "trillion": "万亿级",
        "eight_hundred_billion": "8000亿级",
        "five_hundred_billion": "5000亿级",
        "hundred_billion": "千亿级",
        "eighty_billion": "800亿级",
        "fifty_billion": "500亿级",
        "ten_billion": "百亿级",
        "billion": "十亿级",
        "hundred_million": "亿元级",
    },
    "domain": {
        "agriculture": "农林牧渔",
        "industry_it": "工业和信息化",
        "construction": "建筑业",
        "services": "服务业",
    },
    "pathway": {
        "foundation_rebuilding": "产业基础再造支持",
        "supporting_collaboration": "配套协作壮大",
        "park_clustering": "“五好”园区聚集",
        "integration": "融合发展培育",
        "consolidate": "巩固提升做强",
        "attract": "招大引强落地",
        "nurture": "扶持壮大培育",
        "merge": "兼并重组打造",
        "transformation": "转型升级催生",
        "investment_attraction": "招商引资引进",
        "innovation": "创新成果转化",
        "spin_off": "优质企业裂变",
        "resource_based": "依靠资源建设",
    },
    "park_grade": {
        "national": "国家级园区",
        "provincial": "省级园区",
        "concentration_zone": "工业集中区",
        "development_zone": "产业开发区",
        "park_in_park": "园中园",
    },
    "enterprise_label": {
        "little_giant": "专精特新“小巨人”",
        "single_champion": "单项冠军",
        "top500": "“三类500强”",
        "chain_master": "链主",
        "leading": "龙头企业",
    },
    "project_stage": {
        "planning": "谋划",
        "signed": "签约",
        "started": "开工",
        "under_construction": "在建",
        "completed": "竣工",
        "in_operation": "投产运营",
    },
    "approval_kind": {"approval_filing": "核准备案", "eia": "环评", "land": "土地审批"},
    "approval_state": {
        "not_started": "未启动",
        "in_progress": "办理中",
        "approved": "已批复",
        "rejected": "未通过",
        "not_required": "无需办理",
    },
    "roster_action": {
        "include": "纳入",
        "promote": "升级",
        "demote": "降级",
        "retier": "同级调整（目标层级或地区）",
        "remove": "移出",
    },
    "roster_status": {"listed": "在册", "removed": "已移出"},
    "metric_kind": {"revenue": "营业收入", "output": "产值", "investment_completed": "完成投资"},
    "metric_source": {"manual": "手工录入", "report": "调度报送"},
    "standing": {"achieved": "已达标", "below": "未达标", "no_data": "暂无数据"},
    "import_status": {"pending": "排队中", "running": "导入中", "succeeded": "已完成", "failed": "失败"},
    "role": {
        "admin": "万千百工程办公室（管理员）",
        "department": "牵头部门",
        "city": "市州操作员",
        "county": "县市区操作员",
        "viewer": "只读用户",
        "service": "平台内部服务",
    },
}

ENUM_TYPES: dict[str, type[StrEnum]] = {
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
    "metric_kind": MetricKind,
    "metric_source": MetricSource,
    "standing": Standing,
    "import_status": ImportStatus,
}
