"""Domain verbs on industries, enterprises and projects: the rules, scope, audit and change feed.

Every write runs inside the request's transaction: the entity, its links and child rows, the
automatic roster inclusion, the audit event and the change-feed event commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.util import LRUCache

from services.registry.access import Access
from services.registry.conflicts import unique_conflicts
from services.registry.entities import rules
from services.registry.entities.kinds import ENTITY_COLUMNS, LINK_FIELDS, EntityFilters, KindSpec
from services.registry.entities.links import scope_bounds
from services.registry.entities.queries import prepared_read_as_of, prepared_read_by_id
from services.registry.entities.repository import EntityQuery, EntityRepository, page_statement
from services.registry.entities.views import feed_payload, item_json, page_json, render
from services.registry.events.repository import record_change
from services.registry.models import Entity, table
from services.registry.pointintime import PointInTime
from services.registry.reference.repository import ReferenceLookups
from shared.audit import AuditLog
from shared.auth import Principal
from shared.concurrency import stale
from shared.context import RequestContext, local_date
from shared.errors import AppError, Conflict, FieldError, Invalid, NotFound
from shared.pagination import PageRequest, cut_page
from shared.reads import PreparedRead, Reader
from shared.repository import reject_nulls
from shared.schemas.enums import EntityKind, Level, RosterAction, RosterStatus


async def read_one(
    reader: Reader,
    spec: KindSpec,
    principal: Principal,
    entity_id: uuid.UUID,
    today: dt.date,
    point: PointInTime = PointInTime(),
) -> RecordOfRow:
    """GET by id: one statement on the read lane, outside any unit of work.

    With `as_of`, the record as it stood that day (as lists give it): its roster state and size then,
    and the caller's scope applied to its region then; 404 when it was not yet on the roster. With
    `known_at`, as the registry had recorded it by then (404 when it had no record of it yet).
    `today` is the programme's date (approvals overdue on it are flagged)."""
    as_of, known_at = point.as_of, point.known_at
    read = prepared_read_by_id(spec) if as_of is None else prepared_read_as_of(spec, as_of, known_at)
    row = await reader.fetchrow(read, {"entity_id": entity_id} | scope_bounds(principal.read_scope))
    access = Access.reading(principal)
    return RecordOfRow(spec, _readable(spec, row, access), access, today)


@dataclass(frozen=True, slots=True)
class RecordOfRow:
    """One record as read, for its caller: `json()` is the response body (`spec.read` as written from the
    row, like a page's items), `version` its ETag's."""

    spec: KindSpec
    row: Mapping[str, Any]
    access: Access
    today: dt.date

    @property
    def version(self) -> int:
        version: int = self.row["version"]
        return version

    def json(self) -> bytes:
        return item_json(self.spec, self.row, self.access, self.today)


# The statements of the lists asked for lately, bound and compiled: a list's statement is a function of
# its kind, filters, page, the caller's scope and the programme's date alone, and clients (dashboards,
# a frontend's first page of a filter) ask for the same lists over and over. Building one and finding its
# compiled form costs more than rendering the page's JSON; a hit costs a dict lookup. Rows are read anew.
_PAGE_READS: LRUCache[Any, tuple[PreparedRead, str, str]] = LRUCache(1024)


def _page_read(spec: KindSpec, query: EntityQuery, page: PageRequest) -> tuple[PreparedRead, str, str]:
    """The page's statement ready to run, the sort key it resolved and the row attribute it sorts by."""
    cache_key = (spec.kind, query.scope, query.today, query.point, tuple(query.filters.__dict__.items()), page)
    found = _PAGE_READS.get(cache_key)
    if found is None:
        stmt, key, sort_attr = page_statement(spec, query, page)
        found = _PAGE_READS[cache_key] = (PreparedRead.bound(stmt, scope_bounds(query.scope)), key, sort_attr)
    return found


@dataclass(frozen=True, slots=True)
class PageOfRows:
    """One page of a list as read, for its caller: `json()` is the response body."""

    spec: KindSpec
    rows: Sequence[Mapping[str, Any]]
    next_cursor: str | None
    access: Access
    today: dt.date

    def json(self) -> bytes:
        return page_json(self.spec, self.rows, self.next_cursor, self.access, self.today)


