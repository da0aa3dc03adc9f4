"""The programme's size rules per kind and level, read off `shared.tiers` and the enums (never a copy)."""

from __future__ import annotations

from services.registry.entities.kinds import KINDS
from services.registry.tiers.schemas import TierRuleBand, TierRuleMeasure, TierRulePathway, TierRuleRead, TierRuleTier
from shared.schemas.enums import PATHWAYS_BY_KIND, TIER_THRESHOLD_YI, EntityKind, Level, Tier
from shared.tiers import ECHELONS, GROWTH_BANDS, PROGRAMME_TIER, allowed_tiers, in_growth_band

# What sizes a kind without a metric: a project's total investment.
TOTAL_INVESTMENT = TierRuleMeasure(code="total_investment", label="总投资")


def _tier(tier: Tier) -> TierRuleTier:
    return TierRuleTier(code=tier, label=tier.label, threshold_yi=TIER_THRESHOLD_YI[tier])


def _band(kind: EntityKind, level: Level) -> TierRuleBand | None:
    """The level's band, for the kinds `in_growth_band` places in one (its lower bound is in it)."""
    low, high = GROWTH_BANDS[level]
    return TierRuleBand(low_yi=low, high_yi=high) if in_growth_band(low, kind, level) else None


def tier_rule(kind: EntityKind, level: Level) -> TierRuleRead:
    metrics = KINDS[kind].standing_metrics
    sized_by = [TierRuleMeasure(code=m.value, label=m.label) for m in metrics] if metrics else [TOTAL_INVESTMENT]
    return TierRuleRead(
        kind=kind,
        level=level,
        programme_tier=_tier(PROGRAMME_TIER[(kind, level)]),
        allowed_tiers=[_tier(t) for t in allowed_tiers(kind, level)],
        echelons=[_tier(t) for t in ECHELONS.get((kind, level), ())],
        growth_band=_band(kind, level),
        pathways=[TierRulePathway(code=p, label=p.label) for p in PATHWAYS_BY_KIND[kind]],
        sized_by=sized_by,
    )


def tier_rules(kind: EntityKind | None = None, level: Level | None = None) -> list[TierRuleRead]:
    """Every kind × level the programme has (both filters optional), in declaration order."""
    return [
        tier_rule(k, lv)
        for k in EntityKind
        for lv in Level
        if (k, lv) in PROGRAMME_TIER and kind in (None, k) and level in (None, lv)
    ]
