"""Properties of the programme's size rules (shared.tiers), over amounts in 亿元 with 4 decimals."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from shared.schemas.enums import TIER_THRESHOLD_YI, EntityKind, Level, Tier
from shared.tiers import (
    GROWTH_BANDS,
    PROGRAMME_TIER,
    achieves,
    allowed_tiers,
    in_growth_band,
    ladder,
    tier_error,
    tier_reached,
)

STEP = Decimal("0.0001")
THRESHOLDS = sorted(set(TIER_THRESHOLD_YI.values()) | {low for low, _ in GROWTH_BANDS.values()})

# Mostly values at and around the thresholds, where an off-by-one would show, plus anything up to 10⁸ 亿元.
amounts = st.one_of(
    st.sampled_from(THRESHOLDS).flatmap(lambda t: st.sampled_from([t - STEP, t, t + STEP]).filter(lambda v: v >= 0)),
    st.decimals(min_value=0, max_value=Decimal(10) ** 8, places=4, allow_nan=False, allow_infinity=False),
)
kinds = st.sampled_from(list(EntityKind))
levels = st.sampled_from(list(Level))
tiers = st.sampled_from(list(Tier))


def threshold(tier: Tier | None) -> Decimal:
    return TIER_THRESHOLD_YI[tier] if tier is not None else Decimal(-1)


@given(kinds, amounts, amounts)
def test_tier_reached_is_monotonic_in_value(kind: EntityKind, a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert threshold(tier_reached(low, kind)) <= threshold(tier_reached(high, kind))


@given(amounts, tiers)
def test_achieves_iff_value_is_at_least_the_threshold(value: Decimal, tier: Tier) -> None:
    assert achieves(value, tier) is (value >= TIER_THRESHOLD_YI[tier])


@given(kinds, amounts)
def test_tier_reached_never_exceeds_the_value_and_is_the_highest_reached(kind: EntityKind, value: Decimal) -> None:
    reached = tier_reached(value, kind)
    assert threshold(reached) <= value
    reachable = [t for t in ladder(kind) if TIER_THRESHOLD_YI[t] <= value]
    assert reached == (max(reachable, key=TIER_THRESHOLD_YI.__getitem__) if reachable else None)
    if reached is not None:
        assert reached in ladder(kind)
        assert achieves(value, reached)


@given(kinds, levels)
def test_every_allowed_tier_is_on_the_kinds_ladder(kind: EntityKind, level: Level) -> None:
    allowed = allowed_tiers(kind, level)
    assert allowed[0] is PROGRAMME_TIER[(kind, level)]
    assert set(allowed) <= set(ladder(kind))


@given(kinds, levels, tiers)
def test_tier_error_is_none_exactly_for_allowed_tiers(kind: EntityKind, level: Level, tier: Tier) -> None:
    assert (tier_error(kind, level, tier) is None) is (tier in allowed_tiers(kind, level))


@given(kinds, amounts, levels)
def test_only_enterprises_have_growth_bands_and_the_band_is_half_open(
    kind: EntityKind, value: Decimal, level: Level
) -> None:
    low, high = GROWTH_BANDS[level]
    assert in_growth_band(value, kind, level) is (kind is EntityKind.enterprise and low <= value < high)


def test_ladders_are_strictly_descending_and_hold_each_kinds_programme_tiers() -> None:
    assert ladder(EntityKind.industry) == (
        Tier.trillion,
        Tier.eight_hundred_billion,
        Tier.five_hundred_billion,
        Tier.hundred_billion,
        Tier.ten_billion,
    )
    assert ladder(EntityKind.enterprise) == (
        Tier.hundred_billion,
        Tier.eighty_billion,
        Tier.fifty_billion,
        Tier.ten_billion,
        Tier.billion,
    )
    assert ladder(EntityKind.project) == (Tier.ten_billion, Tier.billion, Tier.hundred_million)


def test_tier_reached_at_the_boundaries_of_a_county_enterprise() -> None:
    assert tier_reached(Decimal("9.9999"), EntityKind.enterprise) is None
    assert tier_reached(Decimal(10), EntityKind.enterprise) is Tier.billion
    assert tier_reached(Decimal(150), EntityKind.enterprise) is Tier.ten_billion
    assert tier_reached(Decimal("0.9999"), EntityKind.project) is None
    assert tier_reached(Decimal(1), EntityKind.project) is Tier.hundred_million
