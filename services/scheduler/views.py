"""Rows as the wire models of `shared.schemas.scheduler.responses`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from shared.reads import rows_json
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


def task_page_json(
    rows: Sequence[Mapping[str, Any]], next_cursor: str | None, counts: Mapping[str, int], overdue_count: int
) -> bytes:
    """A `TaskPage` as JSON, written straight from the list's rows (`TaskLists`), which select the fields
    of `TaskRead` in its order with `overdue` worked out and the figures as JSON text.

    The same document as validating the rows into `TaskRead` models and dumping the page, which
    `test_task_page_json_is_the_task_page_model_dumped` checks; without the models, a page of 50 costs
    a fraction of the CPU.
    """
    items = []
    for row in rows:
        item = dict(row)
        if item["figures"] is not None:
            item["figures"] = orjson.Fragment(item["figures"])
        items.append(item)
    page = {
        "items": items,
        "next_cursor": next_cursor,
        "counts": {state.value: counts.get(state.value, 0) for state in TaskState},
        "overdue_count": overdue_count,
    }
    return rows_json(page)
