"""The part of a project's `PATCH` that its reports move: its stage and the state of its approvals.

The scheduler sends it when an accepted report says the project has moved on. The registry's own
`ProjectUpdate` accepts these fields with the same meaning; `approvals`, when sent, replaces the
project's list, so a sender keeps the entries (and dates) it does not mean to change.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from shared.schemas.common import RequestModel, ShortText
from shared.schemas.enums import ApprovalKind, ApprovalState, ProjectStage


class ApprovalWrite(RequestModel):
    kind: ApprovalKind
    state: ApprovalState
    applied_on: dt.date | None = None
    approved_on: dt.date | None = None
    document_no: ShortText | None = None
    committed_completion_on: dt.date | None = None


class ProjectProgressUpdate(RequestModel):
    stage: ProjectStage | None = None
    approvals: list[ApprovalWrite] | None = Field(default=None, max_length=3, description="核准备案、环评、土地审批")
