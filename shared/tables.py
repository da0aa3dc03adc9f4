"""Tables every service keeps in its own schema: the audit log and idempotency records, and for a
service that calls its peers, the outbox of those calls.

A service declares both on its SQLModel base (see `shared.db.service_registry`) with one line,

    tables = platform_tables(RegistryTable)

which defines `AuditEvent` and `IdempotencyRecord` as `table=True` classes on that base, so they land
in the service's schema and MetaData (and its migrations), and hands back their Tables for
`shared.audit` and `shared.idempotency`, which query them with Core. `outbox_table(base)` adds
`outbox_message` the same way. A service's first migration creates the same tables with
`shared.migration_ops.create_platform_tables`.
"""

from __future__ import annotations

import datetime as dt
import types
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel


def uuid_pk() -> Any:
    """A UUID primary key the database draws (`gen_random_uuid()`)."""
    return Field(sa_type=UUID, primary_key=True, sa_column_kwargs={"server_default": text("gen_random_uuid()")})


def server_timestamp() -> Any:
    """A `timestamptz` set by the database when the row is written (`created_at`, `updated_at`, …)."""
    return Field(sa_type=DateTime(timezone=True), sa_column_kwargs={"server_default": func.now()})


def version_column() -> Any:
    """The optimistic-concurrency `version` of a mutable resource, starting at 1."""
    return Field(sa_type=Integer, sa_column_kwargs={"server_default": "1"})


def table(model: type[SQLModel]) -> Table:
    """A table class's Table, typed as such (SQLAlchemy types `__table__` as the wider FromClause)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class PlatformTables:
    audit_event: Table
    idempotency_record: Table


class AuditEventColumns(SQLModel):
    """The columns and indexes of `audit_event`; a table only once mixed into a service's base.

    Rows are only ever inserted: each service's migration puts a trigger on the table that rejects
    UPDATE and DELETE.
    """

    __tablename__ = "audit_event"

    id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": True})
    occurred_at: dt.datetime = Field(sa_type=DateTime(timezone=True), sa_column_kwargs={"server_default": func.now()})
    actor_sub: str = Field(sa_type=String(200))
    actor_name: str = Field(sa_type=String(200), sa_column_kwargs={"server_default": ""})
    actor_role: str = Field(sa_type=String(20))
    actor_region: str = Field(sa_type=String(6))
    action: str = Field(sa_type=String(60))
    resource_type: str = Field(sa_type=String(60))
    resource_id: str = Field(sa_type=String(100))
    before: dict[str, Any] | None = Field(sa_type=JSONB)
    after: dict[str, Any] | None = Field(sa_type=JSONB)
    request_id: str | None = Field(sa_type=String(128))

    # A function, so that each service's table gets Index objects of its own.
    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (Index(None, "resource_type", "resource_id", "id"), Index(None, "actor_sub", "id"))


class IdempotencyRecordColumns(SQLModel):
    """The columns and index of `idempotency_record`; a table only once mixed into a service's base."""

    __tablename__ = "idempotency_record"

    caller: str = Field(sa_type=String(200), primary_key=True)
    key: str = Field(sa_type=String(255), primary_key=True)
    request_hash: str = Field(sa_type=String(64))
    status_code: int = Field(sa_type=Integer)
    headers: dict[str, str] = Field(sa_type=JSONB)
    body: bytes = Field(sa_type=LargeBinary)
    created_at: dt.datetime = Field(sa_type=DateTime(timezone=True), sa_column_kwargs={"server_default": func.now()})
    note: str | None = Field(sa_type=Text)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (Index(None, "created_at"),)


class OutboxMessageColumns(SQLModel):
    """The columns of `outbox_message`: a call to a peer, written in the transaction of the change that
    causes it, delivered later with retries under a lease, with one idempotency key for every try."""

    __tablename__ = "outbox_message"

    id: int = Field(sa_type=BigInteger, sa_column_args=[Identity()], primary_key=True)
    peer: str = Field(sa_type=String(40))
    operation: str = Field(sa_type=String(60))
    idempotency_key: str = Field(sa_type=String(255))
    payload: dict[str, Any] = Field(sa_type=JSONB)
    created_at: dt.datetime = Field(sa_type=DateTime(timezone=True), sa_column_kwargs={"server_default": func.now()})
    attempts: int = Field(sa_type=Integer, sa_column_kwargs={"server_default": "0"})
    next_attempt_at: dt.datetime = Field(
        sa_type=DateTime(timezone=True), sa_column_kwargs={"server_default": func.now()}
    )
    last_error: str | None = Field(sa_type=Text)
    delivered_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    response: dict[str, Any] | None = Field(sa_type=JSONB)
    lease_owner: str | None = Field(sa_type=String(64))
    lease_expires_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            UniqueConstraint("peer", "idempotency_key"),
            Index("ix_outbox_message_due", "next_attempt_at", postgresql_where=text("delivered_at IS NULL")),
        )


def _declare(base: type[SQLModel], name: str, columns: type[SQLModel]) -> Table:
    """`class <name>(columns, base, table=True)`, made with `types.new_class` because a base held in a
    variable cannot be named in a class statement the type checker accepts; it takes the base's
    module, as if written there."""

    def in_module(namespace: dict[str, Any]) -> None:
        namespace["__module__"] = base.__module__

    return table(types.new_class(name, (columns, base), {"table": True}, in_module))


def outbox_table(base: type[SQLModel]) -> Table:
    """Define `OutboxMessage` as a table class on a service's base; once per base."""
    return _declare(base, "OutboxMessage", OutboxMessageColumns)


def platform_tables(base: type[SQLModel]) -> PlatformTables:
    """Define `AuditEvent` and `IdempotencyRecord` as table classes on a service's base; once per base."""
    return PlatformTables(
        audit_event=_declare(base, "AuditEvent", AuditEventColumns),
        idempotency_record=_declare(base, "IdempotencyRecord", IdempotencyRecordColumns),
    )
