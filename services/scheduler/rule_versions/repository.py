"""Versions of the supervision rules and of the scoring profile. Returns rows or None; never commits.

Both tables keep every version of a code; a partial unique index allows one active version per code.
A new version is written by locking the active row, deactivating it and inserting its successor, all in
the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import RowMapping, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.models import ScoringProfile, SupervisionRule, table

RULE = table(SupervisionRule)
PROFILE = table(ScoringProfile)


class VersionRepository:
    def __init__(self, session: AsyncSession, versions: Table) -> None:
        self.session = session
        self.table = versions

    async def active(self) -> Sequence[RowMapping]:
        stmt = select(self.table).where(self.table.c.active).order_by(self.table.c.code)
        return (await self.session.execute(stmt)).mappings().all()

    async def versions(self, code: str) -> Sequence[RowMapping]:
        """Every version of `code`, newest first."""
        stmt = select(self.table).where(self.table.c.code == code).order_by(self.table.c.version.desc())
        return (await self.session.execute(stmt)).mappings().all()

    async def lock_active(self, code: str) -> RowMapping | None:
        """The active version of `code`, locked; None when the code has none.

        A writer that waited on the lock finds the row it waited for no longer active (its successor
        was inserted meanwhile): it looks once more, and locks the successor."""
        stmt = select(self.table).where(self.table.c.code == code, self.table.c.active).with_for_update()
        for _ in range(2):
            row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
            if row is not None:
                return row
        return None

    async def supersede(self, current: RowMapping, values: Mapping[str, Any]) -> RowMapping:
        """Deactivate `current` (locked by `lock_active`) and insert the next version with `values`."""
        t = self.table
        await self.session.execute(
            update(t).where(t.c.code == current["code"], t.c.version == current["version"]).values(active=False)
        )
        stmt = (
            insert(t)
            .values(code=current["code"], version=current["version"] + 1, active=True, **values)
            .returning(*t.c)
        )
        return (await self.session.execute(stmt)).mappings().one()
