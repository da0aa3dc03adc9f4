"""Tables of notify, all in the `notify` schema.

A circular is one row from draft to revoked; its 文号 comes from `document_counter` (one row per
issuer, kind and year, incremented in the publishing transaction) and its PDF, rendered once at
publish, is kept in `circular_document`. Publishing writes a `receipt` per addressed unit and a
`delivery` per matching subscriber; each delivery's tries are `delivery_attempt` rows. `event` is
what the SSE stream replays (circulars published, revoked, signed; endpoints disabled).

Rows are written and read with Core statements over these classes' Tables, never built from
request bodies.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlmodel import Field, SQLModel

from shared.db import service_registry
from shared.tables import platform_tables, server_timestamp, uuid_pk, version_column
from shared.tables import table as table

SCHEMA = "notify"


class NotifyTable(SQLModel, registry=service_registry(SCHEMA)):
    """Base of notify's table classes: their MetaData is the `notify` schema's alone."""


metadata = NotifyTable.metadata
tables = platform_tables(NotifyTable)


def _codes() -> Any:
    return Field(sa_type=ARRAY(String(60)), sa_column_kwargs={"server_default": "{}"})


class Circular(NotifyTable, table=True):
    __tablename__ = "circular"
    __table_args__ = (
        # One source (a dispatch round, say) never yields two circulars.
        UniqueConstraint("source_type", "source_id"),
        CheckConstraint("status IN ('draft', 'published', 'revoked')", name="status"),
        CheckConstraint("(status = 'draft') = (document_number IS NULL)", name="number_when_published"),
        Index(None, "audience_regions", postgresql_using="gin"),
        Index(None, "created_at", "id"),
        Index(None, "published_at", "id"),
    )
    id: uuid.UUID = uuid_pk()
    kind: str = Field(sa_type=String(30))
    status: str = Field(sa_type=String(20), sa_column_kwargs={"server_default": "draft"})
    title: str = Field(sa_type=String(200))
    body: str = Field(sa_type=Text, sa_column_kwargs={"server_default": ""})
    data: dict[str, Any] | None = Field(sa_type=JSONB)
    issuer: str = Field(sa_type=String(30))
    urgency: str = Field(sa_type=String(20))
    audience: dict[str, Any] = Field(sa_type=JSONB)
    # The audience's regions and departments again as arrays, for the scope and matching queries.
    audience_regions: list[str] = Field(sa_type=ARRAY(String(6)), sa_column_kwargs={"server_default": "{}"})
    audience_departments: list[str] = _codes()
    recipients: list[str] = Field(sa_type=ARRAY(String(200)), sa_column_kwargs={"server_default": "{}"})
    reply_deadline: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    source_type: str | None = Field(sa_type=String(60))
    source_id: str | None = Field(sa_type=String(100))
    reminder_of: uuid.UUID | None = Field(sa_type=UUID, foreign_key="circular.id", index=True)
    document_number: str | None = Field(sa_type=String(60), unique=True)
    document_year: int | None = Field(sa_type=SmallInteger)
    document_sequence: int | None = Field(sa_type=Integer)
    published_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    revoked_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    revoke_reason: str | None = Field(sa_type=Text)
    created_by: str = Field(sa_type=String(200))
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class DocumentCounter(NotifyTable, table=True):
    """The last 文号 sequence of an (issuer, kind, year); the publishing transaction's
    `UPDATE … RETURNING` holds its row lock until commit, so numbers are gapless and unique."""

    __tablename__ = "document_counter"
    issuer: str = Field(sa_type=String(30), primary_key=True)
    kind: str = Field(sa_type=String(30), primary_key=True)
    year: int = Field(sa_type=SmallInteger, primary_key=True)
    last_sequence: int = Field(sa_type=Integer)


class CircularDocument(NotifyTable, table=True):
    __tablename__ = "circular_document"
    circular_id: uuid.UUID = Field(sa_type=UUID, foreign_key="circular.id", ondelete="CASCADE", primary_key=True)
    pdf: bytes = Field(sa_type=LargeBinary)
    rendered_at: dt.datetime = server_timestamp()


class Receipt(NotifyTable, table=True):
    """签收 of one circular by one addressed unit; the first signature stands."""

    __tablename__ = "receipt"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'signed', 'returned')", name="status"),
        Index(None, "unit_type", "unit_code", "status"),
    )
    circular_id: uuid.UUID = Field(sa_type=UUID, foreign_key="circular.id", ondelete="CASCADE", primary_key=True)
    unit_type: str = Field(sa_type=String(20), primary_key=True)
    unit_code: str = Field(sa_type=String(60), primary_key=True)
    status: str = Field(sa_type=String(20), sa_column_kwargs={"server_default": "pending"})
    acted_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    actor_sub: str | None = Field(sa_type=String(200))
    actor_name: str | None = Field(sa_type=String(200))
    reason: str | None = Field(sa_type=Text)
    created_at: dt.datetime = server_timestamp()


class Subscriber(NotifyTable, table=True):
    """A receiving system: its webhook, what it wants, and its signing secrets (the newest first;
    an old one carries the expiry of its rotation overlap)."""

    __tablename__ = "subscriber"
    __table_args__ = (
        UniqueConstraint("name"),
        CheckConstraint("status IN ('active', 'disabled')", name="status"),
        Index(None, "topics", postgresql_using="gin"),
        Index(None, "region_code"),
        Index(None, "created_at", "id"),
    )
    id: uuid.UUID = uuid_pk()
    name: str = Field(sa_type=String(200))
    department: str | None = Field(sa_type=String(60))
    region_code: str = Field(sa_type=String(6))
    url: str = Field(sa_type=String(2048))
    event_types: list[str] = _codes()  # empty: every event type
    topics: list[str] = _codes()
    rate_limit_per_minute: int | None = Field(sa_type=Integer)
    status: str = Field(sa_type=String(20), sa_column_kwargs={"server_default": "active"})
    disabled_reason: str | None = Field(sa_type=Text)
    disabled_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    # The first failed attempt since the last success; None while the latest attempt succeeded.
    failing_since: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    secrets: list[dict[str, Any]] = Field(sa_type=JSONB)
    created_by: str = Field(sa_type=String(200))
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class Delivery(NotifyTable, table=True):
    """One event to one subscriber, with one `webhook_id` and one payload for all its attempts.

    pending (queued) → sending (claimed under a lease, in flight) → delivered, retrying (an attempt
    failed, the next is due at `next_attempt_at`; then sending again) or failed. A `sending` row whose
    lease expired (its process died) is claimed again as it stands."""

    __tablename__ = "delivery"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'delivered', 'retrying', 'failed')", name="status"),
        # One event of a circular reaches a subscriber under one webhook-id (test events have no circular).
        UniqueConstraint("circular_id", "subscriber_id", "event_type"),
        # Each subscriber's queue in the order the claim takes it (its head: the earliest due).
        Index(
            "ix_delivery_queue",
            "subscriber_id",
            "next_attempt_at",
            "id",
            postgresql_where=text("status IN ('pending', 'sending', 'retrying')"),
        ),
        # The deliveries in flight, which keep their subscriber's other deliveries waiting.
        Index(
            "ix_delivery_in_flight", "subscriber_id", "lease_expires_at", postgresql_where=text("status = 'sending'")
        ),
        Index(None, "subscriber_id", "status", "created_at"),
    )
    id: uuid.UUID = uuid_pk()
    subscriber_id: uuid.UUID = Field(sa_type=UUID, foreign_key="subscriber.id", ondelete="CASCADE")
    circular_id: uuid.UUID | None = Field(sa_type=UUID, foreign_key="circular.id", ondelete="CASCADE")
    event_type: str = Field(sa_type=String(40))
    webhook_id: str = Field(sa_type=String(40), unique=True)
    payload: bytes = Field(sa_type=LargeBinary)
    status: str = Field(sa_type=String(20), sa_column_kwargs={"server_default": "pending"})
    attempts: int = Field(sa_type=Integer, sa_column_kwargs={"server_default": "0"})  # in the current cycle
    next_attempt_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    last_attempt_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    delivered_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    last_error: str | None = Field(sa_type=Text)
    created_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    lease_owner: str | None = Field(sa_type=String(64))
    lease_expires_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))


class DeliveryAttempt(NotifyTable, table=True):
    __tablename__ = "delivery_attempt"
    __table_args__ = (UniqueConstraint("delivery_id", "attempt_no"),)
    id: int = Field(sa_type=BigInteger, sa_column_args=[Identity()], primary_key=True)
    delivery_id: uuid.UUID = Field(sa_type=UUID, foreign_key="delivery.id", ondelete="CASCADE")
    attempt_no: int = Field(sa_type=Integer)
    attempted_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    status_code: int | None = Field(sa_type=SmallInteger)
    latency_ms: int = Field(sa_type=Integer)
    outcome: str = Field(sa_type=String(20))
    error_code: str | None = Field(sa_type=String(40))
    error_message: str | None = Field(sa_type=Text)
    response_excerpt: str = Field(sa_type=Text, sa_column_kwargs={"server_default": ""})


class Event(NotifyTable, table=True):
    """What happened, in commit order (writers take one advisory lock before inserting), for the
    SSE stream; `regions` and `departments` say whose scope an event is in."""

    __tablename__ = "event"
    id: int = Field(sa_type=BigInteger, sa_column_args=[Identity()], primary_key=True)
    type: str = Field(sa_type=String(40))
    circular_id: uuid.UUID | None = Field(sa_type=UUID)
    subscriber_id: uuid.UUID | None = Field(sa_type=UUID)
    regions: list[str] = Field(sa_type=ARRAY(String(6)), sa_column_kwargs={"server_default": "{}"})
    departments: list[str] = _codes()
    data: dict[str, Any] = Field(sa_type=JSONB)
    occurred_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
