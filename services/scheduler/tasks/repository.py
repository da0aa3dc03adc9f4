"""Queries over report tasks and their submissions. Returns rows or None; never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, Select, and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.models import ReportSubmission, ReportTask, Round, table
from services.scheduler.views import UNSUBMITTED
from shared.pagination import PageRequest, Sorting
from shared.regions import code_range

T = table(ReportTask)
S = table(ReportSubmission)
R = table(Round)
SORTING = Sorting(
    columns={"due_at": T.c.due_at, "created_at": T.c.created_at, "entity_name": T.c.entity_name},
    tiebreak=T.c.id,
    default="due_at",
)


@dataclass(frozen=True, slots=True)
class TaskQuery:
    round_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    entity_id: uuid.UUID | None = None
    state: str | None = None
    overdue: bool | None = None
    region: str | None = None
    kind: str | None = None
    department: str | None = None
    scope: str | None = None  # the caller's read scope


def _overdue(now: dt.datetime) -> Any:
    return and_(T.c.state.in_(UNSUBMITTED), T.c.due_at <= now)


def _filtered(stmt: Select[Any], query: TaskQuery, now: dt.datetime, *, with_state: bool) -> Select[Any]:
    for column, value in (
        (T.c.round_id, query.round_id),
        (T.c.plan_id, query.plan_id),
        (T.c.entity_id, query.entity_id),
        (T.c.entity_kind, query.kind),
        (T.c.lead_department_code, query.department),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    for region in (query.region, query.scope):
        if region is not None:
            stmt = stmt.where(T.c.region_code.between(*code_range(region)))
    if query.overdue is not None:
        stmt = stmt.where(_overdue(now) if query.overdue else ~_overdue(now))
    if with_state and query.state is not None:
        stmt = stmt.where(T.c.state == query.state)
    return stmt


class TaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, task_id: uuid.UUID) -> RowMapping | None:
        stmt = select(T, R.c.state.label("round_state")).select_from(T.join(R, R.c.id == T.c.round_id))
        row: RowMapping | None = (await self.session.execute(stmt.where(T.c.id == task_id))).mappings().first()
        return row

    async def list(self, query: TaskQuery, page: PageRequest, now: dt.datetime) -> tuple[Sequence[RowMapping], str]:
        stmt, key, _ = SORTING.apply(_filtered(select(T), query, now, with_state=True), page)
        return (await self.session.execute(stmt)).mappings().all(), key

    async def counts(self, query: TaskQuery, now: dt.datetime) -> tuple[dict[str, int], int]:
        """Tasks matching every filter but `state`, by state; and how many of them are overdue."""
        stmt = _filtered(
            select(T.c.state, func.count(), func.count().filter(_overdue(now))), query, now, with_state=False
        ).group_by(T.c.state)
        rows = (await self.session.execute(stmt)).all()
        return {state: count for state, count, _ in rows}, sum(late for _, _, late in rows)

    async def accepted_near(self, entity_id: uuid.UUID, year: int, before: uuid.UUID) -> Sequence[RowMapping]:
        """The entity's accepted reports (figures, period key) whose key names `year` or the next year
        (an ISO week keyed by the next year may begin in this one), other than `before`."""
        stmt = select(T.c.figures, T.c.period_key).where(
            T.c.entity_id == entity_id,
            T.c.state == "accepted",
            T.c.id != before,
            or_(T.c.period_key.startswith(str(year)), T.c.period_key.startswith(str(year + 1))),
        )
        return (await self.session.execute(stmt)).mappings().all()

    async def transition(
        self, task_id: uuid.UUID, version: int, from_states: Sequence[str], values: dict[str, Any]
    ) -> RowMapping | None:
        """The task moved on, or None when another write got there first (its version or state moved)."""
        stmt = (
            update(T)
            .where(T.c.id == task_id, T.c.version == version, T.c.state.in_(from_states))
            .values(**values, version=T.c.version + 1, updated_at=func.now())
            .returning(*T.c)
        )
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def add_submission(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(S).values(**values))

    async def review_submission(self, task_id: uuid.UUID, seq: int, values: dict[str, Any]) -> None:
        await self.session.execute(update(S).where(S.c.task_id == task_id, S.c.seq == seq).values(**values))
