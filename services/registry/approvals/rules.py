"""Project approvals (核准备案、环评、土地审批) and their committed dates: pure rules, no I/O.

    dates      applied on ≤ approved on, and applied on ≤ committed completion (承诺时限)
    is_overdue an approval not finished (not started or in progress) after its committed date

`OPEN_STATES` is also what the SQL side counts as unfinished (`entities.queries.approval_overdue`), so
the flag a record shows and the `approval_overdue` filter and progress counts agree.
"""

from __future__ import annotations

import datetime as dt

from shared.errors import FieldError
from shared.schemas.enums import ApprovalState

OPEN_STATES = frozenset({ApprovalState.not_started, ApprovalState.in_progress})


def dates(
    applied_on: dt.date | None, approved_on: dt.date | None, committed_completion_on: dt.date | None
) -> FieldError | None:
    """The first inconsistency among an approval's dates, as they will be after a write."""
    if applied_on and approved_on and approved_on < applied_on:
        return FieldError("approved_on", "批复日期不能早于申报日期", "approval_dates_order")
    if applied_on and committed_completion_on and committed_completion_on < applied_on:
        return FieldError(
            "committed_completion_on", "承诺办结时限不能早于申报日期", "approval_commitment_before_application"
        )
    return None


def is_overdue(state: ApprovalState, committed_completion_on: dt.date | None, today: dt.date) -> bool:
    """Past its committed date (the whole of that day is still in time) and not finished."""
    return committed_completion_on is not None and committed_completion_on < today and state in OPEN_STATES
