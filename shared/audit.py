"""The append-only audit log: every write records who, when, what, before and after.

Rows are only ever inserted; no route updates or deletes them, and the service's migration puts a
trigger on the table (`audit_event_immutable`) that raises on every UPDATE and DELETE, so a mistaken
query fails loudly. A write of one record records one event (`record`); a set-based write of many
records records theirs in one statement (`record_many`), in the same transaction as the write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Table, Text, bindparam, cast, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared.context import PrincipalDep, RequestContext
from shared.db import SessionDep
from shared.edge import StoredDatetime
from shared.pagination import PageRequest, Sorting, cut_page
from shared.schemas.common import Page, PageParams


class AuditEventRead(BaseModel):
    id: int
    occurred_at: dt.datetime
    actor_sub: str
    actor_name: str
    actor_role: str
    actor_region: str
    action: str
    resource_type: str
    resource_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One record of a set-based write: its id, and its state before and after as JSON text (None for
    none: before a creation, after a deletion), as a bulk writer already holds it."""

    resource_id: str
    before: str | None
    after: str | None


class AuditLog:
    def __init__(self, table: Table) -> None:
        self.table = table

    async def record(
        self,
        session: AsyncSession,
        ctx: RequestContext,
        *,
        action: str,
        resource_type: str,
        resource_id: object,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        await session.execute(
            insert(self.table).values(
                occurred_at=ctx.now,
                **ctx.principal.audit_fields(),
                action=action,
                resource_type=resource_type,
                resource_id=str(resource_id),
                before=before,
                after=after,
                request_id=ctx.request_id,
            )
        )

    async def record_many(
        self,
        session: AsyncSession,
        ctx: RequestContext,
        *,
        action: str,
        resource_type: str,
        entries: Sequence[AuditEntry],
    ) -> None:
        """One event per entry, each as `record` would write it, in a single INSERT … SELECT over the
        entries' arrays however many there are."""
        if not entries:
            return
        t = self.table
        shared = {
            "occurred_at": ctx.now,
            **ctx.principal.audit_fields(),
            "action": action,
            "resource_type": resource_type,
            "request_id": ctx.request_id,
        }
        u = (
            func.unnest(
                bindparam("resource_ids", [e.resource_id for e in entries], type_=ARRAY(Text)),
                bindparam("befores", [e.before for e in entries], type_=ARRAY(Text)),
                bindparam("afters", [e.after for e in entries], type_=ARRAY(Text)),
            )
            .table_valued("resource_id", "before", "after")
            .render_derived("u")
        )
        source = select(
            *(literal(value, t.c[name].type).label(name) for name, value in shared.items()),
            u.c.resource_id,
            cast(u.c.before, JSONB),
            cast(u.c.after, JSONB),
        ).select_from(u)
        await session.execute(insert(t).from_select([*shared, "resource_id", "before", "after"], source))

    async def list(
        self,
        session: AsyncSession,
        page: PageRequest,
        *,
        actor: str | None,
        resource_type: str | None,
        resource_id: str | None,
        action: str | None,
        since: dt.datetime | None,
        until: dt.datetime | None,
    ) -> tuple[list[AuditEventRead], str | None]:
        t = self.table
        stmt = select(t)
        for column, value in (
            (t.c.actor_sub, actor),
            (t.c.resource_type, resource_type),
            (t.c.resource_id, resource_id),
            (t.c.action, action),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if since is not None:
            stmt = stmt.where(t.c.occurred_at >= since)
        if until is not None:
            stmt = stmt.where(t.c.occurred_at < until)
        sorting = Sorting(columns={"id": t.c.id}, tiebreak=t.c.id, default="-id")
        stmt, key, _ = sorting.apply(stmt, page)
        rows = (await session.execute(stmt)).mappings().all()
        items, cursor = cut_page(rows, page, key, "id")
        return [AuditEventRead.model_validate(dict(r)) for r in items], cursor


class _AuditFilterFields(BaseModel):
    actor: str | None = Field(default=None, max_length=200)
    resource_type: str | None = Field(default=None, max_length=60)
    resource_id: str | None = Field(default=None, max_length=100)
    action: str | None = Field(default=None, max_length=60)
    since: StoredDatetime | None = None
    until: StoredDatetime | None = None


class AuditFilters(PageParams, _AuditFilterFields):
    """Query parameters of the audit log."""


def audit_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["audit"])

    @router.get("/audit-events", response_model=Page[AuditEventRead], summary="审计日志（仅管理员）")
    async def list_audit_events(
        request: Request, session: SessionDep, principal: PrincipalDep, filters: Annotated[AuditFilters, Query()]
    ) -> Page[AuditEventRead]:
        principal.require_admin()
        log: AuditLog = request.app.state.platform.audit
        items, next_cursor = await log.list(
            session,
            PageRequest(limit=filters.limit, cursor=filters.cursor),
            actor=filters.actor,
            resource_type=filters.resource_type,
            resource_id=filters.resource_id,
            action=filters.action,
            since=filters.since,
            until=filters.until,
        )
        return Page(items=items, next_cursor=next_cursor)

    return router


async def _audit_log(request: Request) -> AuditLog:
    log: AuditLog = request.app.state.platform.audit
    return log


AuditDep = Annotated[AuditLog, Depends(_audit_log)]
