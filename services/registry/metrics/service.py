"""Metric values per entity and period, with every revision kept.

Recording is idempotent per (entity, metric, period): a value equal to the latest revision (same
amount, source and source reference) writes nothing and returns that revision; anything else
appends revision + 1. Writers of one entity's metrics take its row lock first, so two concurrent
writes of a period never compute the same revision.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.access import Access
from services.registry.entities.repository import EntityRepository
from services.registry.events.repository import record_change
from services.registry.metrics.repository import MetricQuery, MetricRepository
from services.registry.pointintime import KnownAt, point_in_time
from shared.audit import AuditLog
from shared.auth import Role
from shared.context import RequestContext
from shared.errors import Invalid, NotFound
from shared.pagination import PageRequest, cut_page
from shared.schemas.common import PageParams
from shared.schemas.enums import EntityKind, MetricKind
from shared.schemas.registry.actions.metrics import MetricCreate
from shared.schemas.registry.responses.metrics import MetricRead

METRICS_BY_KIND: dict[EntityKind, tuple[MetricKind, ...]] = {
    EntityKind.industry: (MetricKind.revenue, MetricKind.output),
    EntityKind.enterprise: (MetricKind.revenue, MetricKind.output),
    EntityKind.project: (MetricKind.investment_completed,),
}


class _MetricFilterFields(BaseModel):
    entity_id: uuid.UUID | None = Field(default=None, description="对象 ID；不在辖区内时 404")
    metric: MetricKind | None = None
    year: int | None = Field(default=None, ge=2000, le=2100)
    history: bool = Field(default=False, description="true 返回每个期间的全部修订；默认只返回最新修订")
    known_at: KnownAt | None = Field(
        default=None,
        description="只看该时刻以前登记的修订（RFC 3339，带时区）：每个期间取当时的最新修订，用于复现当时的数据",
    )


class MetricFilters(PageParams, _MetricFilterFields):
    """Query parameters of the metric list."""


def metric_read(row: RowMapping) -> MetricRead:
    data: dict[str, Any] = dict(row)
    data["month"] = data["month"] or None  # stored as 0 for the whole year
    return MetricRead.model_validate(data)


class MetricService:
    def __init__(self, session: AsyncSession, access: Access, audit: AuditLog) -> None:
        self.session = session
        self.access = access
        self.audit = audit
        self.repo = MetricRepository(session)
        self.entities = EntityRepository(session)

    async def record(self, ctx: RequestContext, body: MetricCreate) -> tuple[MetricRead, bool]:
        """The period's current revision and whether this call wrote it.

        404 when the entity is absent or outside the read scope; 403 unless the caller is admin, a
        writer of the entity or a platform service; 422 for a metric the entity's kind does not
        have or a period that has not begun.
        """
        head = await self.entities.head(body.entity_id)
        if head is None or not self.access.can_read(head["region_code"]):
            raise NotFound("名单对象不存在", code="entity_not_found")
        if self.access.principal.role is not Role.service:
            self.access.require_entity_write(head["region_code"], head["domain"])
        kind = EntityKind(head["kind"])
        if body.metric not in METRICS_BY_KIND[kind]:
            allowed = "、".join(f"{m.value}（{m.label}）" for m in METRICS_BY_KIND[kind])
            raise Invalid.field("metric", f"{kind.label}的指标只能是：{allowed}", "metric_not_for_kind")
        _check_period(body.year, body.month, ctx.today)
        month = body.month or 0
        latest = await self.repo.latest(head["id"], body.metric, body.year, month)
        if latest is not None and (latest["value"], latest["source"], latest["source_ref"]) == (
            body.value,
            body.source.value,
            body.source_ref,
        ):
            return metric_read(latest), False
        row = await self.repo.insert(
            {
                "entity_id": head["id"],
                "metric": body.metric.value,
                "year": body.year,
                "month": month,
                "value": body.value,
                "revision": latest["revision"] + 1 if latest is not None else 1,
                "source": body.source.value,
                "source_ref": body.source_ref,
                "recorded_by": ctx.principal.sub,
            }
        )
        if month == 0 and kind is not EntityKind.project:
            await self.entities.refresh_size(head["id"])
        created = metric_read(row)
        payload = created.model_dump(mode="json")
        before = metric_read(latest).model_dump(mode="json") if latest is not None else None
        await self.audit.record(
            self.session,
            ctx,
            action="create",
            resource_type="metric",
            resource_id=created.id,
            before=before,
            after=payload,
        )
        await record_change(self.session, "metric", created.id, "created", payload)
        return created, True

    async def get(self, metric_id: int) -> MetricRead:
        row = await self.repo.get(metric_id)
        if row is None or not self.access.can_read(row["region_code"]):
            raise NotFound("指标记录不存在", code="metric_not_found")
        return metric_read(row)

    async def list(self, ctx: RequestContext, filters: MetricFilters) -> tuple[list[MetricRead], str | None]:
        """One page; 404 for an entity outside the scope, 422 for a `known_at` yet to come."""
        point = point_in_time(None, filters.known_at, now=ctx.now, zone=ctx.zone)
        if filters.entity_id is not None:
            region = await self.repo.entity_region(filters.entity_id)
            if region is None or not self.access.can_read(region):
                raise NotFound("名单对象不存在", code="entity_not_found")
        query = MetricQuery(
            entity_id=filters.entity_id,
            metric=filters.metric,
            year=filters.year,
            history=filters.history,
            known_at=point.known_at,
            scope=None if filters.entity_id is not None else self.access.principal.read_scope,
        )
        page = PageRequest(limit=filters.limit, cursor=filters.cursor)
        rows, key = await self.repo.list(query, page)
        items, cursor = cut_page(rows, page, key, "id")
        return [metric_read(r) for r in items], cursor


def _check_period(year: int, month: int | None, today: dt.date) -> None:
    """A value for a period that has not begun yet (in the programme's zone) is a mistake, not a forecast."""
    if year > today.year or (year == today.year and month is not None and month > today.month):
        period = f"{year} 年" if month is None else f"{year} 年 {month} 月"
        field = "year" if year > today.year else "month"
        raise Invalid.field(field, f"{period}尚未开始，不能录入指标", "metric_period_in_future")
