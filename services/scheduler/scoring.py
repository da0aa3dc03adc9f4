"""Round summary scoring: each unit's (市州 or 县市区) score, rank and grade for one round.

Components, each in [0, 1], and undefined when its denominator is zero:

    submission   reports submitted / reports expected
    on_time      reports submitted on time / reports expected (late and missing both count against)
    investment   investment completed / investment planned, capped at 1 (overshooting one project
                 does not make up for others)
    findings     1 − Σ penalty[colour] × findings of that colour / reports expected, floored at 0
                 (by default a red finding costs 1, a yellow 0.5, a blue nothing, per expected report)

score = 100 × Σ weight × component / Σ weight, both sums over the defined components only, so a
unit with no investment planned is scored on the rest; rounded half-up to 2 decimals; None when no
component is defined. Everything before that rounding is exact (fractions).

Ranking is by score, highest first, on the rounded score everyone sees: equal scores share a rank
and the next rank skips (1, 2, 2, 4); within a tie, and for units without a score (ranked None,
listed last), units are ordered by their code. The grade is the first of 优秀 / 良好 / 一般 whose
cut-off the score reaches (defaults 90 / 80 / 60), else 较差.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from services.scheduler.errors import ParametersInvalid
from services.scheduler.rules import Colour
from shared.schemas.enums import LabelledEnum


class Component(StrEnum):
    submission = "submission"
    on_time = "on_time"
    investment = "investment"
    findings = "findings"


class Grade(LabelledEnum):
    excellent = "excellent", "优秀"
    good = "good", "良好"
    fair = "fair", "一般"
    poor = "poor", "较差"


_DEFAULT_WEIGHTS = {
    Component.submission: Decimal(30),
    Component.on_time: Decimal(20),
    Component.investment: Decimal(30),
    Component.findings: Decimal(20),
}
_DEFAULT_PENALTIES = {Colour.red: Decimal(1), Colour.yellow: Decimal("0.5"), Colour.blue: Decimal(0)}
_DEFAULT_CUTOFFS = {Grade.excellent: Decimal(90), Grade.good: Decimal(80), Grade.fair: Decimal(60)}
_GRADED = (Grade.excellent, Grade.good, Grade.fair)
_SCORE_PLACES = Decimal("0.01")
_COMPONENT_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class ScoringParams:
    version: str = "1"
    weights: Mapping[Component, Decimal] = field(default_factory=lambda: dict(_DEFAULT_WEIGHTS))
    penalties: Mapping[Colour, Decimal] = field(default_factory=lambda: dict(_DEFAULT_PENALTIES))
    cutoffs: Mapping[Grade, Decimal] = field(default_factory=lambda: dict(_DEFAULT_CUTOFFS))

    def __post_init__(self) -> None:
        weights = {c: Decimal(self.weights.get(c, 0)) for c in Component}
        penalties = {c: Decimal(self.penalties.get(c, 0)) for c in Colour}
        if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ParametersInvalid("weights", "scoring_weights_invalid", "各项权重不能为负数，且权重之和须大于 0")
        if any(p < 0 for p in penalties.values()):
            raise ParametersInvalid("penalties", "scoring_penalties_invalid", "预警扣分系数不能为负数")
        if set(self.cutoffs) != set(_GRADED):
            raise ParametersInvalid("cutoffs", "scoring_cutoffs_invalid", "须给出优秀、良好、一般三档的分数线")
        cutoffs = [Decimal(self.cutoffs[g]) for g in _GRADED]
        if not cutoffs[0] >= cutoffs[1] >= cutoffs[2] >= 0:
            raise ParametersInvalid("cutoffs", "scoring_cutoffs_invalid", "分数线须满足 优秀 ≥ 良好 ≥ 一般 ≥ 0")
        object.__setattr__(self, "weights", MappingProxyType(weights))
        object.__setattr__(self, "penalties", MappingProxyType(penalties))
        object.__setattr__(self, "cutoffs", MappingProxyType(dict(zip(_GRADED, cutoffs, strict=True))))


@dataclass(frozen=True, slots=True)
class UnitRound:
    unit: str  # region code
    expected: int
    submitted: int
    on_time: int
    investment_completed: Decimal = Decimal(0)
    investment_planned: Decimal = Decimal(0)
    findings: Mapping[Colour, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.on_time <= self.submitted <= self.expected:
            raise ValueError(f"{self.unit}: need 0 <= on_time <= submitted <= expected")
        if self.investment_completed < 0 or self.investment_planned < 0 or any(n < 0 for n in self.findings.values()):
            raise ValueError(f"{self.unit}: amounts and finding counts cannot be negative")


@dataclass(frozen=True, slots=True)
class UnitScore:
    unit: str
    components: Mapping[Component, Decimal | None]  # shown to 4 decimals
    score: Decimal | None
    rank: int | None
    grade: Grade | None


def _components(unit: UnitRound, params: ScoringParams) -> dict[Component, Fraction | None]:
    expected = unit.expected
    investment: Fraction | None = None
    if unit.investment_planned > 0:
        ratio = Fraction(unit.investment_completed) / Fraction(unit.investment_planned)
        investment = ratio if ratio < 1 else Fraction(1)
    findings: Fraction | None = None
    if expected:
        points = sum(
            (Fraction(params.penalties[colour]) * count for colour, count in unit.findings.items()), Fraction(0)
        )
        remaining = 1 - points / expected
        findings = remaining if remaining > 0 else Fraction(0)
    return {
        Component.submission: Fraction(unit.submitted, expected) if expected else None,
        Component.on_time: Fraction(unit.on_time, expected) if expected else None,
        Component.investment: investment,
        Component.findings: findings,
    }


def _decimal(value: Fraction, places: Decimal) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(places, rounding=ROUND_HALF_UP)


def unit_score(unit: UnitRound, params: ScoringParams) -> tuple[dict[Component, Fraction | None], Decimal | None]:
    """The unit's exact components and its rounded score (None when no component is defined)."""
    components = _components(unit, params)
    defined = {c: v for c, v in components.items() if v is not None}
    total_weight = sum(Fraction(params.weights[c]) for c in defined)
    if not defined or total_weight == 0:
        return components, None
    weighted = sum(Fraction(params.weights[c]) * v for c, v in defined.items())
    return components, _decimal(100 * weighted / total_weight, _SCORE_PLACES)


def grade(score: Decimal, params: ScoringParams) -> Grade:
    return next((g for g in _GRADED if score >= params.cutoffs[g]), Grade.poor)


def score_round(units: Sequence[UnitRound], params: ScoringParams) -> list[UnitScore]:
    """Every unit's score, rank and grade, best first (see the module docstring for ties)."""
    codes = [u.unit for u in units]
    if len(set(codes)) != len(codes):
        raise ValueError("each unit may appear once in a round")
    scored = []
    for unit in units:
        components, score = unit_score(unit, params)
        shown = {c: None if v is None else _decimal(v, _COMPONENT_PLACES) for c, v in components.items()}
        scored.append((unit.unit, shown, score))
    scored.sort(key=lambda row: (row[2] is None, -(row[2] or 0), row[0]))
    out: list[UnitScore] = []
    for position, (code, shown, score) in enumerate(scored, start=1):
        rank: int | None = None
        if score is not None:
            tied = bool(out) and out[-1].score == score
            rank = out[-1].rank if tied else position
        out.append(
            UnitScore(
                unit=code,
                components=shown,
                score=score,
                rank=rank,
                grade=grade(score, params) if score is not None else None,
            )
        )
    return out
