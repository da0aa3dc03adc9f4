"""From an accepted report to the registry: which figures are written, for which period.

    industry, enterprise   revenue_ytd -> revenue, output_ytd -> output            (metrics)
    project                investment_ytd -> investment_completed                   (metrics)
                           stage, approval_filing / eia / land -> the project's stage and approvals

A month's or quarter's value is the year-to-date figure recorded for the period's last month (a
year's as the annual value, month omitted). Each metric write carries the idempotency key
`scheduler:report:<round>:<entity>:<metric>`: delivered as often as the relay must, recorded once.

A project's stage and approval states are not a new revision but a change to the project itself
(`PATCH` with `If-Match`), so the message (key `scheduler:report:<round>:<entity>:progress`) carries
what the report says, and delivering it compares that with the project as the registry has it then:
only the fields that differ are sent (`progress_update`), none when nothing does. A repeat after a
lost answer finds the project already so and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from services.scheduler.periods import parse_period_key
from services.scheduler.templates import FigureValue
from shared.schemas.enums import ApprovalKind, ApprovalState, EntityKind, MetricKind, MetricSource, ProjectStage
from shared.schemas.registry.actions.metrics import MetricCreate
from shared.schemas.registry.actions.projects import ApprovalWrite, ProjectProgressUpdate
from shared.schemas.registry.responses.entities import ProjectRead
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


class ProjectProgress(BaseModel):
    """What an accepted project report says of the project: the outbox payload of a progress write."""

    project_id: uuid.UUID
    period_key: str
    stage: ProjectStage | None = None
    approvals: dict[ApprovalKind, ApprovalState] = {}


def progress_write(
    kind: EntityKind, entity_id: uuid.UUID, round_id: uuid.UUID, period_key: str, figures: Mapping[str, Any]
) -> tuple[str, ProjectProgress] | None:
    """(idempotency key, payload) of the project write an accepted report makes; None for other kinds
    and for a report that names neither stage nor approval state."""
    if kind is not EntityKind.project:
        return None
    stage = figures.get("stage")
    approvals = {k: ApprovalState(figures[k.value]) for k in ApprovalKind if figures.get(k.value) is not None}
    if stage is None and not approvals:
        return None
    progress = ProjectProgress(
        project_id=entity_id,
        period_key=period_key,
        stage=ProjectStage(stage) if stage is not None else None,
        approvals=approvals,
    )
    return f"scheduler:report:{round_id}:{entity_id}:progress", progress


def progress_update(project: ProjectRead, progress: ProjectProgress) -> ProjectProgressUpdate | None:
    """The PATCH that brings `project` to what the report says: the stage if it differs, and the
    approvals list with the states the report gives (other entries, and the dates and document
    numbers of those whose state stays, kept); None when the project already says so."""
    update = ProjectProgressUpdate()
    if progress.stage is not None and progress.stage != project.stage:
        update.stage = progress.stage
    current = {a.kind: a for a in project.approvals}
    if any(current[k].state != s if k in current else True for k, s in progress.approvals.items()):
        approvals = []
        for approval_kind in ApprovalKind:
            existing = current.get(approval_kind)
            state = progress.approvals.get(approval_kind)
            if existing is not None:
                fields = existing.model_dump(exclude={"overdue"})  # derived by the registry, not written
                approvals.append(ApprovalWrite.model_validate(fields | ({"state": state} if state else {})))
            elif state is not None:
                approvals.append(
                    ApprovalWrite(kind=approval_kind, state=state, applied_on=None, approved_on=None, document_no=None)
                )
        update.approvals = approvals
    return update if update.model_fields_set else None
