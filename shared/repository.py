"""A small generic repository over one table with `id` and `version`: the CRUD every resource shares.

It never commits (the request's unit of work does) and never raises HTTP errors: it returns rows or
None and lets the service decide what a missing row means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, RowMapping, Select, Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import FieldError, Invalid


class VersionedRepository:
    """Rows of `table`, addressed by `id`, updated under optimistic concurrency on `version`."""

    def __init__(self, session: AsyncSession, table: Table) -> None:
        self.session = session
        self.table = table

    async def get(self, id_: Any) -> RowMapping | None:
        return (await self.session.execute(select(self.table).where(self.table.c.id == id_))).mappings().first()

    async def insert(self, values: Mapping[str, Any]) -> RowMapping:
        stmt = insert(self.table).values(**values).returning(*self.table.c)
        return (await self.session.execute(stmt)).mappings().one()

    async def update_versioned(self, id_: Any, expected_version: int, values: Mapping[str, Any]) -> RowMapping | None:
        """Apply `values` if the row is still at `expected_version`; None when it is not (or is gone)."""
        changes = dict(values)
        changes["version"] = self.table.c.version + 1
        if "updated_at" in self.table.c:
            changes["updated_at"] = func.now()
        stmt = (
            update(self.table)
            .where(self.table.c.id == id_, self.table.c.version == expected_version)
            .values(**changes)
            .returning(*self.table.c)
        )
        return (await self.session.execute(stmt)).mappings().first()

    async def delete_versioned(self, id_: Any, expected_version: int) -> bool:
        """Delete the row if it is still at `expected_version`; False when it is not (or is gone)."""
        stmt = delete(self.table).where(self.table.c.id == id_, self.table.c.version == expected_version)
        return (await self.session.execute(stmt.returning(self.table.c.id))).first() is not None

    async def fetch(self, stmt: Select[Any]) -> Sequence[RowMapping]:
        rows: Sequence[RowMapping] = (await self.session.execute(stmt)).mappings().all()
        return rows


def reject_nulls(values: Mapping[str, Any], columns: Iterable[ColumnElement[Any]], also: Iterable[str] = ()) -> None:
    """Merge-patch `null` clears a field; on a required one (a NOT NULL column, or a name in `also`,
    e.g. a list of links) it is a 422 naming every such field, before the database would refuse it."""
    required = {c.key for c in columns if isinstance(c, Column) and not c.nullable} | set(also)
    errors = [
        FieldError(k, "该字段不能为空（null）", "null_not_allowed")
        for k, v in values.items()
        if v is None and k in required
    ]
    if errors:
        raise Invalid("；".join(f"{e.field}: {e.message}" for e in errors), code="null_not_allowed", errors=errors)
