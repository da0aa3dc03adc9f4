"""Supervision rules: each colour ladder at and around its thresholds, with its explanation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scheduler.errors import ParametersInvalid
from services.scheduler.rules import (
    SEVERITY,
    Colour,
    DeadlineParams,
    ElapsedBasis,
    Evaluation,
    LagParams,
    OverdueParams,
    RoundProgress,
    SigningParams,
    StallParams,
    add_months,
    circular_unsigned,
    elapsed_share,
    full_months_between,
    investment_lag,
    next_colour,
    pace_below_tier,
    problem_overdue,
    promotion_candidate,
    report_deadline,
    rounds_without_movement,
    stalled_project,
)
from shared.schemas.enums import EntityKind, Level, ProjectStage, Tier

D = dt.date
MONTHS = LagParams(basis=ElapsedBasis.months)


@pytest.mark.parametrize(
    ("as_of", "basis", "share"),
    [
        (D(2026, 6, 30), ElapsedBasis.days, Fraction(181, 365)),
        (D(2026, 1, 1), ElapsedBasis.days, Fraction(1, 365)),
        (D(2028, 12, 31), ElapsedBasis.days, Fraction(1)),
        (D(2028, 3, 1), ElapsedBasis.days, Fraction(61, 366)),
        (D(2026, 6, 30), ElapsedBasis.months, Fraction(1, 2)),
        (D(2026, 6, 29), ElapsedBasis.months, Fraction(5, 12)),
        (D(2028, 2, 29), ElapsedBasis.months, Fraction(2, 12)),
        (D(2026, 1, 15), ElapsedBasis.months, Fraction(0)),
    ],
)
def test_elapsed_share(as_of: dt.date, basis: ElapsedBasis, share: Fraction) -> None:
    assert elapsed_share(as_of, basis) == share


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2026, 1, 31), 12, D(2027, 1, 31)),
    ],
)
def test_add_months_clamps_like_postgres(start: dt.date, months: int, end: dt.date) -> None:
    assert add_months(start, months) == end


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2026, 1, 31), D(2026, 2, 28), 1),
        (D(2026, 1, 31), D(2026, 2, 27), 0),
        (D(2026, 3, 15), D(2026, 9, 14), 5),
        (D(2026, 3, 15), D(2026, 9, 15), 6),
        (D(2026, 3, 15), D(2026, 1, 1), 0),
        (D(2025, 12, 31), D(2026, 12, 31), 12),
    ],
)
def test_full_months_between(start: dt.date, end: dt.date, months: int) -> None:
    assert full_months_between(start, end) == months


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 1, 1)), st.integers(0, 120))
def test_full_months_between_inverts_add_months(start: dt.date, months: int) -> None:
    end = add_months(start, months)
    assert full_months_between(start, end) == months
    assert full_months_between(start, end - dt.timedelta(days=1)) == max(months - 1, 0)


DUE = D(2026, 12, 8)


@pytest.mark.parametrize(
    ("today", "colour"),
    [
        (D(2026, 12, 4), None),
        (D(2026, 12, 5), Colour.blue),
        (D(2026, 12, 7), Colour.blue),
        (D(2026, 12, 8), Colour.yellow),
        (D(2026, 12, 10), Colour.yellow),
        (D(2026, 12, 11), Colour.red),
        (D(2027, 3, 1), Colour.red),
    ],
)
def test_report_deadline_ladder(today: dt.date, colour: Colour | None) -> None:
    assert report_deadline(DUE, today, False, DeadlineParams()).colour is colour
    assert report_deadline(DUE, today, True, DeadlineParams()).colour is None


def test_report_deadline_explains_itself() -> None:
    assert report_deadline(DUE, D(2026, 12, 11), False, DeadlineParams(version="2026-11")) == Evaluation(
        "report_deadline",
        Colour.red,
        {
            "version": "2026-11",
            "due_on": "2026-12-08",
            "today": "2026-12-11",
            "submitted": False,
            "days_to_due": -3,
            "blue_within_days": 3,
            "red_overdue_days": 3,
        },
    )


def test_no_blue_when_the_window_is_zero() -> None:
    assert report_deadline(DUE, D(2026, 12, 7), False, DeadlineParams(blue_within_days=0)).colour is None


@pytest.mark.parametrize(
    ("ytd", "colour"),
    [
        ("4.5", None),  # 45% done at 50% of the year: exactly 0.9 of 时序进度
        ("4.4999", Colour.yellow),
        ("3.5", Colour.yellow),  # exactly 0.7
        ("3.4999", Colour.red),
        ("0", Colour.red),
        ("12", None),
    ],
)
def test_investment_lag_by_months_is_exact_at_the_thresholds(ytd: str, colour: Colour | None) -> None:
    assert investment_lag(Decimal(ytd), Decimal(10), D(2026, 6, 30), MONTHS).colour is colour


def test_investment_lag_by_days_explains_itself() -> None:
    evaluation = investment_lag(Decimal("4.4"), Decimal(10), D(2026, 6, 30), LagParams())
    assert evaluation == Evaluation(
        "investment_lag",
        Colour.yellow,
        {
            "version": "1",
            "investment_ytd": "4.4",
            "annual_plan": "10",
            "as_of": "2026-06-30",
            "basis": "days",
            "time_share": "0.4959",  # 181/365
            "yellow_below": "0.9",
            "red_below": "0.7",
            "completion_rate": "0.4400",
            "relative_to_time_share": "0.8873",  # 0.44 × 365 / 181
        },
    )
    assert investment_lag(Decimal("4.5"), Decimal(10), D(2026, 6, 30), LagParams()).colour is None  # 0.9075
    assert investment_lag(Decimal("3.4"), Decimal(10), D(2026, 6, 30), LagParams()).colour is Colour.red  # 0.6856


def test_investment_lag_without_plan_or_elapsed_time_finds_nothing() -> None:
    no_plan = investment_lag(Decimal(1), Decimal(0), D(2026, 6, 30), LagParams())
    assert (no_plan.colour, no_plan.explanation["reason"]) == (None, "no_plan")
    january = investment_lag(Decimal(0), Decimal(10), D(2026, 1, 15), MONTHS)
    assert (january.colour, january.explanation["reason"]) == (None, "no_time_elapsed")


@given(
    st.decimals(min_value=0, max_value=100, places=4),
    st.decimals(min_value=0, max_value=100, places=4),
    st.decimals(min_value=Decimal("0.0001"), max_value=100, places=4),
    st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 12, 31)),
)
def test_more_investment_never_means_a_worse_colour(a: Decimal, b: Decimal, plan: Decimal, as_of: dt.date) -> None:
    low, high = sorted((a, b))
    worse = investment_lag(low, plan, as_of, LagParams()).colour
    better = investment_lag(high, plan, as_of, LagParams()).colour
    assert SEVERITY[better] <= SEVERITY[worse]


@pytest.mark.parametrize(
    ("size", "colour"),
    [("5", None), ("4.9999", Colour.yellow), ("4", Colour.yellow), ("3.9999", Colour.red)],
)
def test_pace_below_tier(size: str, colour: Colour | None) -> None:
    params = LagParams(yellow_below=Decimal(1), red_below=Decimal("0.8"), basis=ElapsedBasis.months)
    evaluation = pace_below_tier(Decimal(size), Tier.billion, D(2026, 6, 30), params)
    assert evaluation.colour is colour
    assert evaluation.explanation["threshold"] == "10"


def test_pace_defaults_to_full_pace_and_days() -> None:
    # 10亿 tier on 06-30: 181/365 of it is 4.9589亿.
    assert pace_below_tier(Decimal("4.959"), Tier.billion, D(2026, 6, 30)).colour is None
    assert pace_below_tier(Decimal("4.958"), Tier.billion, D(2026, 6, 30)).colour is Colour.yellow


def rounds(*items: tuple[ProjectStage, str]) -> list[RoundProgress]:
    return [RoundProgress(stage, Decimal(amount)) for stage, amount in items]


SIGNED = ProjectStage.signed
BUILDING = ProjectStage.under_construction


def test_rounds_without_movement() -> None:
    assert rounds_without_movement([]) == 0
    assert rounds_without_movement(rounds((SIGNED, "0"))) == 0
    assert rounds_without_movement(rounds((SIGNED, "0"), (SIGNED, "0"), (SIGNED, "0"))) == 2
    assert rounds_without_movement(rounds((SIGNED, "0"), (ProjectStage.started, "0"), (ProjectStage.started, "0"))) == 1
    flowing = rounds((BUILDING, "1"), (BUILDING, "0.5"), (BUILDING, "0"), (BUILDING, "0"))
    assert rounds_without_movement(flowing) == 2
    assert rounds_without_movement(flowing, investment_counts=False) == 3


def test_a_stage_unchanged_for_n_rounds_is_stalled() -> None:
    params = StallParams()
    four = rounds(*[(SIGNED, "0")] * 4)
    seven = rounds(*[(SIGNED, "0")] * 7)
    assert stalled_project(four[:3], None, D(2026, 6, 30), params).colour is None
    assert stalled_project(four, None, D(2026, 6, 30), params).colour is Colour.yellow
    assert stalled_project(seven[:6], None, D(2026, 6, 30), params).colour is Colour.yellow
    assert stalled_project(seven, None, D(2026, 6, 30), params).colour is Colour.red


def test_a_project_under_construction_with_money_flowing_is_not_stalled() -> None:
    flowing = rounds(*[(BUILDING, "0.3")] * 8)
    assert stalled_project(flowing, None, D(2026, 6, 30), StallParams()).colour is None
    literal = StallParams(investment_counts_as_progress=False)
    assert stalled_project(flowing, None, D(2026, 6, 30), literal).colour is Colour.red


def test_finished_projects_never_stall() -> None:
    done = rounds(*[(ProjectStage.completed, "0")] * 10)
    evaluation = stalled_project(done, D(2020, 1, 1), D(2026, 6, 30), StallParams())
    assert (evaluation.colour, evaluation.explanation["reason"]) == (None, "finished")


@pytest.mark.parametrize(
    ("as_of", "colour", "months"),
    [
        (D(2026, 7, 30), None, 5),
        (D(2026, 7, 31), Colour.yellow, 6),
        (D(2027, 1, 30), Colour.yellow, 11),
        (D(2027, 1, 31), Colour.red, 12),
    ],
)
def test_not_started_months_after_signing(as_of: dt.date, colour: Colour | None, months: int) -> None:
    evaluation = stalled_project(rounds((SIGNED, "0")), D(2026, 1, 31), as_of, StallParams())
    assert evaluation.colour is colour
    assert evaluation.explanation["months_since_signing"] == months


def test_the_worse_of_the_two_stall_signals_wins_and_both_are_explained() -> None:
    evaluation = stalled_project(rounds(*[(SIGNED, "0")] * 4), D(2025, 1, 1), D(2026, 6, 30), StallParams())
    assert evaluation == Evaluation(
        "stalled_project",
        Colour.red,
        {
            "version": "1",
            "stage": "signed",
            "as_of": "2026-06-30",
            "yellow_rounds": 3,
            "red_rounds": 6,
            "yellow_months": 6,
            "red_months": 12,
            "investment_counts_as_progress": True,
            "rounds_without_movement": 3,
            "signed_on": "2025-01-01",
            "months_since_signing": 17,
        },
    )


def test_a_started_project_is_not_judged_by_months_since_signing() -> None:
    evaluation = stalled_project(rounds((ProjectStage.started, "1")), D(2020, 1, 1), D(2026, 6, 30), StallParams())
    assert evaluation.colour is None
    assert "months_since_signing" not in evaluation.explanation
    unreported = stalled_project([], D(2025, 1, 1), D(2026, 6, 30), StallParams())
    assert unreported.colour is Colour.red


@pytest.mark.parametrize(
    ("kind", "level", "tier", "size", "reached", "suggested"),
    [
        (EntityKind.enterprise, Level.county, Tier.billion, "150", "ten_billion", ("city", "ten_billion")),
        (EntityKind.enterprise, Level.county, Tier.billion, "1500", "hundred_billion", ("province", "hundred_billion")),
        (EntityKind.enterprise, Level.county, Tier.billion, "600", "fifty_billion", ("province", "fifty_billion")),
        (
            EntityKind.enterprise,
            Level.province,
            Tier.fifty_billion,
            "850",
            "eighty_billion",
            ("province", "eighty_billion"),
        ),
        (EntityKind.project, Level.county, Tier.hundred_million, "12", "billion", ("city", "billion")),
        (
            EntityKind.industry,
            Level.city,
            Tier.hundred_billion,
            "5000",
            "five_hundred_billion",
            ("province", "five_hundred_billion"),
        ),
    ],
)
def test_promotion_candidates_are_blue(
    kind: EntityKind, level: Level, tier: Tier, size: str, reached: str, suggested: tuple[str, str]
) -> None:
    evaluation = promotion_candidate(kind, level, tier, Decimal(size))
    assert evaluation.colour is Colour.blue
    assert evaluation.explanation["tier_reached"] == reached
    assert (evaluation.explanation["suggested_level"], evaluation.explanation["suggested_tier"]) == suggested


@pytest.mark.parametrize(
    ("kind", "level", "tier", "size"),
    [
        (EntityKind.enterprise, Level.county, Tier.billion, "99.9999"),
        (EntityKind.industry, Level.county, Tier.ten_billion, "500"),  # no industry tier between 100 and 1000
        (EntityKind.enterprise, Level.county, Tier.billion, "5"),
    ],
)
def test_no_promotion_below_the_next_tier(kind: EntityKind, level: Level, tier: Tier, size: str) -> None:
    evaluation = promotion_candidate(kind, level, tier, Decimal(size))
    assert evaluation.colour is None
    assert "suggested_level" not in evaluation.explanation


@pytest.mark.parametrize(
    ("today", "colour"),
    [
        (D(2026, 12, 1), None),
        (D(2026, 12, 2), Colour.yellow),
        (D(2026, 12, 5), Colour.yellow),
        (D(2026, 12, 6), Colour.red),
    ],
)
def test_problem_overdue(today: dt.date, colour: Colour | None) -> None:
    assert problem_overdue(D(2026, 12, 1), today, False, OverdueParams()).colour is colour
    assert problem_overdue(D(2026, 12, 1), today, True, OverdueParams()).colour is None


@pytest.mark.parametrize(
    ("today", "colour"),
    [
        (D(2026, 12, 3), None),
        (D(2026, 12, 4), Colour.yellow),
        (D(2026, 12, 7), Colour.yellow),
        (D(2026, 12, 8), Colour.red),
    ],
)
def test_circular_unsigned(today: dt.date, colour: Colour | None) -> None:
    evaluation = circular_unsigned(D(2026, 12, 1), today, False, SigningParams())
    assert evaluation.colour is colour
    assert evaluation.explanation["days_unsigned"] == (today - D(2026, 12, 1)).days
    assert circular_unsigned(D(2026, 12, 1), today, True, SigningParams()).colour is None


COLOURS: list[Colour | None] = [None, Colour.blue, Colour.yellow, Colour.red]
# Rows: the current colour; columns: the new evaluation, in COLOURS order.
RECOVERY = {
    None: [None, Colour.blue, Colour.yellow, Colour.red],
    Colour.blue: [None, Colour.blue, Colour.yellow, Colour.red],
    Colour.yellow: [None, Colour.blue, Colour.yellow, Colour.red],
    Colour.red: [Colour.yellow, Colour.red, Colour.red, Colour.red],
}


@pytest.mark.parametrize("current", COLOURS)
def test_recovery_table(current: Colour | None) -> None:
    assert [next_colour(current, evaluated) for evaluated in COLOURS] == RECOVERY[current]


def test_red_is_yellow_when_caught_up_then_resolved() -> None:
    colour: Colour | None = None
    history = []
    for evaluated in [Colour.yellow, Colour.red, Colour.yellow, None, None, None]:
        colour = next_colour(colour, evaluated)
        history.append(colour)
    assert history == [Colour.yellow, Colour.red, Colour.red, Colour.yellow, None, None]


@pytest.mark.parametrize(
    "build",
    [
        lambda: LagParams(yellow_below=Decimal("0.5"), red_below=Decimal("0.7")),
        lambda: LagParams(red_below=Decimal("-0.1"), yellow_below=Decimal("0.5")),
        lambda: DeadlineParams(red_overdue_days=0),
        lambda: DeadlineParams(blue_within_days=-1),
        lambda: StallParams(red_rounds=2),
        lambda: StallParams(yellow_months=0),
        lambda: OverdueParams(yellow_overdue_days=0),
        lambda: OverdueParams(red_overdue_days=0),
        lambda: SigningParams(yellow_after_days=5, red_after_days=4),
    ],
)
def test_contradictory_parameters_are_refused(build: object) -> None:
    with pytest.raises(ParametersInvalid) as caught:
        build()  # type: ignore[operator]
    assert caught.value.code == "rule_parameters_invalid"


@given(st.dates(min_value=D(2026, 1, 1), max_value=D(2027, 12, 31)), st.integers(0, 30))
def test_an_unsubmitted_report_only_gets_worse_as_days_pass(today: dt.date, later: int) -> None:
    first = report_deadline(DUE, today, False, DeadlineParams()).colour
    second = report_deadline(DUE, today + dt.timedelta(days=later), False, DeadlineParams()).colour
    assert SEVERITY[first] <= SEVERITY[second]
