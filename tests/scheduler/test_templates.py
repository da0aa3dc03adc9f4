"""Report templates and submission validation: required figures, amounts, running totals, stage, totals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scheduler.errors import FieldError
from services.scheduler.templates import (
    TEMPLATES,
    FigureSpec,
    FigureType,
    ReportTemplate,
    get_template,
    latest_template,
    parse_figures,
    validate_submission,
)
from shared.schemas.enums import ApprovalState, EntityKind, ProjectStage

PROJECT = latest_template(EntityKind.project)
ENTERPRISE = latest_template(EntityKind.enterprise)
INDUSTRY = latest_template(EntityKind.industry)

NARRATIVE = {"progress": "主体结构封顶", "next_steps": "设备安装"}
PROJECT_FIGURES: dict[str, object] = {
    "investment_period": "1.2",
    "investment_ytd": Decimal("5.5"),
    "investment_cumulative": "12.25",
    "stage": "under_construction",
    "approval_filing": "approved",
    "eia": ApprovalState.approved,
    "land": "in_progress",
    **NARRATIVE,
}
TOTAL = Decimal(20)


def codes(errors: list[FieldError]) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in errors]


def check_project(figures: dict[str, object], **kwargs: object) -> list[tuple[str, str]]:
    args: dict[str, object] = {"previous": None, "total_investment": TOTAL, "previous_stage": None, **kwargs}
    return codes(validate_submission(PROJECT, figures, **args))  # type: ignore[arg-type]


def test_a_complete_project_report_passes() -> None:
    assert check_project(PROJECT_FIGURES, previous_stage=ProjectStage.started) == []


def test_every_kind_has_version_1_and_figure_names_are_unique() -> None:
    assert sorted((k.value, v) for k, v in TEMPLATES) == [("enterprise", 1), ("industry", 1), ("project", 1)]
    assert get_template(EntityKind.project, 1) is PROJECT
    assert get_template(EntityKind.project, 99) is None
    for template in TEMPLATES.values():
        names = [f.name for f in template.figures]
        assert len(names) == len(set(names))
    assert [f.name for f in PROJECT.figures if f.type is FigureType.approval] == ["approval_filing", "eia", "land"]


def test_a_template_must_name_its_own_figures() -> None:
    with pytest.raises(ValueError, match="unknown figures"):
        ReportTemplate(EntityKind.project, 2, (FigureSpec("a", "甲", FigureType.amount),), one_of=(("a", "b"),))
    with pytest.raises(ValueError, match="duplicate"):
        ReportTemplate(EntityKind.project, 2, (FigureSpec("a", "甲", FigureType.amount),) * 2)


def test_missing_required_figures_are_all_reported_in_template_order() -> None:
    assert check_project({}) == [
        ("investment_period", "figure_required"),
        ("investment_ytd", "figure_required"),
        ("stage", "figure_required"),
        ("approval_filing", "figure_required"),
        ("eia", "figure_required"),
        ("land", "figure_required"),
        ("progress", "figure_required"),
        ("next_steps", "figure_required"),
    ]


def test_messages_are_chinese_and_name_the_figure() -> None:
    [error] = validate_submission(PROJECT, {**PROJECT_FIGURES, "investment_ytd": None}, None, TOTAL, None)
    assert error == FieldError("investment_ytd", "figure_required", "本年累计完成投资（亿元）为必填项")


def test_blank_text_counts_as_missing() -> None:
    assert check_project({**PROJECT_FIGURES, "progress": "   "}) == [("progress", "figure_required")]


def test_industries_and_enterprises_need_revenue_or_output() -> None:
    assert codes(validate_submission(INDUSTRY, NARRATIVE, None, None, None)) == [
        ("revenue_ytd", "figure_one_of_required")
    ]
    assert codes(validate_submission(INDUSTRY, {**NARRATIVE, "output_ytd": "30"}, None, None, None)) == []
    assert codes(validate_submission(ENTERPRISE, {**NARRATIVE, "revenue_ytd": "8.1234"}, None, None, None)) == []
    [error] = validate_submission(ENTERPRISE, NARRATIVE, None, None, None)
    assert error.message == "须填报营业收入（本年累计，亿元）或产值（本年累计，亿元）"


def test_a_malformed_one_of_figure_is_reported_once() -> None:
    assert codes(validate_submission(ENTERPRISE, {**NARRATIVE, "revenue_ytd": "-1"}, None, None, None)) == [
        ("revenue_ytd", "amount_negative")
    ]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("-0.5", "amount_negative"),
        ("1.23456", "amount_too_precise"),
        (Decimal("0.00001"), "amount_too_precise"),
        (1.5, "amount_invalid"),
        (True, "amount_invalid"),
        ("abc", "amount_invalid"),
        ("1,000", "amount_invalid"),
        ("NaN", "amount_invalid"),
        (Decimal("Infinity"), "amount_invalid"),
        (Decimal("1E12"), "amount_too_large"),
    ],
)
def test_amount_format_errors(raw: object, code: str) -> None:
    assert check_project({**PROJECT_FIGURES, "investment_period": raw}) == [("investment_period", code)]


@pytest.mark.parametrize("raw", ["1.23450", " 1.2 ", 1, Decimal("999999999999.9999"), "0"])
def test_amounts_accepted(raw: object) -> None:
    figures = {**PROJECT_FIGURES, "investment_period": raw, "investment_ytd": "999999999999.9999"}
    figures["investment_cumulative"] = "999999999999.9999"
    assert check_project(figures, total_investment=None) == []


def test_parse_figures_normalises() -> None:
    parsed = parse_figures(PROJECT, {**PROJECT_FIGURES, "investment_period": "-0.00", "progress": "  已开工  "})
    assert parsed.errors == []
    assert parsed.values["investment_period"] == Decimal(0)
    assert str(parsed.values["investment_period"]) == "0.00"
    assert parsed.values["investment_ytd"] == Decimal("5.5")
    assert parsed.values["progress"] == "已开工"
    assert parsed.values["stage"] is ProjectStage.under_construction
    assert parsed.values["land"] is ApprovalState.in_progress
    assert "difficulties" not in parsed.values


def test_other_format_errors() -> None:
    figures = {**PROJECT_FIGURES, "stage": "done", "eia": "ok", "difficulties": 3, "coordination": "字" * 2001}
    assert check_project({**figures, "surprise": "1"}) == [
        ("stage", "stage_invalid"),
        ("eia", "approval_state_invalid"),
        ("difficulties", "text_invalid"),
        ("coordination", "text_too_long"),
        ("surprise", "figure_unknown"),
    ]


def test_a_period_cannot_exceed_the_year_nor_the_year_the_cumulative() -> None:
    assert check_project({**PROJECT_FIGURES, "investment_period": "6"}) == [("investment_period", "amount_exceeds")]
    assert check_project({**PROJECT_FIGURES, "investment_cumulative": "5"}) == [("investment_ytd", "amount_exceeds")]
    assert check_project({**PROJECT_FIGURES, "investment_period": "5.5"}) == []


def test_a_running_total_may_not_decrease_within_the_year_without_a_correction_reason() -> None:
    previous = {**PROJECT_FIGURES, "investment_ytd": "6", "investment_cumulative": "12.25"}
    assert check_project(PROJECT_FIGURES, previous=previous) == [("investment_ytd", "running_total_decreased")]
    with_reason = {**PROJECT_FIGURES, "correction_reason": "上月误报，已按统计口径更正"}
    assert check_project(with_reason, previous=previous) == []
    blank_reason = {**PROJECT_FIGURES, "correction_reason": "  "}
    assert check_project(blank_reason, previous=previous) == [("investment_ytd", "running_total_decreased")]
    assert check_project(PROJECT_FIGURES, previous={"investment_ytd": "5.5"}) == []


def test_decreasing_revenue_ytd_is_flagged_with_both_figures() -> None:
    [error] = validate_submission(
        ENTERPRISE, {**NARRATIVE, "revenue_ytd": "8"}, {"revenue_ytd": "9.5", "output_ytd": "1"}, None, None
    )
    assert error == FieldError(
        "revenue_ytd",
        "running_total_decreased",
        "营业收入（本年累计，亿元）（8）低于本年上次审核通过的数值（9.5）；如确需更正，请填写更正说明",
    )


def test_the_stage_may_not_move_back_without_a_reason() -> None:
    figures = {**PROJECT_FIGURES, "stage": "started"}
    assert check_project(figures, previous_stage=ProjectStage.under_construction) == [("stage", "stage_moved_back")]
    # A reason for something else does not excuse it.
    assert check_project({**figures, "correction_reason": "更正"}, previous_stage=ProjectStage.under_construction) == [
        ("stage", "stage_moved_back")
    ]
    assert check_project({**figures, "stage_reason": "停工后重新开工"}, previous_stage=ProjectStage.completed) == []
    assert check_project(figures, previous_stage=ProjectStage.started) == []


def test_investment_above_the_total_needs_a_reason() -> None:
    over = {**PROJECT_FIGURES, "investment_ytd": "10", "investment_cumulative": "20.0001"}
    assert check_project(over) == [("investment_cumulative", "investment_exceeds_total")]
    both = {**over, "investment_ytd": "20.5", "investment_cumulative": "21"}
    assert check_project(both) == [
        ("investment_ytd", "investment_exceeds_total"),
        ("investment_cumulative", "investment_exceeds_total"),
    ]
    assert check_project({**both, "overrun_reason": "追加建设内容，总投资调整待批"}) == []
    assert check_project({**PROJECT_FIGURES, "investment_cumulative": "20"}) == []


def test_enterprise_reports_cannot_carry_project_reasons() -> None:
    figures = {**NARRATIVE, "revenue_ytd": "1", "stage_reason": "x"}
    assert codes(validate_submission(ENTERPRISE, figures, None, None, None)) == [("stage_reason", "figure_unknown")]


@given(st.decimals(min_value=0, max_value=Decimal("999999999999.9999"), places=4, allow_nan=False))
def test_any_non_negative_amount_with_four_places_is_accepted(value: Decimal) -> None:
    parsed = parse_figures(ENTERPRISE, {**NARRATIVE, "revenue_ytd": str(value)})
    assert parsed.errors == []
    assert parsed.values["revenue_ytd"] == value


@given(
    st.decimals(min_value=0, max_value=Decimal(10) ** 6, places=4, allow_nan=False),
    st.integers(min_value=1, max_value=9),
)
def test_a_fifth_decimal_is_refused(value: Decimal, digit: int) -> None:
    raw = value + Decimal(digit).scaleb(-5)
    assert codes(parse_figures(ENTERPRISE, {**NARRATIVE, "revenue_ytd": raw}).errors) == [
        ("revenue_ytd", "amount_too_precise")
    ]
