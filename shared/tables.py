"""Tables every service keeps in its own schema: the audit log and idempotency records.

A service declares both on its SQLModel base (see `shared.db.service_registry`) with one line,

    tables = platform_tables(RegistryTable)

which defines `AuditEvent` and `IdempotencyRecord` as `table=True` classes on that base, so they land
in the service's schema and MetaData (and its migrations), and hands back their Tables for
`shared.audit` and `shared.idempotency`, which query them with Core.
"""

from __future__ import annotations

import datetime as dt
import types
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, Index, Integer, LargeBinary, String, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel


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


def platform_tables(base: type[SQLModel]) -> PlatformTables:
    """Define `AuditEvent` and `IdempotencyRecord` as table classes on a service's base; once per base.

    The classes are made with `types.new_class` because a base held in a variable cannot be named in a
    class statement the type checker accepts; they take the base's module, as if written there.
    """

    def in_module(namespace: dict[str, Any]) -> None:
        namespace["__module__"] = base.__module__

    def declare(name: str, columns: type[SQLModel]) -> Table:
        model = types.new_class(name, (columns, base), {"table": True}, in_module)
        return table(model)

    return PlatformTables(
        audit_event=declare("AuditEvent", AuditEventColumns),
        idempotency_record=declare("IdempotencyRecord", IdempotencyRecordColumns),
    )
