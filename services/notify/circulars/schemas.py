"""notify's own request models for circulars (the create body and the read are wire schemas in
`shared.schemas.notify`, since the scheduler sends and reads them)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from shared.schemas.common import LongText, Name, PageParams, RequestModel, ShortText, Text
from shared.schemas.notify.actions.circulars import Audience, Code, HunanRegion, storable_json
from shared.schemas.notify.enums import CircularKind, CircularStatus, Issuer, Urgency


class CircularUpdate(RequestModel):
    """A merge patch of a draft: only the fields sent change; `null` clears an optional one."""

    kind: CircularKind | None = None
    title: Name | None = None
    body: LongText | None = None
    data: Annotated[dict[str, Any] | None, AfterValidator(storable_json)] = None
    issuer: Issuer | None = None
    urgency: Urgency | None = None
    audience: Audience | None = None
    recipients: list[ShortText] | None = Field(default=None, max_length=50)
    reply_deadline: AwareDatetime | None = None


class CircularRevoke(RequestModel):
    reason: Annotated[Text, Field(min_length=1, description="撤回原因")]


class ReminderCreate(RequestModel):
    """A 催签 reminder to the units that have not signed; every field has a default."""

    title: Name | None = Field(default=None, description="默认：关于催签《原通报标题》的提醒")
    body: LongText | None = None
    reply_deadline: AwareDatetime | None = None


class _CircularFilterFields(BaseModel):
    status: CircularStatus | None = None
    kind: CircularKind | None = None
    issuer: Issuer | None = None
    region: HunanRegion | None = Field(default=None, description="发往该地区或其下级的通报")
    source_type: Code | None = None
    source_id: Annotated[str | None, Field(max_length=100)] = None
    published_since: AwareDatetime | None = Field(default=None, description="发布时间不早于")
    sort: str | None = Field(default=None, description="created_at、updated_at，前加 - 为倒序（默认 -created_at）")


class CircularFilters(PageParams, _CircularFilterFields):
    pass
