"""Targets as data (admin-edited, per period) and progress against them.

Every target write runs in the request's transaction with its audit event and change-feed event.
Progress is read-only: two statements (the standing cube and the targets), whatever the data size.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.entities.rules import require, target_tier
from services.registry.events.repository import record_change
from services.registry.pointintime import point_in_time
from services.registry.progress.filters import ProgressFilters, TargetFilters
from services.registry.progress.repository import CubeQuery, ProgressRepository, TargetQuery, TargetRepository
from services.registry.progress.rollup import (
    LEVELS,
    Cell,
    bucket_floor,
    echelon_counts,
    growth_band_counts,
    target_progress,
    tier_counts,
)
from services.registry.progress.schemas import TargetCreate, TargetUpdate
from shared.audit import AuditLog
from shared.auth import Principal
from shared.concurrency import stale
from shared.context import RequestContext
from shared.errors import AppError, Conflict, Invalid, NotFound
from shared.pagination import PageRequest, cut_page
from shared.regions import HUNAN, code_range
from shared.repository import reject_nulls
from shared.schemas.enums import ApprovalKind, Domain, EntityKind, Level, Tier
from shared.schemas.registry.responses.progress import (
    ApprovalOverdueCount,
    GreenChannelProgress,
    ProgressRead,
    TargetRead,
)

RESOURCE = "target"


def target_read(row: RowMapping) -> TargetRead:
    return TargetRead.model_validate(dict(row))


def _payload(target: TargetRead) -> dict[str, Any]:
    data: dict[str, Any] = target.model_dump(mode="json")
    return data


class TargetService:
    def __init__(self, session: AsyncSession, principal: Principal, audit: AuditLog) -> None:
        self.session = session
        self.principal = principal
        self.audit = audit
        self.repo = TargetRepository(session)

    async def list(self, filters: TargetFilters) -> tuple[list[TargetRead], str | None]:
        query = TargetQuery(
            horizon=filters.horizon, year=filters.year, kind=filters.kind, level=filters.level, domain=filters.domain
        )
        page = PageRequest(limit=filters.limit, cursor=filters.cursor, sort=filters.sort)
        rows, key, sort_attr = await self.repo.list(query, page)
        items, cursor = cut_page(rows, page, key, sort_attr)
        return [target_read(r) for r in items], cursor

    async def get(self, target_id: uuid.UUID) -> TargetRead:
        row = await self.repo.get(target_id)
        if row is None:
            raise NotFound("目标不存在", code="target_not_found")
        return target_read(row)

    async def _lost_race(self, target_id: uuid.UUID) -> AppError:
        """A versioned write matched no row: stale (412 with the current version), or gone (404)."""
        latest = await self.repo.get(target_id)
        return NotFound("目标不存在", code="target_not_found") if latest is None else stale(latest["version"])

    async def _reject_duplicate(self, horizon: str, kind: str, level: str, tier: str, domain: str | None) -> None:
        existing = await self.repo.same_goal(horizon=horizon, kind=kind, level=level, tier=tier, domain=domain)
        if existing is not None:
            raise Conflict(
                "该目标期已设置相同类别、级别、层级和领域的目标，请修改原目标",
                code="target_duplicate",
                extra={"existing_id": str(existing["id"])},
            )

    async def create(self, ctx: RequestContext, body: TargetCreate) -> TargetRead:
        """Admin only (403); a tier the kind and level do not have is 422; the same goal twice is 409."""
        self.principal.require_admin()
        require(target_tier(body.kind, body.level, body.tier, field="tier"))
        values = body.model_dump(mode="json")
        await self._reject_duplicate(
            values["horizon"], values["kind"], values["level"], values["tier"], values["domain"]
        )
        created = target_read(await self.repo.insert(values))
        payload = _payload(created)
        await self.audit.record(
            self.session, ctx, action="create", resource_type=RESOURCE, resource_id=created.id, after=payload
        )
        await record_change(self.session, RESOURCE, created.id, "created", payload)
        return created

    async def update(
        self, ctx: RequestContext, target_id: uuid.UUID, expected_version: int, body: TargetUpdate
    ) -> TargetRead:
        """Counts and note only; 428/412 through `expected_version`, 422 for a null or inverted range."""
        self.principal.require_admin()
        before = await self.get(target_id)
        values = body.model_dump(exclude_unset=True)
        reject_nulls(values, (), also=("min_count", "note"))
        low = values.get("min_count", before.min_count)
        high = values.get("max_count", before.max_count)
        if high is not None and high < low:
            raise Invalid.field("max_count", f"目标上限（{high}）不能小于下限（{low}）", "target_range_invalid")
        row = await self.repo.update_versioned(target_id, expected_version, values)
        if row is None:
            raise await self._lost_race(target_id)
        after = target_read(row)
        payload = _payload(after)
        await self.audit.record(
            self.session,
            ctx,
            action="update",
            resource_type=RESOURCE,
            resource_id=target_id,
            before=_payload(before),
            after=payload,
        )
        await record_change(self.session, RESOURCE, target_id, "updated", payload)
        return after

    async def delete(self, ctx: RequestContext, target_id: uuid.UUID, expected_version: int) -> None:
        self.principal.require_admin()
        before = await self.get(target_id)
        if not await self.repo.delete_versioned(target_id, expected_version):
            raise await self._lost_race(target_id)
        await self.audit.record(
            self.session, ctx, action="delete", resource_type=RESOURCE, resource_id=target_id, before=_payload(before)
        )
        await record_change(self.session, RESOURCE, target_id, "deleted", {"id": str(target_id)})


class ProgressService:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.principal = principal
        self.cube = ProgressRepository(session)
        self.targets = TargetRepository(session)

    async def progress(self, filters: ProgressFilters, ctx: RequestContext) -> ProgressRead:
        """Readable by every role; only entities in the caller's region scope are counted.

        With `known_at`, only what had been recorded by then counts (422 for a moment yet to come)."""
        point = point_in_time(filters.as_of, filters.known_at, now=ctx.now, zone=ctx.zone)
        today = ctx.today
        as_of = point.as_of or today
        # Every entity lies in Hunan (a check constraint): the province's range filters nothing, and
        # as a predicate it only misleads the planner into an index scan over every row.
        scopes = [filters.region, self.principal.read_scope]
        ranges = [code_range(code) for code in scopes if code is not None and code != HUNAN]
        query = CubeQuery(
            as_of=as_of,
            current=as_of >= today and point.known_at is None,
            known_at=point.known_at,
            region_ranges=tuple(ranges),
            level=filters.level,
            domain=filters.domain,
            chain_id=filters.chain,
        )
        rows = await self.cube.standing_cube(query)
        cells = [
            Cell(
                kind=EntityKind(r["kind"]),
                level=Level(r["level"]),
                domain=Domain(r["domain"]),
                tier=Tier(r["tier"]),
                floor=bucket_floor(r["bucket"]),
                listed=r["listed"],
            )
            for r in rows
        ]
        targets = [
            target_read(r) for r in await self.targets.for_progress(filters.horizon, filters.level, filters.domain)
        ]
        levels = (filters.level,) if filters.level else LEVELS
        return ProgressRead(
            as_of=as_of,
            known_at=point.known_at,
            tiers=tier_counts(cells, levels),
            echelons=echelon_counts(cells, levels),
            growth_bands=growth_band_counts(cells, levels),
            targets=target_progress(cells, targets),
            green_channel=await self._green_channel(query, today) if query.current else None,
        )

    async def _green_channel(self, query: CubeQuery, today: dt.date) -> GreenChannelProgress:
        """Today's green channel: approvals keep no past states, so no earlier date can be answered."""
        row = await self.cube.green_channel(query, today)
        return GreenChannelProgress(
            projects=row["projects"],
            projects_approval_overdue=row["projects_approval_overdue"],
            approvals_overdue=[ApprovalOverdueCount(kind=kind, overdue=row[kind.value]) for kind in ApprovalKind],
        )
