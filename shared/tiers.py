"""The programme's size rules (湘政办发〔2022〕4号): tiers by kind and level, echelons, growth bands.

Pure functions over Decimal amounts in 亿元, shared by request validation, the registry's derived
standing and any service that reasons about tiers.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from shared.regions import region_level
from shared.schemas.enums import TIER_THRESHOLD_YI, EntityKind, Level, Tier

PROGRAMME_TIER: dict[tuple[EntityKind, Level], Tier] = {
    (EntityKind.industry, Level.province): Tier.trillion,
    (EntityKind.industry, Level.city): Tier.hundred_billion,
    (EntityKind.industry, Level.county): Tier.ten_billion,
    (EntityKind.enterprise, Level.province): Tier.hundred_billion,
    (EntityKind.enterprise, Level.city): Tier.ten_billion,
    (EntityKind.enterprise, Level.county): Tier.billion,
    (EntityKind.project, Level.province): Tier.ten_billion,
    (EntityKind.project, Level.city): Tier.billion,
    (EntityKind.project, Level.county): Tier.hundred_million,
}

ECHELONS: dict[tuple[EntityKind, Level], tuple[Tier, ...]] = {
    (EntityKind.industry, Level.province): (Tier.eight_hundred_billion, Tier.five_hundred_billion),
    (EntityKind.enterprise, Level.province): (Tier.eighty_billion, Tier.fifty_billion),
}

# Enterprises the plan pushes up a band: province 100–1000亿, city 10–100亿, county 1–10亿.
GROWTH_BANDS: dict[Level, tuple[Decimal, Decimal]] = {
    Level.province: (Decimal(100), Decimal(1000)),
    Level.city: (Decimal(10), Decimal(100)),
    Level.county: (Decimal(1), Decimal(10)),
}

LEVEL_ORDER = {Level.county: 0, Level.city: 1, Level.province: 2}


def allowed_tiers(kind: EntityKind, level: Level) -> tuple[Tier, ...]:
    return (PROGRAMME_TIER[(kind, level)], *ECHELONS.get((kind, level), ()))


def tier_error(kind: EntityKind, level: Level, tier: Tier) -> str | None:
    allowed = allowed_tiers(kind, level)
    if tier in allowed:
        return None
    names = "、".join(f"{t.value}（{t.label}）" for t in allowed)
    return f"{level.label}{kind.label}的目标层级只能是：{names}"


def level_region_error(level: Level, region_code: str) -> str | None:
    """A level/region mismatch message, or None: province → 430000, city → a city, county → a county."""
    if not region_code.startswith("43"):
        return "行政区划须为湖南省（43 开头）的代码"
    actual = region_level(region_code)
    if actual != level.value:
        expected = {"province": "430000", "city": "市州代码（如 430100）", "county": "县市区代码（如 430102）"}
        return f"级别为 {level.value} 时行政区划应为{expected[level.value]}"
    return None


@functools.cache
def ladder(kind: EntityKind) -> tuple[Tier, ...]:
    """Every size a kind is measured by: its programme tiers at all levels, and its echelons."""
    tiers = {t for (k, _), t in PROGRAMME_TIER.items() if k is kind}
    tiers |= {t for (k, _), echelons in ECHELONS.items() if k is kind for t in echelons}
    return tuple(sorted(tiers, key=lambda t: TIER_THRESHOLD_YI[t], reverse=True))


def tier_reached(value: Decimal, kind: EntityKind) -> Tier | None:
    """The highest size on the kind's ladder that `value` reaches, whatever the entity's level.

    A county enterprise at 150亿 has reached 百亿级: that is what tells the office it is ready to
    be promoted, so the level does not cap the answer.
    """
    return next((t for t in ladder(kind) if value >= TIER_THRESHOLD_YI[t]), None)


def achieves(value: Decimal, target: Tier) -> bool:
    return value >= TIER_THRESHOLD_YI[target]


def in_growth_band(value: Decimal, kind: EntityKind, level: Level) -> bool:
    if kind is not EntityKind.enterprise:
        return False
    low, high = GROWTH_BANDS[level]
    return low <= value < high