async def read_page(
    reader: Reader, spec: KindSpec, principal: Principal, filters: EntityFilters, now: dt.datetime, zone: ZoneInfo
) -> PageOfRows:
    """A filtered list's page: one statement on the read lane, outside any unit of work, like `read_one`."""
    page = PageRequest(limit=filters.limit, cursor=filters.cursor, sort=filters.sort)
    query = EntityQuery.of(filters, principal.read_scope, now=now, zone=zone)
    read, key, sort_attr = _page_read(spec, query, page)
    rows = await reader.fetch(read, {})
    items, cursor = cut_page(rows, page, key, sort_attr)
    return PageOfRows(spec, items, cursor, Access.reading(principal), local_date(now, zone))


def _readable(spec: KindSpec, row: Mapping[Any, Any] | None, access: Access) -> Mapping[Any, Any]:
    """The row, if the caller may read it: a record outside the caller's scope does not exist for them."""
    if row is None or not access.can_read(row["region_code"]):
        raise NotFound(f"{spec.label}不存在", code=f"{spec.kind.value}_not_found")
    return row


def _visible(spec: KindSpec, row: Mapping[Any, Any] | None, access: Access, today: dt.date) -> BaseModel:
    """The row in its API shape, if the caller may read it."""
    return render(spec, _readable(spec, row, access), access, today)


