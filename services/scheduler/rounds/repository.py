"""Queries over rounds and the tasks a round opens with. Returns rows or None; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    RowMapping,
    Select,
    Text,
    bindparam,
    cast,
    delete,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.models import Plan, ReportTask, Round, table
from shared.pagination import PageRequest, Sorting
from shared.regions import code_range

R = table(Round)
T = table(ReportTask)
P = table(Plan)
SORTING = Sorting(
    columns={"opens_at": R.c.opens_at, "period_key": R.c.period_key, "created_at": R.c.created_at},
    tiebreak=R.c.id,
    default="-opens_at",
)


@dataclass(frozen=True, slots=True)
class RoundQuery:
    plan_id: uuid.UUID | None = None
    state: str | None = None
    period_key: str | None = None
    scope: str | None = None  # a region: only rounds of plans whose region overlaps it


def _task_count() -> Any:
    tasks = select(func.count()).where(T.c.round_id == R.c.id, T.c.state != "withdrawn")
    return tasks.scalar_subquery().label("task_count")


def _select() -> Select[Any]:
    return select(*R.c, _task_count(), P.c.region_code.label("plan_region_code")).select_from(
        R.join(P, P.c.id == R.c.plan_id)
    )


def overlapping(column: Any, scope: str) -> Any:
    """Rows whose region is covered by `scope` or covers it (the plans a caller may see)."""
    low, high = code_range(scope)
    ancestors = {scope, scope[:4] + "00", scope[:2] + "0000"}
    return or_(column.between(low, high), column.in_(ancestors))


def tasks_from_json(rows: Sequence[dict[str, Any]]) -> Any:
    """`INSERT INTO report_task (...) SELECT ... FROM json_populate_recordset(NULL::report_task, :rows)
    ON CONFLICT DO NOTHING`: the rows as one JSON document, typed by the table's own row type.

    One parameter however many rows: a multi-row VALUES binds columns × rows parameters, and
    PostgreSQL's protocol allows at most 32,767 (about 1,800 tasks). One JSON text rather than an array
    per column: asyncpg checks every element of an array parameter in Python, which was the bulk of
    the scheduler's CPU when opening a round of 50,000 tasks; orjson and PostgreSQL parse JSON in C.
    """
    names = list(rows[0])
    row_type: Any = literal_column(f"NULL::{T.schema}.{T.name}")
    document = cast(bindparam(None, orjson.dumps(list(rows), default=str).decode(), type_=Text), JSON)
    source = func.json_populate_recordset(row_type, document).table_valued(*names).alias("task_rows")
    return (
        insert(T)
        .from_select(names, select(*(source.c[name] for name in names)))
        .on_conflict_do_nothing(index_elements=["round_id", "entity_id"])
        .returning(T.c.id)
    )


class RoundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace_scheduled(self, plan_id: uuid.UUID, rounds: Sequence[dict[str, Any]]) -> None:
        """Drop the plan's unopened rounds and schedule `rounds` instead; a period that already has a
        round (open, closed, cancelled) keeps it."""
        await self.session.execute(delete(R).where(R.c.plan_id == plan_id, R.c.state == "scheduled"))
        if rounds:
            stmt = insert(R).values([{"plan_id": plan_id, "state": "scheduled", **r} for r in rounds])
            await self.session.execute(stmt.on_conflict_do_nothing(index_elements=["plan_id", "period_key"]))

    async def state_of(self, plan_id: uuid.UUID, period_key: str) -> str | None:
        stmt = select(R.c.state).where(R.c.plan_id == plan_id, R.c.period_key == period_key)
        state: str | None = await self.session.scalar(stmt)
        return state

    async def open_scheduled(self, plan_id: uuid.UUID, period_key: str, values: dict[str, Any]) -> RowMapping | None:
        stmt = (
            update(R)
            .where(R.c.plan_id == plan_id, R.c.period_key == period_key, R.c.state == "scheduled")
            .values(**values, version=R.c.version + 1, updated_at=func.now())
            .returning(*R.c)
        )
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def insert_round(self, values: dict[str, Any]) -> RowMapping | None:
        """The new round, or None when its (plan, period key) already has one: opening is idempotent."""
        stmt = (
            insert(R).values(**values).on_conflict_do_nothing(index_elements=["plan_id", "period_key"]).returning(*R.c)
        )
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def insert_tasks(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert the rows (each with the same keys) that have no task yet for their round and entity; the
        number inserted. One statement however many rows: `tasks_from_json`."""
        if not rows:
            return 0
        result = await self.session.execute(tasks_from_json(rows))
        return len(result.all())

    async def get(self, round_id: uuid.UUID) -> RowMapping | None:
        row: RowMapping | None = (await self.session.execute(_select().where(R.c.id == round_id))).mappings().first()
        return row

    async def list(self, query: RoundQuery, page: PageRequest) -> tuple[Sequence[RowMapping], str]:
        stmt = _select()
        if query.plan_id is not None:
            stmt = stmt.where(R.c.plan_id == query.plan_id)
        if query.state is not None:
            stmt = stmt.where(R.c.state == query.state)
        if query.period_key is not None:
            stmt = stmt.where(R.c.period_key == query.period_key)
        if query.scope is not None:
            stmt = stmt.where(overlapping(P.c.region_code, query.scope))
        stmt, key, _ = SORTING.apply(stmt, page)
        return (await self.session.execute(stmt)).mappings().all(), key

    async def transition(
        self, round_id: uuid.UUID, version: int, from_states: Sequence[str], values: dict[str, Any]
    ) -> bool:
        stmt = (
            update(R)
            .where(R.c.id == round_id, R.c.version == version, R.c.state.in_(from_states))
            .values(**values, version=R.c.version + 1, updated_at=func.now())
            .returning(R.c.id)
        )
        return (await self.session.execute(stmt)).first() is not None
