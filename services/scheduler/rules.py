"""Supervision rules (督促督办): the reference semantics of every finding the scheduler raises.

The service evaluates these set-wise in SQL; its tests compare that SQL against these functions, so
each rule is stated here exactly. A rule takes its inputs and a versioned parameter object and
returns an `Evaluation`: a colour (blue < yellow < red) or None, and an `explanation` holding the
inputs, the thresholds and the version that produced it (JSON scalars: dates ISO, amounts and
ratios as decimal strings, ratios shown to 4 places but compared exactly).

Days are calendar days between two dates (`today` being the local date in the plan's zone):
deadlines themselves are already placed on working days when they are set, so lateness is a
plain subtraction the SQL can do too.

    report_deadline     unsubmitted report: blue from `blue_within_days` before the due date,
                        yellow from the due date itself, red once `red_overdue_days` or more late
    investment_lag      investment completed YTD / annual plan, against 时序进度 (the share of the
                        year elapsed on `as_of`): yellow below `yellow_below` × 时序进度, red below
                        `red_below` × 时序进度; no finding without a positive plan
    stalled_project     `rounds` or more consecutive rounds without movement (yellow at
                        `yellow_rounds`, red at `red_rounds`), or not started `yellow_months` /
                        `red_months` full months after signing; the worse of the two
    pace_below_tier     size YTD against the target tier's threshold × 时序进度, same ladder as
                        investment_lag (industries and enterprises: their tier is annual revenue)
    promotion_candidate blue when the size reaches a tier above the target tier on its kind's ladder,
                        with the level and tier it suggests
    problem_overdue     unresolved problem: yellow `yellow_overdue_days` after its due date, red at
                        `red_overdue_days`
    circular_unsigned   circular not signed for: yellow after `yellow_after_days`, red after
                        `red_after_days` since it was issued

时序进度 (`elapsed_share`): by days, day-of-year of `as_of` / days in that year (06-30 is
181/365); by months, the months completed on `as_of` / 12 (a month counts once its last day is
reached, so 06-30 is 6/12 and 06-29 is 5/12). Days is the default: it also serves weekly rounds.

A round without movement is one whose stage equals the previous round's and, unless
`investment_counts_as_progress` is off, whose investment completed in the period is zero: a
project under construction reports the same stage for years while money flows into it, and that
is not a stall. Finished projects (completed, in operation) never stall. Full months after signing
count as PostgreSQL's `signed_on + interval 'n months' <= as_of` does (01-31 plus one month is 02-28).

Recovery (`next_colour`, for the measured rules investment_lag, stalled_project, pace_below_tier):
a worse evaluation takes effect at once; red steps down only when fully caught up (an evaluation of
None), and then to yellow, resolving at the next evaluation still caught up; yellow and blue follow
the evaluation. Deadline rules (report_deadline, problem_overdue, circular_unsigned) end when the
report is submitted, the problem resolved or the circular signed.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from services.scheduler.errors import ParametersInvalid
from services.scheduler.periods import last_day_of_month
from shared.schemas.enums import TIER_THRESHOLD_YI, EntityKind, LabelledEnum, Level, ProjectStage, Tier
from shared.tiers import LEVEL_ORDER, allowed_tiers, tier_reached

Scalar = str | int | bool | None
Explanation = dict[str, Scalar]


class Colour(LabelledEnum):
    blue = "blue", "蓝色提示"
    yellow = "yellow", "黄色预警"
    red = "red", "红色预警"


SEVERITY: Mapping[Colour | None, int] = {None: 0, Colour.blue: 1, Colour.yellow: 2, Colour.red: 3}


class ElapsedBasis(StrEnum):
    days = "days"
    months = "months"


@dataclass(frozen=True, slots=True)
class Evaluation:
    rule: str
    colour: Colour | None
    explanation: Explanation


def _invalid(field: str, message: str) -> ParametersInvalid:
    return ParametersInvalid(field, "rule_parameters_invalid", message)


def _check_ladder(low: int | Decimal, high: int | Decimal, low_name: str, high_name: str) -> None:
    if low < 0 or high < low:
        raise _invalid(high_name, f"须满足 0 ≤ {low_name} ≤ {high_name}")


def _ratio(value: Fraction) -> str:
    shown = Decimal(value.numerator) / Decimal(value.denominator)
    return str(shown.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def elapsed_share(as_of: dt.date, basis: ElapsedBasis = ElapsedBasis.days) -> Fraction:
    """时序进度 on `as_of`: the share of its year elapsed, exactly."""
    if basis is ElapsedBasis.days:
        days_in_year = (dt.date(as_of.year + 1, 1, 1) - dt.date(as_of.year, 1, 1)).days
        return Fraction(as_of.timetuple().tm_yday, days_in_year)
    completed = as_of.month if as_of == last_day_of_month(as_of.year, as_of.month) else as_of.month - 1
    return Fraction(completed, 12)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole months, clamped to the month's last day (as PostgreSQL's interval arithmetic)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = last_day_of_month(year, month + 1)
    return last if day.day > last.day else last.replace(day=day.day)


def full_months_between(start: dt.date, end: dt.date) -> int:
    """The largest n ≥ 0 with add_months(start, n) <= end (0 when end precedes start)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def next_colour(current: Colour | None, evaluated: Colour | None) -> Colour | None:
    """A measured finding's colour after a new evaluation (the recovery rule in the module docstring)."""
    if SEVERITY[evaluated] >= SEVERITY[current]:
        return evaluated
    if current is Colour.red:
        return Colour.yellow if evaluated is None else Colour.red
    return evaluated


