"""Queries over supervision cases and their replies. Returns rows or None; never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, Select, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.models import CaseReply, SupervisionCase, table
from shared.pagination import PageRequest, Sorting
from shared.regions import code_range

C = table(SupervisionCase)
RP = table(CaseReply)
SORTING = Sorting(
    columns={"reply_due_at": C.c.reply_due_at, "created_at": C.c.created_at},
    tiebreak=C.c.id,
    default="-created_at",
)


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, values: dict[str, Any]) -> RowMapping | None:
        """The new case, or None when the finding already has one."""
        stmt = pg_insert(C).values(**values).on_conflict_do_nothing(index_elements=["finding_id"]).returning(*C.c)
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def get(self, case_id: uuid.UUID) -> RowMapping | None:
        row: RowMapping | None = (await self.session.execute(select(C).where(C.c.id == case_id))).mappings().first()
        return row

    async def replies(self, case_id: uuid.UUID) -> Sequence[RowMapping]:
        stmt = select(RP).where(RP.c.case_id == case_id).order_by(RP.c.seq)
        return (await self.session.execute(stmt)).mappings().all()

    async def list(
        self,
        page: PageRequest,
        *,
        state: str | None,
        region: str | None,
        finding_id: uuid.UUID | None,
        scope: str | None,
    ) -> tuple[Sequence[RowMapping], str]:
        stmt: Select[Any] = select(C)
        if state is not None:
            stmt = stmt.where(C.c.state == state)
        if finding_id is not None:
            stmt = stmt.where(C.c.finding_id == finding_id)
        for code in (region, scope):
            if code is not None:
                stmt = stmt.where(C.c.region_code.between(*code_range(code)))
        stmt, key, _ = SORTING.apply(stmt, page)
        return (await self.session.execute(stmt)).mappings().all(), key

    async def transition(
        self, case_id: uuid.UUID, version: int, from_states: Sequence[str], values: dict[str, Any]
    ) -> RowMapping | None:
        stmt = (
            update(C)
            .where(C.c.id == case_id, C.c.version == version, C.c.state.in_(from_states))
            .values(**values, version=C.c.version + 1, updated_at=func.now())
            .returning(*C.c)
        )
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def add_reply(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(RP).values(**values))

    async def review_reply(self, case_id: uuid.UUID, seq: int, values: dict[str, Any]) -> None:
        await self.session.execute(update(RP).where(RP.c.case_id == case_id, RP.c.seq == seq).values(**values))

    async def escalate_overdue(self, now: dt.datetime) -> Sequence[RowMapping]:
        """Cases still awaiting a reply past their deadline, escalated in one statement (skipping locked ones)."""
        due = (
            select(C.c.id)
            .where(C.c.state == "awaiting_reply", C.c.reply_due_at <= now)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        stmt = (
            update(C)
            .where(C.c.id.in_(due))
            .values(state="escalated", escalated_at=now, version=C.c.version + 1, updated_at=func.now())
            .returning(*C.c)
        )
        return (await self.session.execute(stmt)).mappings().all()
