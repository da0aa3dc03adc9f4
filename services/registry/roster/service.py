"""Roster adjustments (名单动态调整) as records: apply one to its entity, read the history.

An adjustment and the entity change it causes commit together: the entity row is locked first, so
concurrent adjustments of one entity apply one after the other, each validated against the state
the previous one left.
"""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.access import Access
from services.registry.entities.kinds import KINDS, KindSpec
from services.registry.entities.repository import EntityRepository
from services.registry.entities.rules import industry_moved, region_known, require
from services.registry.entities.views import feed_payload, render
from services.registry.events.repository import record_change
from services.registry.reference.repository import ReferenceLookups
from services.registry.roster.repository import AdjustmentQuery, RosterRepository
from services.registry.roster.rules import RosterState, check_effective_on, next_state
from services.registry.roster.schemas import RosterAdjustmentCreate, RosterAdjustmentRead
from shared.audit import AuditLog
from shared.concurrency import stale
from shared.context import RequestContext
from shared.errors import Invalid, NotFound
from shared.pagination import PageRequest, cut_page
from shared.schemas.common import PageParams
from shared.schemas.enums import EntityKind, Level, RosterAction, RosterStatus, Tier


class _RosterFilterFields(BaseModel):
    entity_id: uuid.UUID | None = Field(default=None, description="只看一个对象的完整调整历史")
    action: RosterAction | None = None
    kind: EntityKind | None = Field(default=None, description="对象类别")
    since: dt.date | None = Field(default=None, description="生效日期不早于该日（含）")
    until: dt.date | None = Field(default=None, description="生效日期不晚于该日（含）")
    sort: str | None = Field(default=None, description="seq（默认，按记录先后）或 -seq（最新在前）")


class RosterFilters(PageParams, _RosterFilterFields):
    """Query parameters of the adjustment list."""

    @model_validator(mode="after")
    def _range(self) -> RosterFilters:
        if self.since and self.until and self.until < self.since:
            raise PydanticCustomError("date_range_invalid", "until 不能早于 since")
        return self


class RosterService:
    def __init__(self, session: AsyncSession, access: Access, audit: AuditLog) -> None:
        self.session = session
        self.access = access
        self.audit = audit
        self.repo = RosterRepository(session)
        self.entities = EntityRepository(session)
        self.lookups = ReferenceLookups(session)

    async def list(self, filters: RosterFilters) -> tuple[list[RosterAdjustmentRead], str | None]:
        query = AdjustmentQuery(
            entity_id=filters.entity_id,
            action=filters.action,
            kind=filters.kind,
            since=filters.since,
            until=filters.until,
            scope=self.access.principal.read_scope,
        )
        page = PageRequest(limit=filters.limit, cursor=filters.cursor, sort=filters.sort)
        rows, key = await self.repo.list(query, page)
        items, cursor = cut_page(rows, page, key, "seq")
        return [RosterAdjustmentRead.model_validate(dict(r)) for r in items], cursor

    async def get(self, adjustment_id: uuid.UUID) -> RosterAdjustmentRead:
        row = await self.repo.get(adjustment_id, self.access.principal.read_scope)
        if row is None:
            raise NotFound("名单调整记录不存在", code="roster_adjustment_not_found")
        return RosterAdjustmentRead.model_validate(dict(row))

    async def create(self, ctx: RequestContext, body: RosterAdjustmentCreate) -> RosterAdjustmentRead:
        """Apply `body` to its entity; 404 outside the read scope, 403 without write access, 422 on a rule."""
        head = await self.entities.head(body.entity_id)
        if head is None or not self.access.can_read(head["region_code"]):
            raise NotFound("名单对象不存在", code="entity_not_found")
        spec = KINDS[EntityKind(head["kind"])]
        domain: str = head["domain"]
        self.access.require_entity_write(head["region_code"], domain)
        current = RosterState(
            level=Level(head["level"]),
            region_code=head["region_code"],
            tier=Tier(head["target_tier"]),
            status=RosterStatus(head["roster_status"]),
        )
        new = next_state(spec.kind, current, body)
        if new.region_code != current.region_code:
            self.access.require_entity_write(new.region_code, domain)
        check_effective_on(body.effective_on, ctx.today, await self.repo.latest_effective_on(head["id"]))
        if new.region_code != current.region_code:
            exists = await self.lookups.region_exists(new.region_code)
            require(region_known(new.region_code, exists=exists, field="to_region_code"))
        moved = (new.level, new.region_code) != (current.level, current.region_code)
        if spec.kind is EntityKind.industry and moved:
            parent, children = await self.lookups.industry_links(head["id"])
            require(industry_moved(level=new.level, region_code=new.region_code, parent=parent, children=children))
        if body.approving_department_id is not None and not await self.lookups.department_exists(
            body.approving_department_id
        ):
            raise Invalid.field("approving_department_id", "审批部门不存在", "department_unknown")

        before = await self._entity(spec, head["id"])
        row = await self.entities.insert_adjustment(
            {
                "entity_id": head["id"],
                "action": body.action.value,
                "reason": body.reason,
                "effective_on": body.effective_on,
                "approving_department_id": body.approving_department_id,
                "document_ref": body.document_ref,
                "actor_sub": ctx.principal.sub,
                "actor_name": ctx.principal.name,
                "from_level": current.level.value,
                "to_level": new.level.value,
                "from_region_code": current.region_code,
                "to_region_code": new.region_code,
                "from_tier": current.tier.value,
                "to_tier": new.tier.value,
                "status_after": new.status.value,
            }
        )
        changes: dict[str, object] = {
            "level": new.level.value,
            "region_code": new.region_code,
            "target_tier": new.tier.value,
            "roster_status": new.status.value,
        }
        if body.action is RosterAction.include:
            changes["listed_on"] = body.effective_on  # the current listing began on re-inclusion
        if not await self.entities.update_entity(head["id"], head["version"], changes):
            raise stale(head["version"])  # unreachable while the row lock is held; kept as a guard
        after = await self._entity(spec, head["id"])
        adjustment = RosterAdjustmentRead.model_validate(dict(row) | {"entity_kind": spec.kind})
        await self._record(ctx, spec, adjustment, before, after)
        return adjustment

    async def _entity(self, spec: KindSpec, entity_id: uuid.UUID) -> BaseModel:
        row = await self.entities.read(spec, entity_id, self.access.principal.read_scope)
        if row is None:  # the row is locked by this transaction, so it cannot have gone
            raise NotFound("名单对象不存在", code="entity_not_found")
        return render(spec, row, self.access)

    async def _record(
        self, ctx: RequestContext, spec: KindSpec, adjustment: RosterAdjustmentRead, before: BaseModel, after: BaseModel
    ) -> None:
        """Audit both records written, then the change feed (last: it holds the feed lock until commit)."""
        payload = adjustment.model_dump(mode="json")
        entity_after = feed_payload(after)
        await self.audit.record(
            self.session,
            ctx,
            action="create",
            resource_type="roster_adjustment",
            resource_id=adjustment.id,
            after=payload,
        )
        await self.audit.record(
            self.session,
            ctx,
            action=f"roster_{adjustment.action.value}",
            resource_type=spec.kind.value,
            resource_id=adjustment.entity_id,
            before=feed_payload(before),
            after=entity_after,
        )
        await record_change(self.session, spec.kind.value, adjustment.entity_id, "updated", entity_after)
        await record_change(self.session, "roster_adjustment", adjustment.id, "created", payload)