@dataclass(frozen=True, slots=True)
class DeadlineParams:
    version: str = "1"
    blue_within_days: int = 3
    red_overdue_days: int = 3

    def __post_init__(self) -> None:
        if self.blue_within_days < 0:
            raise _invalid("blue_within_days", "蓝色提示的提前天数不能为负数")
        if self.red_overdue_days < 1:
            raise _invalid("red_overdue_days", "红色预警的逾期天数须至少为 1")


def report_deadline(due_on: dt.date, today: dt.date, submitted: bool, params: DeadlineParams) -> Evaluation:
    days_to_due = (due_on - today).days
    colour: Colour | None = None
    if submitted:
        colour = None
    elif days_to_due <= -params.red_overdue_days:
        colour = Colour.red
    elif days_to_due <= 0:
        colour = Colour.yellow
    elif days_to_due <= params.blue_within_days:
        colour = Colour.blue
    return Evaluation(
        "report_deadline",
        colour,
        {
            "version": params.version,
            "due_on": due_on.isoformat(),
            "today": today.isoformat(),
            "submitted": submitted,
            "days_to_due": days_to_due,
            "blue_within_days": params.blue_within_days,
            "red_overdue_days": params.red_overdue_days,
        },
    )


@dataclass(frozen=True, slots=True)
class LagParams:
    """Thresholds as fractions of 时序进度 for investment_lag and pace_below_tier."""

    version: str = "1"
    yellow_below: Decimal = Decimal("0.9")
    red_below: Decimal = Decimal("0.7")
    basis: ElapsedBasis = ElapsedBasis.days

    def __post_init__(self) -> None:
        _check_ladder(self.red_below, self.yellow_below, "red_below", "yellow_below")


PACE_PARAMS = LagParams(yellow_below=Decimal(1), red_below=Decimal("0.8"))


def _lag(
    rule: str, actual: Decimal, full_year: Decimal, as_of: dt.date, params: LagParams, inputs: Explanation
) -> Evaluation:
    share = elapsed_share(as_of, params.basis)
    explanation: Explanation = {
        "version": params.version,
        **inputs,
        "as_of": as_of.isoformat(),
        "basis": params.basis.value,
        "time_share": _ratio(share),
        "yellow_below": str(params.yellow_below),
        "red_below": str(params.red_below),
    }
    if full_year <= 0 or share == 0:
        explanation["reason"] = "no_plan" if full_year <= 0 else "no_time_elapsed"
        return Evaluation(rule, None, explanation)
    relative = Fraction(actual) / Fraction(full_year) / share
    explanation["completion_rate"] = _ratio(Fraction(actual) / Fraction(full_year))
    explanation["relative_to_time_share"] = _ratio(relative)
    colour: Colour | None = None
    if relative < Fraction(params.red_below):
        colour = Colour.red
    elif relative < Fraction(params.yellow_below):
        colour = Colour.yellow
    return Evaluation(rule, colour, explanation)


