"""Round scoring: components, weighted score, deterministic ranking with ties, four-grade board."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scheduler.errors import ParametersInvalid
from services.scheduler.rules import Colour
from services.scheduler.scoring import (
    Component,
    Grade,
    ScoringParams,
    UnitRound,
    UnitScore,
    grade,
    score_round,
)

PARAMS = ScoringParams()
# 430100: 30·1 + 20·0.9 + 30·0.8 + 20·(1 − 0.5/10) = 30 + 18 + 24 + 19 = 91
CHANGSHA = UnitRound("430100", 10, 10, 9, Decimal(8), Decimal(10), {Colour.yellow: 1})
# 430200: 30·0.75 + 20·0.5 + 30·0.5 + 20·(1 − 2/8) = 22.5 + 10 + 15 + 15 = 62.5
ZHUZHOU = UnitRound("430200", 8, 6, 4, Decimal(5), Decimal(10), {Colour.red: 2, Colour.blue: 3})
# 430300: nothing planned, so (30·1 + 20·1 + 20·1) / 70 = 100
XIANGTAN = UnitRound("430300", 4, 4, 4)
# 430400: nothing expected and nothing planned: no score
HENGYANG = UnitRound("430400", 0, 0, 0)
# 430050 scores exactly as 430100 does
TWIN = UnitRound("430050", 10, 10, 9, Decimal(8), Decimal(10), {Colour.yellow: 1})


def test_a_round_is_scored_ranked_and_graded() -> None:
    board = score_round([HENGYANG, ZHUZHOU, CHANGSHA, XIANGTAN], PARAMS)
    assert [(s.unit, s.score, s.rank, s.grade) for s in board] == [
        ("430300", Decimal("100.00"), 1, Grade.excellent),
        ("430100", Decimal("91.00"), 2, Grade.excellent),
        ("430200", Decimal("62.50"), 3, Grade.fair),
        ("430400", None, None, None),
    ]


def test_components_are_shown_to_four_places() -> None:
    [changsha] = score_round([CHANGSHA], PARAMS)
    assert changsha == UnitScore(
        unit="430100",
        components={
            Component.submission: Decimal("1.0000"),
            Component.on_time: Decimal("0.9000"),
            Component.investment: Decimal("0.8000"),
            Component.findings: Decimal("0.9500"),
        },
        score=Decimal("91.00"),
        rank=1,
        grade=Grade.excellent,
    )
    [xiangtan] = score_round([XIANGTAN], PARAMS)
    assert xiangtan.components[Component.investment] is None


def test_ties_share_a_rank_the_next_rank_skips_and_codes_order_the_tie() -> None:
    board = score_round([ZHUZHOU, CHANGSHA, TWIN, XIANGTAN], PARAMS)
    assert [(s.unit, s.rank) for s in board] == [("430300", 1), ("430050", 2), ("430100", 2), ("430200", 4)]
    assert score_round([CHANGSHA, TWIN], PARAMS) == score_round([TWIN, CHANGSHA], PARAMS)


def test_overshooting_investment_is_capped_and_findings_floor_at_zero() -> None:
    unit = UnitRound("430500", 10, 10, 10, Decimal(15), Decimal(10), {Colour.red: 20})
    [scored] = score_round([unit], PARAMS)
    assert scored.components[Component.investment] == Decimal("1.0000")
    assert scored.components[Component.findings] == Decimal("0.0000")
    assert scored.score == Decimal("80.00")


def test_scores_round_half_up_to_two_places() -> None:
    params = ScoringParams(weights={Component.submission: Decimal(1)})
    [two_thirds] = score_round([UnitRound("430600", 3, 2, 2)], params)
    assert two_thirds.score == Decimal("66.67")
    [eighth] = score_round([UnitRound("430700", 8, 7, 0)], params)  # 87.5 exactly
    assert eighth.score == Decimal("87.50")
    # 1/80 = 0.0125 → 1.25; 200/6 → 33.33
    assert score_round([UnitRound("430800", 80, 1, 0)], params)[0].score == Decimal("1.25")
    assert score_round([UnitRound("430900", 6, 2, 0)], params)[0].score == Decimal("33.33")


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        ("100", Grade.excellent),
        ("90", Grade.excellent),
        ("89.99", Grade.good),
        ("80", Grade.good),
        ("79.99", Grade.fair),
        ("60", Grade.fair),
        ("59.99", Grade.poor),
        ("0", Grade.poor),
    ],
)
def test_grade_cut_offs(score: str, expected: Grade) -> None:
    assert grade(Decimal(score), PARAMS) is expected


def test_cut_offs_and_labels_are_configurable() -> None:
    strict = ScoringParams(cutoffs={Grade.excellent: Decimal(95), Grade.good: Decimal(85), Grade.fair: Decimal(70)})
    assert grade(Decimal(91), strict) is Grade.good
    assert [g.label for g in Grade] == ["优秀", "良好", "一般", "较差"]


def test_the_params_keep_their_own_copy() -> None:
    weights = {Component.submission: Decimal(1)}
    params = ScoringParams(weights=weights)
    weights[Component.submission] = Decimal(0)
    assert params.weights[Component.submission] == Decimal(1)
    assert params.weights[Component.findings] == Decimal(0)


@pytest.mark.parametrize(
    "build",
    [
        lambda: ScoringParams(weights={Component.submission: Decimal(-1), Component.on_time: Decimal(2)}),
        lambda: ScoringParams(weights={Component.submission: Decimal(0)}),
        lambda: ScoringParams(penalties={Colour.red: Decimal(-1)}),
        lambda: ScoringParams(cutoffs={Grade.excellent: Decimal(80), Grade.good: Decimal(90), Grade.fair: Decimal(60)}),
        lambda: ScoringParams(cutoffs={Grade.excellent: Decimal(90), Grade.good: Decimal(80)}),
    ],
)
def test_bad_parameters_are_refused(build: object) -> None:
    with pytest.raises(ParametersInvalid):
        build()  # type: ignore[operator]


def test_impossible_unit_figures_are_refused() -> None:
    with pytest.raises(ValueError, match="on_time"):
        UnitRound("430100", 5, 4, 5)
    with pytest.raises(ValueError, match="on_time"):
        UnitRound("430100", 5, 6, 1)
    with pytest.raises(ValueError, match="negative"):
        UnitRound("430100", 5, 5, 5, Decimal(-1))
    with pytest.raises(ValueError, match="once"):
        score_round([CHANGSHA, CHANGSHA], PARAMS)


units = st.builds(
    lambda code, expected, sub, on, done, plan, red, yellow: UnitRound(
        f"43{code:04d}",
        expected,
        min(sub, expected),
        min(on, sub, expected),
        Decimal(done),
        Decimal(plan),
        {Colour.red: red, Colour.yellow: yellow},
    ),
    st.integers(0, 9999),
    st.integers(0, 20),
    st.integers(0, 20),
    st.integers(0, 20),
    st.integers(0, 50),
    st.integers(0, 50),
    st.integers(0, 5),
    st.integers(0, 5),
)


@given(st.lists(units, max_size=12, unique_by=lambda u: u.unit))
def test_the_board_is_ordered_and_ranks_follow_scores(board_units: list[UnitRound]) -> None:
    board = score_round(board_units, PARAMS)
    assert sorted(s.unit for s in board) == sorted(u.unit for u in board_units)
    ranked = [s for s in board if s.score is not None]
    assert board[: len(ranked)] == ranked
    for position, entry in enumerate(ranked, start=1):
        assert entry.score is not None and Decimal(0) <= entry.score <= Decimal(100)
        assert entry.rank == 1 + sum(1 for other in ranked if other.score is not None and other.score > entry.score)
        assert entry.rank is not None and entry.rank <= position
    for first, second in itertools.pairwise(ranked):
        assert first.score is not None and second.score is not None
        assert first.score > second.score or (first.score == second.score and first.unit < second.unit)
