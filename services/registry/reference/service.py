"""Regions, and the declared reference records: create, read, change and delete them, with audit and
change feed in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlalchemy import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.access import Access
from services.registry.conflicts import unique_conflicts
from services.registry.entities.links import scope_bounds
from services.registry.events.repository import record_change
from services.registry.reference.repository import (
    ReferenceLookups,
    ReferenceQuery,
    RegionRepository,
    ResourceRepository,
)
from services.registry.reference.resources import ReferenceResource, _Filters
from shared.audit import AuditLog
from shared.concurrency import stale
from shared.context import RequestContext
from shared.errors import AppError, Conflict, NotFound
from shared.pagination import PageRequest, cut_page
from shared.repository import reject_nulls
from shared.schemas.common import PageParams
from shared.schemas.enums import Level
from shared.schemas.registry.responses.reference import RegionDetail, RegionRead


def _jsonable(row: RowMapping) -> dict[str, Any]:
    data: dict[str, Any] = to_jsonable_python(dict(row))
    return data


class RegionService:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = RegionRepository(session)

    async def list(self, *, level: Level | None, parent: str | None) -> list[RegionRead]:
        return [RegionRead.model_validate(dict(r)) for r in await self.repo.list(level=level, parent=parent)]

    async def get(self, code: str) -> RegionDetail:
        """The region and its direct children; 404 for a code that names no region."""
        region = await self.repo.get(code)
        if region is None:
            raise NotFound("行政区划不存在", code="region_not_found")
        children = await self.list(level=None, parent=code)
        return RegionDetail(**RegionRead.model_validate(dict(region)).model_dump(), children=children)


class ReferenceService:
    def __init__(self, session: AsyncSession, resource: ReferenceResource, access: Access, audit: AuditLog) -> None:
        self.session = session
        self.resource = resource
        self.access = access
        self.audit = audit
        self.repo = ResourceRepository(
            session, resource.table, resource.sort_columns, resource.read_source, resource.member_columns
        )
        self.scope = scope_bounds(access.principal.read_scope)
        self.lookups = ReferenceLookups(session)

    def _require_write(self, region_code: str | None) -> None:
        principal = self.access.principal
        if self.resource.admin_only or region_code is None:
            principal.require_admin()
        else:
            self.access.require_region_write(region_code)

    async def list(self, filters: _Filters) -> tuple[list[BaseModel], str | None]:
        equals = filters.model_dump(exclude={"q", "sort", "region", *PageParams.model_fields}, exclude_none=True)
        scope = self.access.principal.read_scope if self.resource.scoped else None
        query = ReferenceQuery(
            equals=equals, region=getattr(filters, "region", None), name_contains=filters.q, scope=scope
        )
        page = PageRequest(limit=filters.limit, cursor=filters.cursor, sort=filters.sort)
        rows, key, sort_attr = await self.repo.list(query, page, self.scope)
        items, cursor = cut_page(rows, page, key, sort_attr)
        return [self.resource.render(r, self.access) for r in items], cursor

    def _not_found(self) -> NotFound:
        return NotFound(f"{self.resource.label}不存在", code=f"{self.resource.resource_type}_not_found")

    async def get(self, id_: Any) -> BaseModel:
        """The record as the caller reads it, with its members within the caller's scope."""
        row = await self.repo.read(id_, self.scope)
        if row is None or not self._visible(row):
            raise self._not_found()
        return self.render(row)

    async def _written(self, row: RowMapping) -> BaseModel:
        """A record just written, as a read gives it (with its members, where it has any)."""
        return self.render(row) if self.resource.member_link is None else await self.get(row["id"])

    def _visible(self, row: RowMapping) -> bool:
        return not self.resource.scoped or self.access.can_read(row["region_code"])

    async def _row(self, id_: Any) -> RowMapping:
        """The record, for a read or a write: 404 when absent or, for a scoped resource, outside the scope."""
        row = await self.repo.get(id_)
        if row is None or not self._visible(row):
            raise self._not_found()
        return row

    async def _lost_race(self, id_: Any) -> AppError:
        """A versioned write matched no row: another request changed or deleted it since we read it."""
        latest = await self.repo.get(id_)
        return self._not_found() if latest is None else stale(latest["version"])

    def render(self, row: RowMapping) -> BaseModel:
        return self.resource.render(row, self.access)

    async def _existing_clash(self, values: Mapping[str, Any], exclude_id: Any = None) -> RowMapping | None:
        return await self.repo.clash(self.resource.unique, values, exclude_id)

    def _duplicate(self, existing: RowMapping) -> Conflict:
        if not self._visible(existing):  # say only that it is taken, never by whom
            return Conflict(f"{self.resource.label}已存在", code=f"{self.resource.resource_type}_duplicate")
        return Conflict(
            f"{self.resource.label}已存在：{existing['name']}",
            code=f"{self.resource.resource_type}_duplicate",
            extra={"existing_id": str(existing["id"])},
        )

    async def create(self, ctx: RequestContext, body: BaseModel) -> BaseModel:
        values = body.model_dump()
        self._require_write(values.get("region_code"))
        for check in self.resource.checks:
            await check(self.lookups, values)
        if (existing := await self._existing_clash(values)) is not None:
            raise self._duplicate(existing)
        with unique_conflicts():  # a concurrent write won the unique race
            row = await self.repo.insert(values)
        after = _jsonable(row)
        await self.audit.record(
            self.session,
            ctx,
            action="create",
            resource_type=self.resource.resource_type,
            resource_id=row["id"],
            after=after,
        )
        await record_change(self.session, self.resource.resource_type, row["id"], "created", after)
        return await self._written(row)

    async def update(self, ctx: RequestContext, id_: Any, expected_version: int, body: BaseModel) -> BaseModel:
        current = await self._row(id_)
        self._require_write(current.get("region_code"))
        if current["version"] != expected_version:
            raise stale(current["version"])
        values = body.model_dump(exclude_unset=True)
        reject_nulls(values, self.resource.table.c)
        for check in self.resource.checks:
            await check(self.lookups, values)
        if (existing := await self._existing_clash({**dict(current), **values}, exclude_id=id_)) is not None:
            raise self._duplicate(existing)
        with unique_conflicts():  # a concurrent write won the unique race
            row = await self.repo.update_versioned(id_, expected_version, values)
        if row is None:
            raise await self._lost_race(id_)
        before, after = _jsonable(current), _jsonable(row)
        await self.audit.record(
            self.session,
            ctx,
            action="update",
            resource_type=self.resource.resource_type,
            resource_id=id_,
            before=before,
            after=after,
        )
        await record_change(self.session, self.resource.resource_type, id_, "updated", after)
        return await self._written(row)

    async def delete(self, ctx: RequestContext, id_: Any, expected_version: int) -> None:
        current = await self._row(id_)
        self._require_write(current.get("region_code"))
        if current["version"] != expected_version:
            raise stale(current["version"])
        try:
            async with self.session.begin_nested():
                deleted = await self.repo.delete_versioned(id_, expected_version)
        except IntegrityError as exc:
            raise Conflict(
                f"{self.resource.label}仍被名单对象引用，不能删除", code=f"{self.resource.resource_type}_in_use"
            ) from exc
        if not deleted:
            raise await self._lost_race(id_)
        await self.audit.record(
            self.session,
            ctx,
            action="delete",
            resource_type=self.resource.resource_type,
            resource_id=id_,
            before=_jsonable(current),
        )
        await record_change(self.session, self.resource.resource_type, id_, "deleted", {"id": str(id_)})