def investment_lag(ytd: Decimal, annual_plan: Decimal, as_of: dt.date, params: LagParams) -> Evaluation:
    """Investment completed YTD against the annual plan, measured against 时序进度 on `as_of`."""
    inputs: Explanation = {"investment_ytd": str(ytd), "annual_plan": str(annual_plan)}
    return _lag("investment_lag", ytd, annual_plan, as_of, params, inputs)


def pace_below_tier(size_ytd: Decimal, tier: Tier, as_of: dt.date, params: LagParams = PACE_PARAMS) -> Evaluation:
    """Revenue or output YTD against the target tier's annual threshold, measured against 时序进度."""
    threshold = TIER_THRESHOLD_YI[tier]
    inputs: Explanation = {"size_ytd": str(size_ytd), "tier": tier.value, "threshold": str(threshold)}
    return _lag("pace_below_tier", size_ytd, threshold, as_of, params, inputs)


@dataclass(frozen=True, slots=True)
class RoundProgress:
    stage: ProjectStage
    investment_period: Decimal


@dataclass(frozen=True, slots=True)
class StallParams:
    version: str = "1"
    yellow_rounds: int = 3
    red_rounds: int = 6
    yellow_months: int = 6
    red_months: int = 12
    investment_counts_as_progress: bool = True

    def __post_init__(self) -> None:
        if self.yellow_rounds < 1 or self.yellow_months < 1:
            raise _invalid("yellow_rounds", "黄色预警的轮次和月数须至少为 1")
        _check_ladder(self.yellow_rounds, self.red_rounds, "yellow_rounds", "red_rounds")
        _check_ladder(self.yellow_months, self.red_months, "yellow_months", "red_months")


_FINISHED = frozenset({ProjectStage.completed, ProjectStage.in_operation})
_NOT_STARTED = frozenset({ProjectStage.planning, ProjectStage.signed})


def _ladder(value: int, yellow: int, red: int) -> Colour | None:
    return Colour.red if value >= red else Colour.yellow if value >= yellow else None


def rounds_without_movement(rounds: Sequence[RoundProgress], investment_counts: bool = True) -> int:
    """Consecutive latest rounds whose stage equals the round before's (and, if counted, with no investment)."""
    count = 0
    for before, after in reversed(list(itertools.pairwise(rounds))):
        if after.stage is not before.stage or (investment_counts and after.investment_period > 0):
            break
        count += 1
    return count


def stalled_project(
    rounds: Sequence[RoundProgress], signed_on: dt.date | None, as_of: dt.date, params: StallParams
) -> Evaluation:
    """`rounds` are the project's accepted reports, oldest first, one per round."""
    stage = rounds[-1].stage if rounds else None
    explanation: Explanation = {
        "version": params.version,
        "stage": stage.value if stage is not None else None,
        "as_of": as_of.isoformat(),
        "yellow_rounds": params.yellow_rounds,
        "red_rounds": params.red_rounds,
        "yellow_months": params.yellow_months,
        "red_months": params.red_months,
        "investment_counts_as_progress": params.investment_counts_as_progress,
    }
    if stage in _FINISHED:
        explanation["reason"] = "finished"
        return Evaluation("stalled_project", None, explanation)
    still = rounds_without_movement(rounds, params.investment_counts_as_progress)
    by_rounds = _ladder(still, params.yellow_rounds, params.red_rounds)
    explanation["rounds_without_movement"] = still
    by_months: Colour | None = None
    if signed_on is not None and (stage is None or stage in _NOT_STARTED):
        months = full_months_between(signed_on, as_of)
        by_months = _ladder(months, params.yellow_months, params.red_months)
        explanation["signed_on"] = signed_on.isoformat()
        explanation["months_since_signing"] = months
    colour = max(by_rounds, by_months, key=SEVERITY.__getitem__)
    return Evaluation("stalled_project", colour, explanation)


