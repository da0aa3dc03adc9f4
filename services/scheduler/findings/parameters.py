"""Rule parameters as stored (`supervision_rule.parameters`, JSON) turned into the domain core's objects.

Each constructor checks its parameters (`ParametersInvalid`), so a bad row fails loudly where it is
read rather than producing findings on nonsense thresholds. The row's `version` becomes the
parameters' `version`, which every explanation carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.scheduler.escalation import CoordinationLevel, EscalationParams
from services.scheduler.rules import (
    DeadlineParams,
    ElapsedBasis,
    LagParams,
    OverdueParams,
    PromotionParams,
    SigningParams,
    StallParams,
)

REPORT_DEADLINE = "report_deadline"
INVESTMENT_LAG = "investment_lag"
STALLED_PROJECT = "stalled_project"
PACE_BELOW_TIER = "pace_below_tier"
PROMOTION_CANDIDATE = "promotion_candidate"
PROBLEM_OVERDUE = "problem_overdue"
CIRCULAR_UNSIGNED = "circular_unsigned"
PROBLEM_ESCALATION = "problem_escalation"
SWEPT_RULES = (
    REPORT_DEADLINE,
    INVESTMENT_LAG,
    STALLED_PROJECT,
    PACE_BELOW_TIER,
    PROMOTION_CANDIDATE,
    PROBLEM_OVERDUE,
    CIRCULAR_UNSIGNED,
)
# Measured rules recover by `rules.next_colour`; the others follow the evaluation: deadline rules end
# when their deadline is met, a promotion candidate when its size no longer reaches a higher tier.
MEASURED_RULES = frozenset({INVESTMENT_LAG, STALLED_PROJECT, PACE_BELOW_TIER})


def deadline_params(version: int, p: Mapping[str, Any]) -> DeadlineParams:
    return DeadlineParams(
        version=str(version), blue_within_days=int(p["blue_within_days"]), red_overdue_days=int(p["red_overdue_days"])
    )


def lag_params(version: int, p: Mapping[str, Any]) -> LagParams:
    return LagParams(
        version=str(version),
        yellow_below=Decimal(str(p["yellow_below"])),
        red_below=Decimal(str(p["red_below"])),
        basis=ElapsedBasis(p.get("basis", "days")),
    )


def stall_params(version: int, p: Mapping[str, Any]) -> StallParams:
    return StallParams(
        version=str(version),
        yellow_rounds=int(p["yellow_rounds"]),
        red_rounds=int(p["red_rounds"]),
        yellow_months=int(p["yellow_months"]),
        red_months=int(p["red_months"]),
        investment_counts_as_progress=bool(p.get("investment_counts_as_progress", True)),
    )


def overdue_params(version: int, p: Mapping[str, Any]) -> OverdueParams:
    return OverdueParams(
        version=str(version),
        yellow_overdue_days=int(p["yellow_overdue_days"]),
        red_overdue_days=int(p["red_overdue_days"]),
    )


def promotion_params(version: int, p: Mapping[str, Any]) -> PromotionParams:
    return PromotionParams(version=str(version))


def signing_params(version: int, p: Mapping[str, Any]) -> SigningParams:
    return SigningParams(
        version=str(version),
        yellow_after_days=int(p["yellow_after_days"]),
        red_after_days=int(p["red_after_days"]),
    )


def escalation_params(version: int, p: Mapping[str, Any]) -> EscalationParams:
    days = {CoordinationLevel(level): int(n) for level, n in p["handling_working_days"].items()}
    return EscalationParams(version=str(version), overdue_days=int(p["overdue_days"]), handling_working_days=days)
