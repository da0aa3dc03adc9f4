"""The body of `PATCH /projects/{id}/approvals/{kind}`: one approval changed, the others left alone."""

from __future__ import annotations

import datetime as dt

from pydantic import ConfigDict, Field

from shared.schemas.common import RequestModel, ShortText
from shared.schemas.enums import ApprovalState


class ApprovalUpdate(RequestModel):
    """JSON merge patch of one approval: only the fields sent change; `null` clears an optional one.

    An approval the project does not have yet is added, and then needs `state`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "state": "in_progress",
                    "applied_on": "2024-01-10",
                    "committed_completion_on": "2024-03-10",
                },
                {"state": "approved", "approved_on": "2024-03-05", "document_no": "湘自然资批〔2024〕18号"},
            ]
        },
    )

    state: ApprovalState | None = Field(default=None, description="办理状态；新增该类审批时必填，不能为 null")
    applied_on: dt.date | None = Field(default=None, description="申报日期")
    approved_on: dt.date | None = Field(default=None, description="批复日期，不早于申报日期")
    document_no: ShortText | None = Field(default=None, description="批复文号")
    committed_completion_on: dt.date | None = Field(
        default=None, description="承诺办结时限（承诺时限），不早于申报日期；过期仍未办结即为 overdue"
    )
