"""Queries over problems and their history. Returns rows or None; never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, Select, and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.models import Problem, ProblemEvent, table
from shared.pagination import PageRequest, Sorting
from shared.regions import code_range

P = table(Problem)
E = table(ProblemEvent)
OPEN_STATES = ("open", "in_progress")
SORTING = Sorting(
    columns={"due_on": P.c.due_on, "created_at": P.c.created_at, "updated_at": P.c.updated_at},
    tiebreak=P.c.id,
    default="-updated_at",
)


@dataclass(frozen=True, slots=True)
class ProblemQuery:
    state: str | None = None
    level: str | None = None
    category: str | None = None
    region: str | None = None
    assigned_department: str | None = None
    task_id: uuid.UUID | None = None
    overdue: bool | None = None
    scope: str | None = None


def overdue_on(today: dt.date) -> Any:
    return and_(P.c.state.in_(OPEN_STATES), P.c.due_on < today)


class ProblemRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, values: dict[str, Any]) -> RowMapping:
        return (await self.session.execute(insert(P).values(**values).returning(*P.c))).mappings().one()

    async def insert_from_report(self, values: dict[str, Any]) -> RowMapping | None:
        """The new problem, or None when this report's figure already raised one."""
        stmt = (
            pg_insert(P).values(**values).on_conflict_do_nothing(index_elements=["task_id", "figure"]).returning(*P.c)
        )
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def get(self, problem_id: uuid.UUID) -> RowMapping | None:
        row: RowMapping | None = (await self.session.execute(select(P).where(P.c.id == problem_id))).mappings().first()
        return row

    async def list(self, query: ProblemQuery, page: PageRequest, today: dt.date) -> tuple[Sequence[RowMapping], str]:
        stmt: Select[Any] = select(P)
        for column, value in (
            (P.c.state, query.state),
            (P.c.level, query.level),
            (P.c.category, query.category),
            (P.c.assigned_department, query.assigned_department),
            (P.c.task_id, query.task_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        for region in (query.region, query.scope):
            if region is not None:
                stmt = stmt.where(P.c.region_code.between(*code_range(region)))
        if query.overdue is not None:
            stmt = stmt.where(overdue_on(today) if query.overdue else ~overdue_on(today))
        stmt, key, _ = SORTING.apply(stmt, page)
        return (await self.session.execute(stmt)).mappings().all(), key

    async def update(
        self, problem_id: uuid.UUID, version: int, values: dict[str, Any], from_states: Sequence[str] | None = None
    ) -> RowMapping | None:
        """The changed row, or None when the problem is no longer at `version` (or in `from_states`)."""
        stmt = update(P).where(P.c.id == problem_id, P.c.version == version)
        if from_states is not None:
            stmt = stmt.where(P.c.state.in_(from_states))
        stmt = stmt.values(**values, version=P.c.version + 1, updated_at=func.now()).returning(*P.c)
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def delete(self, problem_id: uuid.UUID, version: int) -> bool:
        stmt = delete(P).where(P.c.id == problem_id, P.c.version == version, P.c.state == "open").returning(P.c.id)
        return (await self.session.execute(stmt)).first() is not None

    async def add_event(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(E).values(**values))

    async def events(self, problem_id: uuid.UUID) -> Sequence[RowMapping]:
        stmt = select(E).where(E.c.problem_id == problem_id).order_by(E.c.id)
        return (await self.session.execute(stmt)).mappings().all()

    async def lock_overdue(self, due_before: dt.date, limit: int) -> Sequence[RowMapping]:
        """Open or in-progress problems due on or before `due_before`, locked; another replica skips them."""
        stmt = (
            select(P)
            .where(P.c.state.in_(OPEN_STATES), P.c.due_on <= due_before, P.c.level != "leader")
            .order_by(P.c.due_on, P.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.execute(stmt)).mappings().all()
