"""The programme's size rules as the API serves them (`GET /tier-rules`)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from shared.schemas.common import ResponseModel
from shared.schemas.enums import EntityKind, Level, Pathway, Tier


class TierRuleTier(ResponseModel):
    code: Tier
    label: str
    threshold_yi: Decimal = Field(description="达到该层级的规模下限，单位：亿元")


class TierRuleBand(ResponseModel):
    low_yi: Decimal = Field(description="成长区间下限（含），单位：亿元")
    high_yi: Decimal = Field(description="成长区间上限（不含），单位：亿元")


class TierRulePathway(ResponseModel):
    code: Pathway
    label: str


class TierRuleMeasure(ResponseModel):
    code: str = Field(description="衡量规模的指标（metric_kind 的取值），项目为 total_investment（总投资）")
    label: str


class TierRuleRead(ResponseModel):
    kind: EntityKind
    level: Level
    programme_tier: TierRuleTier = Field(description="该级别的工程层级（万亿级/千亿级/百亿级等）")
    allowed_tiers: list[TierRuleTier] = Field(description="可设为目标层级的层级：工程层级及其梯队，由高到低")
    echelons: list[TierRuleTier] = Field(description="工程层级之下的梯队（仅省级产业和企业）")
    growth_band: TierRuleBand | None = Field(description="政策推动的成长区间（仅企业）")
    pathways: list[TierRulePathway] = Field(description="该类对象的培育路径")
    sized_by: list[TierRuleMeasure] = Field(description="衡量实际规模的指标，按优先顺序（取最新年度值）")