class EntityService:
    def __init__(self, session: AsyncSession, spec: KindSpec, access: Access, audit: AuditLog, today: dt.date) -> None:
        """`today` is the programme's date of the request (approvals overdue on it are flagged)."""
        self.session = session
        self.spec = spec
        self.access = access
        self.audit = audit
        self.today = today
        self.repo = EntityRepository(session)
        self.lookups = ReferenceLookups(session)

    # ---- reads ------------------------------------------------------------------------------------

    async def get(self, entity_id: uuid.UUID) -> BaseModel:
        """The record as this transaction sees it (after a write, say); `read_one` serves plain GETs."""
        row = await self.repo.read(self.spec, entity_id, self.access.principal.read_scope)
        return _visible(self.spec, row, self.access, self.today)

    # ---- validation shared by create and update ----------------------------------------------------

    async def _check_references(
        self,
        values: dict[str, Any],
        entity_id: uuid.UUID | None = None,
        placement: Mapping[str, Any] | None = None,
    ) -> None:
        """Every reference the body names must exist and fit; all problems are reported at once.

        `placement` is the stored record's level and region, which an update's body does not carry."""
        found: list[FieldError | None] = []
        repo = self.lookups
        if "region_code" in values:
            code = values["region_code"]
            found.append(rules.region_known(code, exists=await repo.region_exists(code)))
        if (dept := values.get("lead_department_id")) is not None:
            found.append(rules.department_known(exists=await repo.department_exists(dept)))
        # Parks and persons are seen within the caller's region scope only, so a link may name only
        # those the caller can see (any other is "not found", as its GET says). Chains are province-wide,
        # and industries are linked upwards by design (a county enterprise belongs to a province industry).
        scope = self.access.principal.read_scope
        for field, finder, label in (
            ("person_ids", partial(repo.persons_missing, scope=scope), "责任人"),
            ("chain_ids", repo.chains_missing, "产业链"),
            ("park_ids", partial(repo.parks_missing, scope=scope), "园区"),
            ("industry_ids", repo.industries_missing, "产业"),
        ):
            if values.get(field):
                missing = await finder(values[field])
                if missing:
                    found.append(
                        FieldError(field, f"{label}不存在：{', '.join(map(str, missing))}", f"{field[:-4]}_unknown")
                    )
        if self.spec.kind is EntityKind.industry and values.get("parent_industry_id") is not None:
            parent = values["parent_industry_id"]
            own = placement or values
            found.append(
                rules.parent_industry(
                    is_self=parent == entity_id,
                    level=Level(own["level"]),
                    region_code=own["region_code"],
                    parent=await repo.industry_placement(parent),
                )
            )
        if (owner := values.get("owner_enterprise_id")) is not None:
            found.append(rules.owner_known(exists=await repo.enterprise_exists(owner)))
        errors = [e for e in found if e is not None]
        if errors:
            raise Invalid(
                "；".join(e.message for e in errors), code=errors[0].code if len(errors) == 1 else None, errors=errors
            )
        await self._check_unique(values, entity_id)

    async def _check_project_code(self, values: Mapping[str, Any], today: dt.date) -> None:
        if (code := values.get("project_code")) is not None:
            region = rules.project_code_region(code)
            exists = region.startswith("43") and await self.lookups.region_exists(region)
            rules.require(rules.project_code(code, today=today, region_exists=exists))

    async def _check_unique(self, values: dict[str, Any], entity_id: uuid.UUID | None) -> None:
        existing: RowMapping | None = None
        if values.get("uscc"):
            existing = await self.repo.enterprise_by_uscc(values["uscc"])
            code, what = "enterprise_uscc_duplicate", f"统一社会信用代码 {values['uscc']}"
        elif values.get("project_code"):
            existing = await self.repo.project_by_code(values["project_code"])
            code, what = "project_code_duplicate", f"项目代码 {values['project_code']}"
        if existing is None or existing["id"] == entity_id:
            return
        if not self.access.can_read(existing["region_code"]):  # say only that it is taken, never by whom
            raise Conflict(f"{what} 已被使用", code=code)
        raise Conflict(
            f"{what} 已被“{existing['name']}”使用",
            code=code,
            extra={"existing_id": str(existing["id"]), "existing_name": existing["name"]},
        )

    # ---- writes -----------------------------------------------------------------------------------

    async def create(self, ctx: RequestContext, body: BaseModel) -> BaseModel:
        values = body.model_dump()
        self.access.require_entity_write(values["region_code"], values["domain"].value)
        await self._check_project_code(values, ctx.today)
        await self._check_references(values)
        listed_on = values.pop("listed_on") or ctx.today
        rules.require(rules.listed_on(listed_on, ctx.today))
        reason, document_ref = values.pop("listing_reason"), values.pop("document_ref")
        entity = await self.repo.insert_entity(
            {c: values[c] for c in ENTITY_COLUMNS}
            | {"kind": self.spec.kind.value, "listed_on": listed_on, "roster_status": RosterStatus.listed.value}
        )
        entity_id = entity["id"]
        with unique_conflicts():  # a concurrent write took the same USCC or project code
            await self.repo.insert_kind_row(
                self.spec, {"entity_id": entity_id} | {c: values[c] for c in self.spec.own_columns}
            )
        if not values.get("green_channel"):  # a new record is outside the channel already (and has no note)
            values.pop("green_channel", None)
            values.pop("green_channel_note", None)
        await self._write_children(ctx, entity_id, values)
        await self.repo.insert_adjustment(
            {
                "entity_id": entity_id,
                "action": RosterAction.include.value,
                "reason": reason,
                "effective_on": listed_on,
                "document_ref": document_ref,
                "actor_sub": ctx.principal.sub,
                "actor_name": ctx.principal.name,
                "to_level": entity["level"],
                "to_region_code": entity["region_code"],
                "to_tier": entity["target_tier"],
                "status_after": RosterStatus.listed.value,
            }
        )
        created = await self.get(entity_id)
        payload = feed_payload(created)
        await self.audit.record(
            self.session, ctx, action="create", resource_type=self.spec.kind.value, resource_id=entity_id, after=payload
        )
        await record_change(self.session, self.spec.kind.value, entity_id, "created", payload)
        return created

    async def _write_children(self, ctx: RequestContext, entity_id: uuid.UUID, values: dict[str, Any]) -> None:
        for field in LINK_FIELDS:
            if values.get(field) is not None:
                await self.repo.replace_links(entity_id, field, values[field])
        if values.get("industry_ids") is not None:
            await self.repo.replace_enterprise_industries(entity_id, values["industry_ids"])
        if values.get("annual_plans") is not None:
            await self.repo.replace_annual_plans(entity_id, values["annual_plans"])
        if values.get("approvals") is not None:
            await self.repo.replace_approvals(entity_id, values["approvals"])
        await self._write_green_channel(ctx, entity_id, values)

    async def _write_green_channel(self, ctx: RequestContext, project_id: uuid.UUID, values: dict[str, Any]) -> None:
        """Enter or leave the green channel, or change its note. Entering again keeps who and when."""
        entering, note = values.get("green_channel"), values.get("green_channel_note")
        note_sent = "green_channel_note" in values
        if entering is False:
            if note:
                raise Invalid.field(
                    "green_channel_note", "移出绿色通道时不能填写绿色通道说明", "green_channel_note_without_entry"
                )
            await self.repo.leave_green_channel(project_id)
        elif entering:
            await self.repo.enter_green_channel(
                project_id,
                by=ctx.principal.sub,
                by_name=ctx.principal.name,
                at=ctx.now,
                note=(note or "") if note_sent else None,
            )
        elif note_sent and not await self.repo.set_green_channel_note(project_id, note or "") and note:
            raise Invalid.field(
                "green_channel_note", "项目不在绿色通道内，不能填写绿色通道说明", "green_channel_note_without_entry"
            )

    async def _current(self, entity_id: uuid.UUID) -> BaseModel:
        """The record for a write: 404 when absent or outside the caller's read scope."""
        return await self.get(entity_id)

    async def _lost_race(self, entity_id: uuid.UUID) -> AppError:
        """A versioned write matched no row: another request changed or deleted it since it was read."""
        latest = await self.repo.version_of(entity_id)
        return self._not_found() if latest is None else stale(latest)

    def _not_found(self) -> NotFound:
        return NotFound(f"{self.spec.label}不存在", code=f"{self.spec.kind.value}_not_found")

    async def update(
        self, ctx: RequestContext, entity_id: uuid.UUID, expected_version: int, body: BaseModel
    ) -> BaseModel:
        before = await self._current(entity_id)
        current: dict[str, Any] = before.model_dump()
        values = body.model_dump(exclude_unset=True)
        self.access.require_entity_update(current["region_code"], str(current["domain"]), self.spec.kind.value, values)
        reject_nulls(
            values,
            (*table(Entity).c, *self.spec.table.c),
            also=(*LINK_FIELDS, "industry_ids", "annual_plans", "approvals", "green_channel"),
        )
        if current["version"] != expected_version:
            raise stale(current["version"])
        merged = current | values
        if "domain" in values:
            self.access.require_entity_write(merged["region_code"], str(merged["domain"]))
        rules.require(rules.project_dates(merged))
        await self._check_project_code(values, ctx.today)
        await self._check_references(values, entity_id, placement=current)
        if not await self.repo.update_entity(
            entity_id, expected_version, {c: values[c] for c in ENTITY_COLUMNS if c in values}
        ):
            raise await self._lost_race(entity_id)
        with unique_conflicts():  # a concurrent write took the same USCC or project code
            await self.repo.update_kind_row(
                self.spec, entity_id, {c: values[c] for c in self.spec.own_columns if c in values}
            )
        await self._write_children(ctx, entity_id, values)
        after = await self.get(entity_id)
        payload = feed_payload(after)
        await self.audit.record(
            self.session,
            ctx,
            action="update",
            resource_type=self.spec.kind.value,
            resource_id=entity_id,
            before=feed_payload(before),
            after=payload,
        )
        await record_change(self.session, self.spec.kind.value, entity_id, "updated", payload)
        return after

    async def delete(self, ctx: RequestContext, entity_id: uuid.UUID, expected_version: int) -> None:
        """Remove a record entered by mistake. One with history leaves the list by a roster removal."""
        before = await self._current(entity_id)
        current = before.model_dump()
        self.access.require_entity_write(current["region_code"], str(current["domain"]))
        if current["version"] != expected_version:
            raise stale(current["version"])
        if await self.repo.has_history(entity_id):
            raise Conflict(
                f"该{self.spec.label}已有指标或名单调整记录，不能删除；请通过名单调整（remove）移出名单",
                code="entity_has_history",
            )
        try:
            async with self.session.begin_nested():
                deleted = await self.repo.delete_entity(entity_id, expected_version)
        except IntegrityError as exc:
            raise Conflict(f"该{self.spec.label}仍被其他记录引用，不能删除", code="entity_in_use") from exc
        if not deleted:
            raise await self._lost_race(entity_id)
        await self.audit.record(
            self.session,
            ctx,
            action="delete",
            resource_type=self.spec.kind.value,
            resource_id=entity_id,
            before=feed_payload(before),
        )
        await record_change(self.session, self.spec.kind.value, entity_id, "deleted", {"id": str(entity_id)})
