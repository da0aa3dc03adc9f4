"""Progress figures rolled up from the standing cube the repository computes in SQL.

The cube counts the listed entities per (kind, level, domain, target tier, size bucket): a few hundred
cells at most, however many entities there are. A size bucket is where the entity's size (latest
annual revenue/output, or a project's total investment) falls on `LADDER`, which holds every tier
threshold and every growth-band bound, so each question the programme asks ("reached 千亿级?", "in
the 8000亿 echelon?", "in the 100–1000亿 band?") is answered exactly by the bucket alone. The rules
themselves stay in `shared.tiers`; this module only sums cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from shared.schemas.enums import TIER_THRESHOLD_YI, Domain, EntityKind, Level, Tier
from shared.schemas.registry.responses.progress import (
    EchelonCount,
    GrowthBandCount,
    TargetProgress,
    TargetRead,
    TierCount,
)
from shared.tiers import ECHELONS, GROWTH_BANDS, PROGRAMME_TIER, allowed_tiers

# Ascending lower bounds of the size buckets: `width_bucket(size, LADDER)` is 0 below the first.
LADDER: tuple[Decimal, ...] = tuple(
    sorted(set(TIER_THRESHOLD_YI.values()) | {bound for band in GROWTH_BANDS.values() for bound in band})
)
LEVELS: tuple[Level, ...] = (Level.province, Level.city, Level.county)


@dataclass(frozen=True, slots=True)
class Cell:
    kind: EntityKind
    level: Level
    domain: Domain
    tier: Tier  # the entity's own target tier on the as_of date
    floor: Decimal | None  # the bucket's lower bound: None without any size, 0 below the ladder
    listed: int

    def reaches(self, threshold: Decimal) -> bool:
        return self.floor is not None and self.floor >= threshold

    def within(self, low: Decimal, high: Decimal) -> bool:
        return self.floor is not None and low <= self.floor < high


def bucket_floor(bucket: int | None) -> Decimal | None:
    """The lower bound of a `width_bucket` result over `LADDER`."""
    if bucket is None:
        return None
    return LADDER[bucket - 1] if bucket > 0 else Decimal(0)


def _threshold(tier: Tier) -> Decimal:
    return TIER_THRESHOLD_YI[tier]


def tier_counts(cells: Sequence[Cell], levels: Sequence[Level]) -> list[TierCount]:
    """Every allowed (kind, level, tier) of the levels asked for, zeros included, in programme order."""
    keys = [(kind, level, tier) for kind in EntityKind for level in levels for tier in allowed_tiers(kind, level)]
    # A tier outside the allowed ones can only come from data written around the API; count it anyway.
    keys += sorted({(c.kind, c.level, c.tier) for c in cells} - set(keys))
    listed = dict.fromkeys(keys, 0)
    achieved = dict.fromkeys(keys, 0)
    for c in cells:
        key = (c.kind, c.level, c.tier)
        listed[key] += c.listed
        if c.reaches(_threshold(c.tier)):
            achieved[key] += c.listed
    return [
        TierCount(
            kind=kind, level=level, tier=tier, listed=listed[kind, level, tier], achieved=achieved[kind, level, tier]
        )
        for kind, level, tier in keys
    ]


def echelon_counts(cells: Sequence[Cell], levels: Sequence[Level]) -> list[EchelonCount]:
    """Entities in each echelon: its threshold reached, the next size up (echelon or programme tier) not."""
    out: list[EchelonCount] = []
    for (kind, level), echelons in ECHELONS.items():
        if level not in levels:
            continue
        above = _threshold(PROGRAMME_TIER[kind, level])
        for tier in echelons:  # highest first
            low = _threshold(tier)
            count = sum(c.listed for c in cells if c.kind is kind and c.level is level and c.within(low, above))
            out.append(EchelonCount(kind=kind, tier=tier, count=count))
            above = low
    return out


def growth_band_counts(cells: Sequence[Cell], levels: Sequence[Level]) -> list[GrowthBandCount]:
    """Enterprises of each level whose size lies in that level's band (low inclusive, high exclusive)."""
    out: list[GrowthBandCount] = []
    for level in levels:
        low, high = GROWTH_BANDS[level]
        count = sum(
            c.listed for c in cells if c.kind is EntityKind.enterprise and c.level is level and c.within(low, high)
        )
        out.append(GrowthBandCount(level=level, low=low, high=high, count=count))
    return out


def target_progress(cells: Sequence[Cell], targets: Iterable[TargetRead]) -> list[TargetProgress]:
    """Per target: listed entities of its kind, level and domain (all domains when none) at its tier or above."""
    out: list[TargetProgress] = []
    for target in targets:
        threshold = _threshold(target.tier)
        achieved = sum(
            c.listed
            for c in cells
            if c.kind is target.kind
            and c.level is target.level
            and (target.domain is None or c.domain is target.domain)
            and c.reaches(threshold)
        )
        out.append(
            TargetProgress(
                target=target,
                achieved=achieved,
                gap=max(target.min_count - achieved, 0),
                met=achieved >= target.min_count,
            )
        )
    return out