@dataclass(frozen=True, slots=True)
class PromotionParams:
    version: str = "1"


def promotion_candidate(
    kind: EntityKind, level: Level, tier: Tier, size: Decimal, params: PromotionParams = PromotionParams()
) -> Evaluation:
    """Blue when `size` (annual revenue or output; a project's total investment) reaches a tier above `tier`.

    `suggested_level` is the highest level one of whose allowed tiers (programme tier or echelon)
    the size reaches, when that is above the entity's level (a promotion); otherwise the level stays
    (a retier). `suggested_tier` is the highest tier reached among those the suggested level allows.
    """
    reached = tier_reached(size, kind)
    explanation: Explanation = {
        "version": params.version,
        "kind": kind.value,
        "level": level.value,
        "tier": tier.value,
        "size": str(size),
        "threshold": str(TIER_THRESHOLD_YI[tier]),
        "tier_reached": reached.value if reached is not None else None,
    }
    if reached is None or TIER_THRESHOLD_YI[reached] <= TIER_THRESHOLD_YI[tier]:
        return Evaluation("promotion_candidate", None, explanation)
    reachable = {lv: [t for t in allowed_tiers(kind, lv) if size >= TIER_THRESHOLD_YI[t]] for lv in Level}
    highest = max((lv for lv, tiers in reachable.items() if tiers), key=LEVEL_ORDER.__getitem__, default=level)
    suggested = highest if LEVEL_ORDER[highest] > LEVEL_ORDER[level] else level
    suggested_tier = max(reachable[suggested] or [reached], key=TIER_THRESHOLD_YI.__getitem__)
    explanation["suggested_level"] = suggested.value
    explanation["suggested_tier"] = suggested_tier.value
    return Evaluation("promotion_candidate", Colour.blue, explanation)


@dataclass(frozen=True, slots=True)
class OverdueParams:
    version: str = "1"
    yellow_overdue_days: int = 1
    red_overdue_days: int = 5

    def __post_init__(self) -> None:
        if self.yellow_overdue_days < 1:
            raise _invalid("yellow_overdue_days", "黄色预警的逾期天数须至少为 1")
        _check_ladder(self.yellow_overdue_days, self.red_overdue_days, "yellow_overdue_days", "red_overdue_days")


def problem_overdue(due_on: dt.date, today: dt.date, resolved: bool, params: OverdueParams) -> Evaluation:
    """`resolved`: the problem is resolved or closed (销号)."""
    overdue = (today - due_on).days
    colour = None if resolved else _ladder(overdue, params.yellow_overdue_days, params.red_overdue_days)
    return Evaluation(
        "problem_overdue",
        colour,
        {
            "version": params.version,
            "due_on": due_on.isoformat(),
            "today": today.isoformat(),
            "resolved": resolved,
            "days_overdue": overdue,
            "yellow_overdue_days": params.yellow_overdue_days,
            "red_overdue_days": params.red_overdue_days,
        },
    )


@dataclass(frozen=True, slots=True)
class SigningParams:
    version: str = "1"
    yellow_after_days: int = 3
    red_after_days: int = 7

    def __post_init__(self) -> None:
        if self.yellow_after_days < 1:
            raise _invalid("yellow_after_days", "黄色预警的天数须至少为 1")
        _check_ladder(self.yellow_after_days, self.red_after_days, "yellow_after_days", "red_after_days")


def circular_unsigned(issued_on: dt.date, today: dt.date, signed: bool, params: SigningParams) -> Evaluation:
    unsigned_days = (today - issued_on).days
    colour = None if signed else _ladder(unsigned_days, params.yellow_after_days, params.red_after_days)
    return Evaluation(
        "circular_unsigned",
        colour,
        {
            "version": params.version,
            "issued_on": issued_on.isoformat(),
            "today": today.isoformat(),
            "signed": signed,
            "days_unsigned": unsigned_days,
            "yellow_after_days": params.yellow_after_days,
            "red_after_days": params.red_after_days,
        },
    )
