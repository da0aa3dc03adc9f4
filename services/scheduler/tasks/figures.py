"""From an accepted report to the registry's metrics: which figures are written, for which period.

    industry, enterprise   revenue_ytd -> revenue, output_ytd -> output
    project                investment_ytd -> investment_completed

A month's or quarter's value is the year-to-date figure recorded for the period's last month (a
year's as the annual value, month omitted). Each write carries the idempotency key
`scheduler:report:<round>:<entity>:<metric>`: delivered as often as the relay must, recorded once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.scheduler.periods import parse_period_key
from services.scheduler.templates import FigureValue
from shared.schemas.enums import EntityKind, MetricKind, MetricSource, ProjectStage
from shared.schemas.registry.actions.metrics import MetricCreate
from shared.schemas.scheduler.enums import PeriodKind

METRIC_FIGURES: dict[EntityKind, tuple[tuple[str, MetricKind], ...]] = {
    EntityKind.industry: (("revenue_ytd", MetricKind.revenue), ("output_ytd", MetricKind.output)),
    EntityKind.enterprise: (("revenue_ytd", MetricKind.revenue), ("output_ytd", MetricKind.output)),
    EntityKind.project: (("investment_ytd", MetricKind.investment_completed),),
}


def stored(values: Mapping[str, FigureValue]) -> dict[str, Any]:
    """Parsed figures as JSON: amounts as decimal strings, choices as their codes."""
    return {name: str(value) for name, value in values.items()}


def metric_writes(
    kind: EntityKind, entity_id: uuid.UUID, round_id: uuid.UUID, period_key: str, figures: Mapping[str, Any]
) -> list[tuple[str, MetricCreate]]:
    """(idempotency key, body) of each metric write an accepted report makes."""
    period = parse_period_key(period_key)
    month = None if period.kind is PeriodKind.year else period.end.month
    writes = []
    for figure, metric in METRIC_FIGURES[kind]:
        if figures.get(figure) is None:
            continue
        body = MetricCreate(
            entity_id=entity_id,
            metric=metric,
            year=period.end.year,
            month=month,
            value=Decimal(figures[figure]),
            source=MetricSource.report,
            source_ref=f"round:{round_id}",
        )
        writes.append((f"scheduler:report:{round_id}:{entity_id}:{metric.value}", body))
    return writes


def previous_stage(figures: Mapping[str, Any] | None, facts: Mapping[str, Any]) -> ProjectStage | None:
    """The stage a project's report is compared with: the last accepted report's, else the roster's."""
    raw = (figures or {}).get("stage") or facts.get("stage")
    return ProjectStage(raw) if raw in {s.value for s in ProjectStage} else None
