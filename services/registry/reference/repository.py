"""Every query of reference data: regions, the declared resources, and the lookups other rules need.

Returns rows, booleans or None; never commits and never raises HTTP errors.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, FromClause, RowMapping, Select, Table, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Chain, Department, Enterprise, Entity, Industry, Park, Person, Region, table
from shared.pagination import PageRequest, Sorting
from shared.regions import code_range
from shared.repository import VersionedRepository
from shared.schemas.enums import Level

REGION = table(Region)
DEPARTMENT = table(Department)
ENTERPRISE = table(Enterprise)
ENTITY = table(Entity)
INDUSTRY = table(Industry)


@dataclass(frozen=True, slots=True)
class ReferenceQuery:
    """One list of a declared resource: its own filters by column, and the ones every list takes."""

    equals: Mapping[str, Any] = field(default_factory=dict)  # column name → the value it must hold
    region: str | None = None  # a region code: only records in a region it covers
    name_contains: str | None = None
    scope: str | None = None  # the caller's read scope, for resources seen only within it


class ResourceRepository(VersionedRepository):
    """Rows of one declared reference resource (see `reference.resources`)."""

    def __init__(
        self,
        session: AsyncSession,
        table: Table,
        sort_columns: Sequence[str],
        read_source: FromClause | None = None,
        read_columns: Sequence[Any] = (),
    ) -> None:
        super().__init__(session, table)
        self.sorting = Sorting(columns={c: table.c[c] for c in sort_columns}, tiebreak=table.c.id, default="name")
        # Read beside the row's own columns by `read` and `list` (a chain's or a park's members, from the
        # LATERALs `read_source` joins), taking `scope_low`/`scope_high` at execution
        # (`entities.links.scope_bounds`).
        self.read_source = table if read_source is None else read_source
        self.read_columns = tuple(read_columns)

    def _read(self) -> Select[Any]:
        return select(self.table, *self.read_columns).select_from(self.read_source)

    async def read(self, id_: Any, scope: Mapping[str, str]) -> RowMapping | None:
        """The record with its read columns, in one statement; None when absent."""
        stmt = self._read().where(self.table.c.id == id_)
        row: RowMapping | None = (await self.session.execute(stmt, dict(scope))).mappings().first()
        return row

    async def list(
        self, query: ReferenceQuery, page: PageRequest, scope: Mapping[str, str]
    ) -> tuple[Sequence[RowMapping], str, str]:
        """One page (plus one row to tell whether another follows), the resolved sort key and its column."""
        t = self.table
        conditions: list[ColumnElement[bool]] = [t.c[name] == value for name, value in query.equals.items()]
        for region in (query.region, query.scope):
            if region is not None:
                low, high = code_range(region)
                conditions.append(t.c.region_code.between(low, high))
        if query.name_contains:
            conditions.append(t.c.name.contains(query.name_contains, autoescape=True))
        stmt: Select[Any] = self._read()
        if conditions:
            stmt = stmt.where(and_(*conditions))
        stmt, key, column = self.sorting.apply(stmt, page)
        rows: Sequence[RowMapping] = (await self.session.execute(stmt, dict(scope))).mappings().all()
        return rows, key, column.key or "id"

    async def clash(
        self, unique: Iterable[Sequence[str]], values: Mapping[str, Any], exclude_id: Any = None
    ) -> RowMapping | None:
        """A record other than `exclude_id` holding the same values on any of the `unique` keys."""
        t = self.table
        clauses = [and_(*(t.c[c] == values[c] for c in key)) for key in unique if all(c in values for c in key)]
        if not clauses:
            return None
        stmt = select(t).where(or_(*clauses))
        if exclude_id is not None:
            stmt = stmt.where(t.c.id != exclude_id)
        return (await self.session.execute(stmt.limit(1))).mappings().first()


class RegionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(self, *, level: Level | None = None, parent: str | None = None) -> Sequence[RowMapping]:
        stmt = select(REGION).order_by(REGION.c.code)
        if level is not None:
            stmt = stmt.where(REGION.c.level == level.value)
        if parent is not None:
            stmt = stmt.where(REGION.c.parent_code == parent)
        return (await self.session.execute(stmt)).mappings().all()

    async def get(self, code: str) -> RowMapping | None:
        return (await self.session.execute(select(REGION).where(REGION.c.code == code))).mappings().first()


class ReferenceLookups:
    """Whether the records a write names exist, and what the caller's department leads."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def region_exists(self, code: str) -> bool:
        return await self.session.scalar(select(REGION.c.code).where(REGION.c.code == code)) is not None

    async def department_exists(self, department_id: uuid.UUID) -> bool:
        stmt = select(DEPARTMENT.c.id).where(DEPARTMENT.c.id == department_id)
        return await self.session.scalar(stmt) is not None

    async def department_domains(self, code: str) -> frozenset[str]:
        """The domains the department with this code leads (none when there is no such department)."""
        found = await self.session.scalar(select(DEPARTMENT.c.domains).where(DEPARTMENT.c.code == code))
        return frozenset(found or ())

    async def enterprise_exists(self, enterprise_id: uuid.UUID) -> bool:
        stmt = select(ENTERPRISE.c.entity_id).where(ENTERPRISE.c.entity_id == enterprise_id)
        return await self.session.scalar(stmt) is not None

    async def persons_missing(self, ids: Iterable[uuid.UUID], scope: str | None = None) -> list[uuid.UUID]:
        """Those of `ids` that name no person within `scope` (a region with everything below it)."""
        return await self.missing(table(Person), "id", ids, scope)

    async def chains_missing(self, ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
        return await self.missing(table(Chain), "id", ids)

    async def parks_missing(self, ids: Iterable[uuid.UUID], scope: str | None = None) -> list[uuid.UUID]:
        """Those of `ids` that name no park within `scope` (a region with everything below it)."""
        return await self.missing(table(Park), "id", ids, scope)

    async def industries_missing(self, ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
        return await self.missing(table(Industry), "entity_id", ids)

    async def industry_placement(self, industry_id: uuid.UUID) -> tuple[Level, str] | None:
        """The level and region code of the industry with this id; None when there is none."""
        stmt = (
            select(ENTITY.c.level, ENTITY.c.region_code)
            .join(INDUSTRY, INDUSTRY.c.entity_id == ENTITY.c.id)
            .where(ENTITY.c.id == industry_id)
        )
        row = (await self.session.execute(stmt)).first()
        return None if row is None else (Level(row.level), row.region_code)

    async def industry_links(self, industry_id: uuid.UUID) -> tuple[tuple[Level, str] | None, list[tuple[Level, str]]]:
        """Where the industry's parent sits (None without one) and where each of its child industries sits."""
        parent_id = select(INDUSTRY.c.parent_industry_id).where(INDUSTRY.c.entity_id == industry_id).scalar_subquery()
        parent = (
            await self.session.execute(select(ENTITY.c.level, ENTITY.c.region_code).where(ENTITY.c.id == parent_id))
        ).first()
        children = (
            await self.session.execute(
                select(ENTITY.c.level, ENTITY.c.region_code)
                .join(INDUSTRY, INDUSTRY.c.entity_id == ENTITY.c.id)
                .where(INDUSTRY.c.parent_industry_id == industry_id)
                .order_by(ENTITY.c.region_code)
            )
        ).all()
        return (
            None if parent is None else (Level(parent.level), parent.region_code),
            [(Level(c.level), c.region_code) for c in children],
        )

    async def missing(
        self, table: Table, column: str, ids: Iterable[uuid.UUID], scope: str | None = None
    ) -> list[uuid.UUID]:
        """Those of `ids` no row of `table` holds in `column` (within `scope`, when the table's rows
        belong to regions and a scope is given), in a stable order."""
        wanted = set(ids)
        if not wanted:
            return []
        stmt = select(table.c[column]).where(table.c[column].in_(wanted))
        if scope is not None:
            low, high = code_range(scope)
            stmt = stmt.where(table.c.region_code.between(low, high))
        found = set((await self.session.scalars(stmt)).all())
        return sorted(wanted - found, key=str)
