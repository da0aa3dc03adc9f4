"""A circular as notify returns it, the receipts (签收) of one, and the receipts still unsigned."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

from shared.schemas.notify.actions.circulars import Audience, SourceRef
from shared.schemas.notify.enums import CircularKind, CircularStatus, Issuer, ReceiptStatus, UnitType, Urgency


class CircularRead(BaseModel):
    id: uuid.UUID
    kind: CircularKind
    status: CircularStatus
    title: str
    body: str = Field(description="正文（Markdown）")
    body_html: str = Field(description="正文的安全 HTML")
    data: dict[str, Any] | None
    issuer: Issuer
    urgency: Urgency
    audience: Audience
    recipients: list[str]
    reply_deadline: dt.datetime | None
    source: SourceRef | None
    reminder_of: uuid.UUID | None = Field(description="催签提醒所针对的通报")
    document_number: str | None = Field(description="文号；发布时分配")
    published_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revoke_reason: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class UnitRef(BaseModel):
    unit_type: UnitType
    unit_code: str


class ReceiptRead(UnitRef):
    circular_id: uuid.UUID
    status: ReceiptStatus
    acted_at: dt.datetime | None
    actor_sub: str | None
    actor_name: str | None
    reason: str | None


class ReceiptSummary(BaseModel):
    """Every addressed unit's receipt of one circular, with the counts."""

    circular_id: uuid.UUID
    items: list[ReceiptRead]
    total: int
    signed: int
    returned: int
    pending: int
    sign_rate: float = Field(description="已签收单位占比（0–1，四位小数）")
    unsigned_units: list[UnitRef] = Field(description="尚未签收的单位（含退回）")


class UnsignedReceiptRead(BaseModel):
    """A pending receipt of a published circular (`GET /api/v1/receipts`)."""

    circular_id: uuid.UUID
    title: str
    document_number: str | None
    published_at: dt.datetime
    reply_deadline: dt.datetime | None
    unit_type: UnitType
    unit_code: str
    status: ReceiptStatus
    days_unsigned: int
