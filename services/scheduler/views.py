"""Rows as the wire models of `shared.schemas.scheduler.responses`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from shared.schemas.scheduler.enums import TaskState
from shared.schemas.scheduler.responses.plans import PlanRead
from shared.schemas.scheduler.responses.rounds import RoundRead
from shared.schemas.scheduler.responses.tasks import TaskRead

UNSUBMITTED = (TaskState.pending.value, TaskState.returned.value)


def plan_read(row: Mapping[Any, Any]) -> PlanRead:
    return PlanRead.model_validate(dict(row))


def round_read(row: Mapping[Any, Any]) -> RoundRead:
    return RoundRead.model_validate(dict(row))


def is_overdue(row: Mapping[Any, Any], now: dt.datetime) -> bool:
    return row["state"] in UNSUBMITTED and row["due_at"] <= now


def task_read(row: Mapping[Any, Any], now: dt.datetime) -> TaskRead:
    return TaskRead.model_validate(dict(row) | {"overdue": is_overdue(row, now)})
