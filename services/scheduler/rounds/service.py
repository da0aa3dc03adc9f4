"""Rounds: list and read them, and their summaries; close an open round; cancel one not yet closed.

Closing a round queues its bulletin (通报, the summary and ranking as they stand at closing) for
notify through the outbox, in the closing transaction, keyed by the round's id.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.access import Access
from services.scheduler.circulars.compose import bulletin, enqueue
from services.scheduler.plans.repository import PlanRepository
from services.scheduler.rounds.repository import RoundQuery, RoundRepository
from services.scheduler.rounds.summary import round_summary
from services.scheduler.rounds.summary_schemas import RoundSummary
from services.scheduler.views import round_read
from shared.audit import AuditLog
from shared.concurrency import stale
from shared.context import RequestContext
from shared.errors import Conflict, NotFound
from shared.outbox import Outbox
from shared.pagination import PageRequest, cut_page
from shared.schemas.common import PageParams
from shared.schemas.scheduler.enums import RoundState
from shared.schemas.scheduler.responses.rounds import RoundRead


class _RoundFilterFields(BaseModel):
    plan_id: uuid.UUID | None = None
    state: RoundState | None = None
    period_key: str | None = Field(default=None, max_length=10)
    sort: str | None = Field(
        default=None, description="opens_at、period_key、created_at，前加 - 为倒序；默认 -opens_at"
    )


class RoundFilters(PageParams, _RoundFilterFields):
    """Query parameters of the round list."""


class RoundService:
    def __init__(self, session: AsyncSession, access: Access, audit: AuditLog, outbox: Outbox) -> None:
        self.session = session
        self.access = access
        self.audit = audit
        self.outbox = outbox
        self.repo = RoundRepository(session)

    async def _visible(self, round_id: uuid.UUID) -> RowMapping:
        row = await self.repo.get(round_id)
        if row is None or not self.access.can_see_plan(row["plan_region_code"]):
            raise NotFound("轮次不存在", code="round_not_found")
        return row

    async def get(self, round_id: uuid.UUID) -> RoundRead:
        return round_read(await self._visible(round_id))

    async def list(self, filters: RoundFilters) -> tuple[list[RoundRead], str | None]:
        query = RoundQuery(
            plan_id=filters.plan_id,
            state=filters.state.value if filters.state else None,
            period_key=filters.period_key,
            scope=self.access.principal.read_scope,
        )
        page = PageRequest(limit=filters.limit, cursor=filters.cursor, sort=filters.sort)
        rows, key = await self.repo.list(query, page)
        items, cursor = cut_page(rows, page, key, key.lstrip("-"))
        return [round_read(r) for r in items], cursor

    async def summary(self, ctx: RequestContext, round_id: uuid.UUID) -> RoundSummary:
        return await round_summary(self.session, await self._visible(round_id), ctx.now)

    async def close(self, ctx: RequestContext, round_id: uuid.UUID, version: int) -> RoundRead:
        closed = await self._move(ctx, round_id, version, "close", (RoundState.open,), RoundState.closed)
        row = await self._visible(round_id)
        summary = await round_summary(self.session, row, ctx.now)
        key, request = bulletin(row, summary.model_dump(mode="json"))
        await enqueue(self.session, self.outbox, key, request)
        return closed

    async def cancel(self, ctx: RequestContext, round_id: uuid.UUID, version: int) -> RoundRead:
        return await self._move(
            ctx, round_id, version, "cancel", (RoundState.scheduled, RoundState.open), RoundState.cancelled
        )

    async def _move(
        self,
        ctx: RequestContext,
        round_id: uuid.UUID,
        version: int,
        action: str,
        from_states: tuple[RoundState, ...],
        to: RoundState,
    ) -> RoundRead:
        row = await self._visible(round_id)
        plan = await PlanRepository(self.session).get(row["plan_id"])
        assert plan is not None  # a round's plan is deleted with it
        self.access.require_plan_write(plan["region_code"], plan["owner_department"])
        if row["state"] not in from_states:
            state = RoundState(row["state"])
            raise Conflict(f"轮次当前为“{state.label}”，不能执行该操作", code="round_state_conflict")
        stamp = "closed_at" if to is RoundState.closed else "cancelled_at"
        if not await self.repo.transition(
            round_id, version, [s.value for s in from_states], {"state": to.value, stamp: ctx.now}
        ):
            latest = await self.repo.get(round_id)  # another close or cancel won since the read: its version
            if latest is None:
                raise NotFound("轮次不存在", code="round_not_found")
            raise stale(latest["version"])
        after = await self.get(round_id)
        await self.audit.record(
            self.session,
            ctx,
            action=action,
            resource_type="round",
            resource_id=round_id,
            before=round_read(row).model_dump(mode="json"),
            after=after.model_dump(mode="json"),
        )
        return after
