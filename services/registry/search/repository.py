"""The search across industries, enterprises and projects, ranked. Returns rows; never commits, never raises HTTP.

Three index-backed lookups, unioned and grouped by entity: names through the `name_grams` GIN index
(the query's grams contained in the name's, confirmed by ILIKE; migration 0001), unified social
credit codes and project codes by prefix through their pattern indexes (migration 0010). Each hit
is scored (see `SearchHit.score`) and an entity keeps its best score and every field that matched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Numeric, RowMapping, Select, case, cast, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.entities.queries import escape_like, name_contains
from services.registry.models import Enterprise, Entity, Project, table
from shared.pagination import PageRequest, Sorting
from shared.regions import code_range
from shared.schemas.enums import EntityKind, RosterStatus, SearchField

E = table(Entity)
EN = table(Enterprise)
P = table(Project)
SCORE = Numeric(8, 4)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    q: str
    kind: EntityKind | None = None
    region: str | None = None
    roster_status: RosterStatus | None = None
    scope: str | None = None  # a region code: only records in a region it covers


def _closeness(query_length: int, length: Any) -> Any:
    """How much of the matched text the query covers, 0–1."""
    return literal(query_length, Integer) / func.greatest(cast(length, Numeric), 1)


def _within(query: SearchQuery) -> list[ColumnElement[bool]]:
    """The entity conditions of the caller's scope and the filters, applied inside every lookup."""
    conditions: list[ColumnElement[bool]] = []
    for region in (query.scope, query.region):
        if region is not None:
            low, high = code_range(region)
            conditions.append(E.c.region_code.between(low, high))
    if query.kind is not None:
        conditions.append(E.c.kind == query.kind.value)
    if query.roster_status is not None:
        conditions.append(E.c.roster_status == query.roster_status.value)
    return conditions


def _name_hits(query: SearchQuery) -> Select[Any]:
    q = query.q
    lowered = func.lower(E.c.name)
    tier = case((lowered == q.lower(), 3), (lowered.like(escape_like(q.lower()) + "%", escape="\\"), 2), else_=1)
    score = cast(tier + _closeness(len(q), func.char_length(E.c.name)), SCORE)
    return select(E.c.id, score.label("score"), literal(SearchField.entity_name.value).label("field")).where(
        *name_contains(q), *_within(query)
    )


def _code_hits(kind_table: Any, column: Any, field: SearchField, query: SearchQuery) -> Select[Any]:
    code = query.q.upper()
    score = cast(case((column == code, 5), else_=2 + _closeness(len(code), func.char_length(column))), SCORE)
    return (
        select(E.c.id, score.label("score"), literal(field.value).label("field"))
        .select_from(kind_table.join(E, E.c.id == kind_table.c.entity_id))
        .where(column.like(escape_like(code) + "%", escape="\\"), *_within(query))
    )


def search_statement(query: SearchQuery) -> tuple[Select[Any], Sorting]:
    lookups = [_name_hits(query)]
    if query.kind in (None, EntityKind.enterprise):
        lookups.append(_code_hits(EN, EN.c.uscc, SearchField.uscc, query))
    if query.kind in (None, EntityKind.project):
        lookups.append(_code_hits(P, P.c.project_code, SearchField.project_code, query))
    hits = union_all(*lookups).subquery("hits")
    best = (
        select(
            hits.c.id,
            func.max(hits.c.score).label("score"),
            # each lookup finds an entity once at most, so no field repeats
            func.array_agg(aggregate_order_by(hits.c.field, hits.c.field)).label("matched"),
        )
        .group_by(hits.c.id)
        .subquery("best")
    )
    stmt = select(
        E.c.kind,
        E.c.id,
        E.c.name,
        E.c.level,
        E.c.region_code,
        E.c.target_tier,
        E.c.roster_status,
        EN.c.uscc,
        P.c.project_code,
        best.c.matched,
        best.c.score,
    ).select_from(
        best.join(E, E.c.id == best.c.id).outerjoin(EN, EN.c.entity_id == E.c.id).outerjoin(P, P.c.entity_id == E.c.id)
    )
    return stmt, Sorting(columns={"score": best.c.score}, tiebreak=E.c.id, default="-score")


class SearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def search(self, query: SearchQuery, page: PageRequest) -> tuple[Sequence[RowMapping], str]:
        """One page of hits, best first (plus one row to tell whether another follows), and the sort key."""
        stmt, sorting = search_statement(query)
        stmt, key, _ = sorting.apply(stmt, page)
        return (await self.session.execute(stmt)).mappings().all(), key
