"""Queries over report tasks and their submissions. Returns rows or None; never commits.

The task list, the most requested read, runs on the read lane (`TaskLists`): its two statements (the
page and the counts per state) are compiled once per shape of the query (`ListShape`: which filters,
which sort, whether past a cursor) with every value bound at execution.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    RowMapping,
    String,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.models import ReportSubmission, ReportTask, Round, table
from services.scheduler.views import UNSUBMITTED
from shared.pagination import Sorting
from shared.reads import PreparedRead, Reader
from shared.regions import code_range
from shared.schemas.scheduler.responses.tasks import TaskRead

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


# The list's equality filters: TaskQuery's field → the column it filters.
EQUALS: dict[str, ColumnElement[Any]] = {
    "round_id": T.c.round_id,
    "plan_id": T.c.plan_id,
    "entity_id": T.c.entity_id,
    "kind": T.c.entity_kind,
    "department": T.c.lead_department_code,
    "state": T.c.state,
}
# Each a code range bound as <name>_low and <name>_high, or, for a county (a range of one code), the
# code itself as <name>_code: an equality lets a county's page read the index in deadline order.
REGIONS = ("region", "scope")
NOW = bindparam("now", type_=T.c.due_at.type)


# `= ANY(array)` rather than `IN (...)`, whose list SQLAlchemy renders only once it has every value.
UNSUBMITTED_STATES = bindparam("unsubmitted", list(UNSUBMITTED), type_=ARRAY(String))


def _overdue(now: Any) -> ColumnElement[bool]:
    return and_(T.c.state == any_(UNSUBMITTED_STATES), T.c.due_at <= now)


def _read_column(name: str) -> ColumnElement[Any]:
    """`TaskRead`'s field as the list selects it: `overdue` worked out against the bound `now` (as
    `views.is_overdue` does), the figures as their JSON text (`views.task_page_json` passes it on)."""
    if name == "overdue":
        return _overdue(NOW).label("overdue")
    if name == "figures":
        return cast(T.c.figures, Text).label("figures")
    column: ColumnElement[Any] = T.c[name]
    return column


READ_COLUMNS = tuple(_read_column(name) for name in TaskRead.model_fields)


def _single(code: str) -> bool:
    low, high = code_range(code)
    return low == high


@dataclass(frozen=True, slots=True)
class ListShape:
    """What the list's statements depend on besides bound values: one compiled pair per shape."""

    equals: tuple[str, ...]  # names of EQUALS, in its order
    regions: tuple[tuple[str, bool], ...]  # names of REGIONS, each with whether it is a single code
    overdue: bool | None
    sort: str
    after: bool  # seeking past a cursor

    @classmethod
    def of(cls, query: TaskQuery, sort: str, after: bool) -> ListShape:
        return cls(
            equals=tuple(name for name in EQUALS if getattr(query, name) is not None),
            regions=tuple((name, _single(code)) for name in REGIONS if (code := getattr(query, name)) is not None),
            overdue=query.overdue,
            sort=sort,
            after=after,
        )


def list_values(query: TaskQuery, now: dt.datetime, limit: int, after: Sequence[Any]) -> dict[str, Any]:
    """The values the statements of `query`'s shape are bound with (`limit + 1` rows: is there more?)."""
    values: dict[str, Any] = {name: getattr(query, name) for name in EQUALS}
    for name in REGIONS:
        code = getattr(query, name)
        if code is not None and _single(code):
            values[f"{name}_code"] = code
        elif code is not None:
            values[f"{name}_low"], values[f"{name}_high"] = code_range(code)
    values |= {"now": now, "limit": limit + 1}
    if after:
        values["after_key"], values["after_id"] = after
    return values


def _where(shape: ListShape, *, with_state: bool) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        EQUALS[name] == bindparam(name, type_=EQUALS[name].type)
        for name in shape.equals
        if with_state or name != "state"
    ]
    where += [
        T.c.region_code == bindparam(f"{name}_code", type_=String)
        if single
        else T.c.region_code.between(bindparam(f"{name}_low", type_=String), bindparam(f"{name}_high", type_=String))
        for name, single in shape.regions
    ]
    if shape.overdue is not None:
        where.append(_overdue(NOW) if shape.overdue else ~_overdue(NOW))
    return where


@functools.lru_cache(maxsize=512)
def prepared_page(shape: ListShape) -> PreparedRead:
    """A page of tasks in the shape's order, past the cursor's key and id when seeking."""
    key, column, descending = SORTING.resolve(shape.sort)
    stmt = select(*READ_COLUMNS).where(*_where(shape, with_state=True))
    if shape.after:
        pair = tuple_(column, T.c.id)
        bound = tuple_(bindparam("after_key", type_=column.type), bindparam("after_id", type_=T.c.id.type))
        stmt = stmt.where(pair < bound if descending else pair > bound)
    return PreparedRead.of(SORTING.order(stmt, key).limit(bindparam("limit", type_=Integer)))


@functools.lru_cache(maxsize=512)
def prepared_counts(shape: ListShape) -> PreparedRead:
    """The tasks matching every filter of the shape but the state, by state, and how many are overdue."""
    stmt = select(T.c.state, func.count().label("n"), func.count().filter(_overdue(NOW)).label("late"))
    return PreparedRead.of(stmt.where(*_where(shape, with_state=False)).group_by(T.c.state))


class TaskLists:
    """The task list on the read lane: two statements, each compiled once per shape, no unit of work.

    The page and the counts are read by two statements, each seeing the rows committed when it
    starts (as they did in the request's READ COMMITTED transaction before).
    """

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    async def page(self, shape: ListShape, values: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
        return await self.reader.fetch(prepared_page(shape), values)

    async def counts(self, shape: ListShape, values: Mapping[str, Any]) -> tuple[dict[str, int], int]:
        rows = await self.reader.fetch(prepared_counts(shape), values)
        return {r["state"]: r["n"] for r in rows}, sum(r["late"] for r in rows)


class TaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, task_id: uuid.UUID) -> RowMapping | None:
        stmt = select(T, R.c.state.label("round_state")).select_from(T.join(R, R.c.id == T.c.round_id))
        row: RowMapping | None = (await self.session.execute(stmt.where(T.c.id == task_id))).mappings().first()
        return row

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
