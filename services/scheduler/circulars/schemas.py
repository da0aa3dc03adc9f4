"""What the scheduler asks notify to issue: bulletins (通报), supervision letters (督办函), reminders (提醒).

`CircularRequest` is the part of notify's `POST /api/v1/circulars` body the scheduler fills in, field
for field with the same names and codes, so that notify's own request model (its `CircularCreate`)
validates it unchanged. It is kept here, not in shared/schemas, until notify's schemas and client
arrive; then `sender.CircularSender` is satisfied by `NotifyClient.request_circular` instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas.enums import LabelledEnum


class CircularKind(LabelledEnum):
    bulletin = "bulletin", "通报"
    supervision_letter = "supervision_letter", "督办函"
    reminder = "reminder", "提醒"


class Urgency(LabelledEnum):
    urgent = "urgent", "加急"
    routine = "routine", "平件"


class Audience(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regions: list[str] = Field(default_factory=list, description="地区（含下级）")
    departments: list[str] = Field(default_factory=list, description="部门代码")


class SourceRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="来源类型：round、finding、case、reminder")
    id: str


class CircularRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: CircularKind
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=20000)
    data: dict[str, Any] | None = None
    issuer: str = "wqb_office"
    urgency: Urgency = Urgency.routine
    audience: Audience
    reply_deadline: dt.datetime | None = None
    source: SourceRef
    publish: bool = True
