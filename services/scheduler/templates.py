"""Report templates: the figures a round asks of each kind of entity, and how a submission is checked.

A template is (kind, version) and never changes once published; a change is a new version, and a
report keeps the version it was filed against. Version 1 of each kind:

    industry, enterprise  revenue_ytd or output_ytd (at least one), year-to-date, 亿元
    project               investment_period (this period), investment_ytd, investment_cumulative
                          (optional), all 亿元; stage; approval_filing, eia, land (each an ApprovalState)
    every kind            progress and next_steps (required), difficulties 困难问题 and
                          coordination 需协调事项 (optional), text of at most 2000 characters;
                          correction_reason, and for projects stage_reason and overrun_reason

`validate_submission` returns every problem at once, each a `FieldError` with a stable snake_case
code and a Chinese message: presence and format in template order, then unknown figures, then
one-of groups, then the cross-field checks.

    figure_unknown            a figure the template does not have
    figure_required           a required figure absent, None or blank
    figure_one_of_required    none of a group such as revenue_ytd / output_ytd given
    amount_invalid            not a decimal number (floats are refused: they are not exact)
    amount_negative           below zero
    amount_too_precise        more than 4 decimals of 亿元
    amount_too_large          10¹² 亿元 or more (the registry stores numeric(16, 4))
    text_invalid / text_too_long
    stage_invalid / approval_state_invalid   not a ProjectStage / ApprovalState value
    amount_exceeds            investment_period above investment_ytd, or investment_ytd above
                              investment_cumulative: one includes the other
    running_total_decreased   a year-to-date or cumulative figure below the previously accepted
                              one of the same entity and year, unless `correction_reason` is given
    stage_moved_back          a stage before the previous accepted one, unless `stage_reason` is given
    investment_exceeds_total  investment_ytd or investment_cumulative above the project's total
                              investment, unless `overrun_reason` is given

A reason counts only when it is non-blank, and each excuses only its own check. Cross-field checks
run on the figures that parsed; a figure with a format error is not compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from services.scheduler.errors import FieldError
from shared.schemas.enums import ApprovalKind, ApprovalState, EntityKind, ProjectStage

AMOUNT_PLACES = 4
AMOUNT_LIMIT = Decimal(10) ** 12
TEXT_LIMIT = 2000
_QUANTUM = Decimal(1).scaleb(-AMOUNT_PLACES)
_STAGE_ORDER = {stage: index for index, stage in enumerate(ProjectStage)}

FigureValue = Decimal | str | ProjectStage | ApprovalState
_Choice = TypeVar("_Choice", ProjectStage, ApprovalState)


class FigureType(StrEnum):
    amount = "amount"
    text = "text"
    stage = "stage"
    approval = "approval"


@dataclass(frozen=True, slots=True)
class FigureSpec:
    name: str
    label: str
    type: FigureType
    required: bool = False
    running_total: bool = False  # year-to-date or cumulative: never decreases within a year
    within_total_investment: bool = False


@dataclass(frozen=True, slots=True)
class ReportTemplate:
    kind: EntityKind
    version: int
    figures: tuple[FigureSpec, ...]
    one_of: tuple[tuple[str, ...], ...] = ()  # each group: at least one of its figures given
    not_above: tuple[tuple[str, str], ...] = ()  # (part, whole): the first never above the second

    def __post_init__(self) -> None:
        names = [spec.name for spec in self.figures]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate figure names in {self.kind.value} v{self.version}")
        referenced = {name for group in self.one_of for name in group} | {n for pair in self.not_above for n in pair}
        if unknown := referenced - set(names):
            raise ValueError(f"{self.kind.value} v{self.version} refers to unknown figures {sorted(unknown)}")

    def figure(self, name: str) -> FigureSpec | None:
        return next((spec for spec in self.figures if spec.name == name), None)


@dataclass(frozen=True, slots=True)
class ParsedFigures:
    values: dict[str, FigureValue]
    errors: list[FieldError]


def _amount(name: str, label: str, **flags: bool) -> FigureSpec:
    return FigureSpec(name, label, FigureType.amount, **flags)


def _text(name: str, label: str, *, required: bool = False) -> FigureSpec:
    return FigureSpec(name, label, FigureType.text, required=required)


_NARRATIVE = (
    _text("progress", "进展情况", required=True),
    _text("difficulties", "困难问题"),
    _text("coordination", "需协调事项"),
    _text("next_steps", "下一步工作", required=True),
    _text("correction_reason", "更正说明"),
)


def _size_template(kind: EntityKind) -> ReportTemplate:
    return ReportTemplate(
        kind=kind,
        version=1,
        figures=(
            _amount("revenue_ytd", "营业收入（本年累计，亿元）", running_total=True),
            _amount("output_ytd", "产值（本年累计，亿元）", running_total=True),
            *_NARRATIVE,
        ),
        one_of=(("revenue_ytd", "output_ytd"),),
    )


_PROJECT_V1 = ReportTemplate(
    kind=EntityKind.project,
    version=1,
    figures=(
        _amount("investment_period", "本期完成投资（亿元）", required=True),
        _amount(
            "investment_ytd",
            "本年累计完成投资（亿元）",
            required=True,
            running_total=True,
            within_total_investment=True,
        ),
        _amount("investment_cumulative", "项目累计完成投资（亿元）", running_total=True, within_total_investment=True),
        FigureSpec("stage", "项目阶段", FigureType.stage, required=True),
        *(FigureSpec(kind.value, f"{kind.label}办理状态", FigureType.approval, required=True) for kind in ApprovalKind),
        *_NARRATIVE,
        _text("stage_reason", "阶段回退说明"),
        _text("overrun_reason", "完成投资超过总投资的说明"),
    ),
    not_above=(("investment_period", "investment_ytd"), ("investment_ytd", "investment_cumulative")),
)

TEMPLATES: Mapping[tuple[EntityKind, int], ReportTemplate] = MappingProxyType(
    {
        (t.kind, t.version): t
        for t in (_size_template(EntityKind.industry), _size_template(EntityKind.enterprise), _PROJECT_V1)
    }
)


def latest_template(kind: EntityKind) -> ReportTemplate:
    return max((t for (k, _), t in TEMPLATES.items() if k is kind), key=lambda t: t.version)


def get_template(kind: EntityKind, version: int) -> ReportTemplate | None:
    return TEMPLATES.get((kind, version))


def _parse_amount(spec: FigureSpec, raw: object) -> Decimal | FieldError:
    value: Decimal | None = None
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = Decimal(raw)
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            value = None
    if value is None or not value.is_finite():
        return FieldError(spec.name, "amount_invalid", f"{spec.label}须为十进制数字（以亿元计），不接受浮点数或文字")
    if value < 0:
        return FieldError(spec.name, "amount_negative", f"{spec.label}不能为负数")
    if value >= AMOUNT_LIMIT:
        return FieldError(spec.name, "amount_too_large", f"{spec.label}超出可记录的范围（须小于 10¹² 亿元）")
    # Trailing zeros are fine (1.50000 is 1.5); a fifth significant decimal is not.
    if value != value.quantize(_QUANTUM, rounding=ROUND_DOWN):
        return FieldError(spec.name, "amount_too_precise", f"{spec.label}最多保留 {AMOUNT_PLACES} 位小数（亿元）")
    return value.copy_abs() if value == 0 else value


def _parse(spec: FigureSpec, raw: object) -> FigureValue | FieldError:
    if spec.type is FigureType.amount:
        return _parse_amount(spec, raw)
    if spec.type is FigureType.text:
        if not isinstance(raw, str):
            return FieldError(spec.name, "text_invalid", f"{spec.label}须为文字")
        if len(raw.strip()) > TEXT_LIMIT:
            return FieldError(spec.name, "text_too_long", f"{spec.label}不能超过 {TEXT_LIMIT} 字")
        return raw.strip()
    if spec.type is FigureType.stage:
        return _parse_choice(spec, raw, ProjectStage, "stage_invalid")
    return _parse_choice(spec, raw, ApprovalState, "approval_state_invalid")


def _parse_choice(spec: FigureSpec, raw: object, choices: type[_Choice], code: str) -> _Choice | FieldError:
    if isinstance(raw, str) and raw in {c.value for c in choices}:
        return choices(raw)
    names = "、".join(f"{c.value}（{c.label}）" for c in choices)
    return FieldError(spec.name, code, f"{spec.label}只能是：{names}")


def parse_figures(template: ReportTemplate, figures: Mapping[str, object]) -> ParsedFigures:
    """Each figure parsed to its type (text stripped, blank text dropped), and the format errors."""
    values: dict[str, FigureValue] = {}
    errors: list[FieldError] = []
    for spec in template.figures:
        raw = figures.get(spec.name)
        parsed = None if raw is None else _parse(spec, raw)
        if isinstance(parsed, FieldError):
            errors.append(parsed)
        elif parsed is not None and parsed != "":
            values[spec.name] = parsed
        elif spec.required:
            errors.append(FieldError(spec.name, "figure_required", f"{spec.label}为必填项"))
    for name in sorted(set(figures) - {spec.name for spec in template.figures}):
        errors.append(FieldError(name, "figure_unknown", f"报表模板中没有该项：{name}"))
    for group in template.one_of:
        if not any(name in values for name in group) and not any(e.field in group for e in errors):
            labels = "或".join(_label(template, name) for name in group)
            errors.append(FieldError(group[0], "figure_one_of_required", f"须填报{labels}"))
    return ParsedFigures(values, errors)


def validate_submission(
    template: ReportTemplate,
    figures: Mapping[str, object],
    previous: Mapping[str, object] | None,
    total_investment: Decimal | None,
    previous_stage: ProjectStage | None,
) -> list[FieldError]:
    """Every problem of a submission against `template` (see the module docstring); [] when it is fine.

    `previous` is the last accepted report's figures for the same entity in the same year (None for
    the first of the year); `total_investment` and `previous_stage` apply to projects.
    """
    parsed = parse_figures(template, figures)
    values, errors = parsed.values, list(parsed.errors)
    prior = parse_figures(template, previous).values if previous is not None else {}

    def has_reason(name: str) -> bool:
        return isinstance(values.get(name), str)

    for part, whole in template.not_above:
        small, large = values.get(part), values.get(whole)
        if isinstance(small, Decimal) and isinstance(large, Decimal) and small > large:
            errors.append(
                FieldError(
                    part,
                    "amount_exceeds",
                    f"{_label(template, part)}（{small}）不能大于{_label(template, whole)}（{large}）",
                )
            )
    for spec in template.figures:
        value = values.get(spec.name)
        if not isinstance(value, Decimal):
            continue
        before = prior.get(spec.name)
        if (
            spec.running_total
            and isinstance(before, Decimal)
            and value < before
            and not has_reason("correction_reason")
        ):
            errors.append(
                FieldError(
                    spec.name,
                    "running_total_decreased",
                    f"{spec.label}（{value}）低于本年上次审核通过的数值（{before}）；如确需更正，请填写更正说明",
                )
            )
        if (
            spec.within_total_investment
            and total_investment is not None
            and value > total_investment
            and not has_reason("overrun_reason")
        ):
            errors.append(
                FieldError(
                    spec.name,
                    "investment_exceeds_total",
                    f"{spec.label}（{value}）超过项目总投资（{total_investment}）；如属实，请填写超总投资说明",
                )
            )
    stage = values.get("stage")
    if (
        isinstance(stage, ProjectStage)
        and previous_stage is not None
        and _STAGE_ORDER[stage] < _STAGE_ORDER[previous_stage]
        and not has_reason("stage_reason")
    ):
        errors.append(
            FieldError(
                "stage",
                "stage_moved_back",
                f"项目阶段由{previous_stage.label}回退为{stage.label}；如属实，请填写阶段回退说明",
            )
        )
    return errors


def _label(template: ReportTemplate, name: str) -> str:
    spec = template.figure(name)
    return spec.label if spec is not None else name
