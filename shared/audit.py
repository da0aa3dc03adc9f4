"""The append-only audit log: every write records who, when, what, before and after.

Rows are only ever inserted; no route updates or deletes them, and the service's migration puts a
trigger on the table (`audit_event_immutable`) that raises on every UPDATE and DELETE, so a mistaken
query fails loudly.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.context import PrincipalDep, RequestContext
from shared.db import SessionDep
from shared.pagination import CursorQuery, LimitQuery, PageRequest, Sorting, cut_page
from shared.problems import problems
from shared.schemas.common import DEFAULT_PAGE_LIMIT, Page


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


def audit_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["audit"])

    @router.get(
        "/audit-events", response_model=Page[AuditEventRead], summary="审计日志（仅管理员）", responses=problems(403)
    )
    async def list_audit_events(
        request: Request,
        session: SessionDep,
        principal: PrincipalDep,
        limit: LimitQuery = DEFAULT_PAGE_LIMIT,
        cursor: CursorQuery = None,
        actor: Annotated[str | None, Query(max_length=200)] = None,
        resource_type: Annotated[str | None, Query(max_length=60)] = None,
        resource_id: Annotated[str | None, Query(max_length=100)] = None,
        action: Annotated[str | None, Query(max_length=60)] = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> Page[AuditEventRead]:
        principal.require_admin()
        log: AuditLog = request.app.state.platform.audit
        items, next_cursor = await log.list(
            session,
            PageRequest(limit=limit, cursor=cursor),
            actor=actor,
            resource_type=resource_type,
            resource_id=resource_id,
            action=action,
            since=since,
            until=until,
        )
        return Page(items=items, next_cursor=next_cursor)

    return router


async def _audit_log(request: Request) -> AuditLog:
    log: AuditLog = request.app.state.platform.audit
    return log


AuditDep = Annotated[AuditLog, Depends(_audit_log)]
