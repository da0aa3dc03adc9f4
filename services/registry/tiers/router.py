"""HTTP for /tier-rules: the programme's size rules as data, for frontends and peers."""

from __future__ import annotations

from fastapi import APIRouter

from services.registry.tiers.schemas import TierRuleRead
from services.registry.tiers.service import tier_rules
from shared.app import api_router
from shared.context import PrincipalDep
from shared.schemas.common import Page
from shared.schemas.enums import EntityKind, Level

router: APIRouter = api_router(tags=["tier-rules"])


@router.get(
    "/tier-rules",
    response_model=Page[TierRuleRead],
    summary="层级规则：各类对象各级别的工程层级、梯队及门槛（亿元）、成长区间、培育路径、规模指标",
    description=(
        "For each kind × level: the programme tier, the tiers a target may name (the programme tier and its "
        "echelons) with their thresholds in 亿元, the growth band (enterprises), the cultivation pathways and "
        "the metrics that size the kind, preferred first. Derived from the same rules the API enforces."
    ),
)
async def list_tier_rules(
    _: PrincipalDep, kind: EntityKind | None = None, level: Level | None = None
) -> Page[TierRuleRead]:
    return Page(items=tier_rules(kind, level), next_cursor=None)
