"""Tables every service keeps in its own schema: the audit log and idempotency records."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB


@dataclass(frozen=True, slots=True)
class PlatformTables:
    audit_event: Table
    idempotency_record: Table


def platform_tables(metadata: MetaData) -> PlatformTables:
    audit_event = Table(
        "audit_event",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("occurred_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("actor_sub", String(200), nullable=False),
        Column("actor_name", String(200), nullable=False, server_default=""),
        Column("actor_role", String(20), nullable=False),
        Column("actor_region", String(6), nullable=False),
        Column("action", String(60), nullable=False),
        Column("resource_type", String(60), nullable=False),
        Column("resource_id", String(100), nullable=False),
        Column("before", JSONB),
        Column("after", JSONB),
        Column("request_id", String(128)),
        Index(None, "resource_type", "resource_id", "id"),
        Index(None, "actor_sub", "id"),
    )
    idempotency_record = Table(
        "idempotency_record",
        metadata,
        Column("caller", String(200), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("note", Text),
        Index(None, "created_at"),
    )
    return PlatformTables(audit_event=audit_event, idempotency_record=idempotency_record)
