"""Every query of imports and exports except the bulk writes: job rows, the lookups row validation
needs, and the rows an export streams.

Returns rows or None; never commits and never raises HTTP errors.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Hashable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Select,
    String,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.entities.kinds import KindSpec
from services.registry.entities.repository import LINKS, EntityQuery, ordered
from services.registry.imports.columns import OWNER_USCC
from services.registry.models import (
    Chain,
    Department,
    Enterprise,
    Entity,
    ImportJob,
    Park,
    Person,
    Project,
    Region,
    table,
)
from shared.leases import Lease
from shared.pagination import PageRequest, Sorting, cut_page
from shared.schemas.enums import EntityKind, ImportStatus

J = table(ImportJob)
E = table(Entity)
# Everything but the uploaded file, which only the runner reads, and the runner's lease.
JOB_COLUMNS = [c for c in J.c if c.key not in {"content", "lease_owner", "lease_expires_at"}]
JOB_LEASE = Lease(J)
JOB_SORTING = Sorting(columns={"created_at": J.c.created_at}, tiebreak=J.c.id, default="-created_at")
TEXT_ARRAY = ARRAY(String)
UNFINISHED = (ImportStatus.pending.value, ImportStatus.running.value)


def export_statement(spec: KindSpec, query: EntityQuery) -> Select[Any]:
    """The list's records in its sort order, unpaged; a project's with its owner's USCC (`owner_uscc`).

    Raises `Invalid` (422) for an unknown sort, so build it before a response starts.
    """
    stmt = ordered(spec, query)
    if spec.kind is EntityKind.project:
        e, p = table(Enterprise), table(Project)
        owner = select(e.c.uscc).where(e.c.entity_id == p.c.owner_enterprise_id).scalar_subquery()
        stmt = stmt.add_columns(owner.label(OWNER_USCC))
    return stmt


def _any_of(column: ColumnElement[Any], values: Sequence[str]) -> ColumnElement[bool]:
    """`column = ANY(:values)`: one array parameter, however many values (IN would bind each)."""
    return column == any_(bindparam(None, list(values), type_=TEXT_ARRAY))


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- jobs -----------------------------------------------------------------------------------

    async def insert_job(self, values: Mapping[str, Any]) -> RowMapping:
        stmt = insert(J).values(**values).returning(*JOB_COLUMNS)
        return (await self.session.execute(stmt)).mappings().one()

    async def get_job(self, job_id: uuid.UUID) -> RowMapping | None:
        return (await self.session.execute(select(*JOB_COLUMNS).where(J.c.id == job_id))).mappings().first()

    async def job_to_run(self, job_id: uuid.UUID) -> RowMapping | None:
        """The job without its file, and `has_file`: whether the file is still stored."""
        stmt = select(*JOB_COLUMNS, J.c.content.is_not(None).label("has_file")).where(J.c.id == job_id)
        return (await self.session.execute(stmt)).mappings().first()

    async def job_content(self, job_id: uuid.UUID) -> bytes | None:
        content: bytes | None = await self.session.scalar(select(J.c.content).where(J.c.id == job_id))
        return content

    async def list_jobs(
        self, page: PageRequest, *, created_by: str | None, kind: str | None, status: str | None
    ) -> tuple[list[RowMapping], str | None]:
        stmt = select(*JOB_COLUMNS)
        for column, value in ((J.c.created_by, created_by), (J.c.kind, kind), (J.c.status, status)):
            if value is not None:
                stmt = stmt.where(column == value)
        stmt, key, sort_column = JOB_SORTING.apply(stmt, page)
        rows = (await self.session.execute(stmt)).mappings().all()
        return cut_page(rows, page, key, sort_column.key or "id")

    async def claim_jobs(self, *, owner: str, now: dt.datetime, duration: dt.timedelta, limit: int) -> list[uuid.UUID]:
        """Lease up to `limit` unfinished jobs no live lease holds, oldest first."""
        rows = await JOB_LEASE.claim(
            self.session,
            owner=owner,
            now=now,
            duration=duration,
            limit=limit,
            due=J.c.status.in_(UNFINISHED),
            order_by=[J.c.created_at],
        )
        return [row["id"] for row in rows]

    async def renew_jobs(
        self, job_ids: Sequence[uuid.UUID], *, owner: str, now: dt.datetime, duration: dt.timedelta
    ) -> None:
        await JOB_LEASE.renew(self.session, job_ids, owner=owner, now=now, duration=duration)

    async def release_job(self, job_id: uuid.UUID, *, owner: str) -> None:
        await JOB_LEASE.release(self.session, job_id, owner=owner)

    async def save_job(self, job_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        await self.session.execute(update(J).where(J.c.id == job_id).values(**values))

    async def save_progress(self, job_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        """`save_job` for counters a restart recomputes anyway: its commit does not wait for the WAL flush."""
        await self.session.execute(text("SET LOCAL synchronous_commit = off"))
        await self.save_job(job_id, values)

    # ---- reference data, loaded once per job ------------------------------------------------------

    async def departments(self) -> list[RowMapping]:
        stmt = select(col(Department.id), col(Department.code), col(Department.name), col(Department.short_name))
        return list((await self.session.execute(stmt)).mappings().all())

    async def regions(self) -> dict[str, str]:
        rows = (await self.session.execute(select(col(Region.code), col(Region.name)))).all()
        return {code: name for code, name in rows}

    async def link_targets(self) -> dict[str, list[RowMapping]]:
        """What an import's link columns may name: chains, parks, persons and industries (`imports.links`)."""
        chain, park, person = table(Chain), table(Park), table(Person)
        statements: dict[str, Select[Any]] = {
            "chains": select(chain.c.id, chain.c.name),
            "parks": select(park.c.id, park.c.name, park.c.region_code),
            "persons": select(person.c.id, person.c.name, person.c.region_code),
            "industries": select(E.c.id, E.c.name, E.c.level, E.c.region_code).where(
                E.c.kind == EntityKind.industry.value
            ),
        }
        return {name: list((await self.session.execute(stmt)).mappings().all()) for name, stmt in statements.items()}

    async def stream(self, stmt: Select[Any], rows_per_page: int) -> AsyncIterator[Sequence[RowMapping]]:
        """The rows of `stmt` through a server-side cursor, `rows_per_page` at a time."""
        result = await self.session.stream(stmt.execution_options(yield_per=rows_per_page))
        async for page in result.mappings().partitions(rows_per_page):
            yield page

    # ---- per batch ---------------------------------------------------------------------------------

    async def existing(self, spec: KindSpec, keys: Sequence[Hashable]) -> dict[Hashable, list[RowMapping]]:
        """The records the keys name (USCC, project code or industry name/level/region), locked, with
        their links (`chain_ids`, `park_ids`, `person_ids`).

        Locked until the batch commits, so an API update racing the import waits and then fails its
        If-Match instead of being overwritten.
        """
        if not keys:
            return {}
        k = spec.table
        links = [
            select(func.coalesce(func.array_agg(t.c[column]), literal_column("'{}'::uuid[]")))
            .where(t.c.entity_id == E.c.id)
            .scalar_subquery()
            .label(name)
            for name, (t, column) in LINKS.items()
        ]
        stmt = select(*E.c, *(c for c in k.c if c.key != "entity_id"), *links).join(k, k.c.entity_id == E.c.id)
        if spec.kind is EntityKind.enterprise:
            stmt = stmt.where(_any_of(k.c.uscc, [str(key) for key in keys]))
        elif spec.kind is EntityKind.project:
            stmt = stmt.where(_any_of(k.c.project_code, [str(key) for key in keys]))
        else:
            stmt = stmt.where(E.c.kind == spec.kind.value, tuple_(E.c.name, E.c.level, E.c.region_code).in_(keys))
        rows = (await self.session.execute(stmt.with_for_update(of=E))).mappings().all()
        found: dict[Hashable, list[RowMapping]] = {}
        for row in rows:
            found.setdefault(upsert_key(spec.kind, row), []).append(row)
        return found

    async def enterprise_ids(self, usccs: Sequence[str]) -> dict[str, uuid.UUID]:
        if not usccs:
            return {}
        stmt = select(col(Enterprise.uscc), col(Enterprise.entity_id)).where(_any_of(table(Enterprise).c.uscc, usccs))
        return {uscc: entity_id for uscc, entity_id in (await self.session.execute(stmt)).all()}


# The fields that identify an existing record an import row updates.
UPSERT_KEYS: dict[EntityKind, tuple[str, ...]] = {
    EntityKind.industry: ("name", "level", "region_code"),
    EntityKind.enterprise: ("uscc",),
    EntityKind.project: ("project_code",),
}


def upsert_key(kind: EntityKind, values: Mapping[Any, Any]) -> Hashable | None:
    """What identifies an existing record (`UPSERT_KEYS`): USCC, project code (None: always new), or
    name, level and region."""
    if kind is EntityKind.enterprise:
        return str(values["uscc"])
    if kind is EntityKind.project:
        return None if values["project_code"] is None else str(values["project_code"])
    return (str(values["name"]), str(values["level"]), str(values["region_code"]))
