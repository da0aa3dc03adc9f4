"""One project approval changed without resending the list: the project's version guards it.

The change is a write of the project: its version goes up (so `If-Match` on the project decides which
of two concurrent edits wins, one statement checking it), and the project's audit event (before and
after) and change-feed event are written with it, as for any other project update.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.access import Access
from services.registry.approvals import rules
from services.registry.approvals.repository import ApprovalRepository
from services.registry.approvals.schemas import ApprovalUpdate
from services.registry.entities.kinds import PROJECTS
from services.registry.entities.repository import EntityRepository
from services.registry.entities.rules import require
from services.registry.entities.service import EntityService
from services.registry.entities.views import feed_payload
from services.registry.events.repository import record_change
from shared.audit import AuditLog
from shared.concurrency import stale
from shared.context import RequestContext
from shared.errors import Invalid, NotFound
from shared.repository import reject_nulls
from shared.schemas.enums import ApprovalKind, ApprovalState


class ApprovalService:
    def __init__(self, session: AsyncSession, access: Access, audit: AuditLog, today: dt.date) -> None:
        self.session = session
        self.access = access
        self.audit = audit
        self.projects = EntityService(session, PROJECTS, access, audit, today)
        self.records = EntityRepository(session)
        self.repo = ApprovalRepository(session)

    async def update(
        self,
        ctx: RequestContext,
        project_id: uuid.UUID,
        kind: ApprovalKind,
        expected_version: int,
        body: ApprovalUpdate,
    ) -> BaseModel:
        """The project after the change.

        404 when the project is absent or outside the read scope; 403 without write access to it; 412
        when `expected_version` is not its version; 422 for a null `state`, a new approval without one,
        or dates out of order (`approvals.rules.dates`)."""
        before = await self.projects.get(project_id)
        project: dict[str, Any] = before.model_dump()
        self.access.require_entity_write(project["region_code"], str(project["domain"]))
        values = body.model_dump(exclude_unset=True)
        reject_nulls(values, (), also=("state",))
        if project["version"] != expected_version:
            raise stale(project["version"])
        current = next((a for a in project["approvals"] if a["kind"] is kind), None)
        if current is None and "state" not in values:
            raise Invalid.field(
                "state", f"项目尚无{kind.label}记录，新增时须填写办理状态（state）", "approval_state_required"
            )
        merged = {k: v for k, v in (current or {}).items() if k not in ("kind", "overdue")} | values
        require(rules.dates(merged.get("applied_on"), merged.get("approved_on"), merged.get("committed_completion_on")))
        if not await self.records.update_entity(project_id, expected_version, {}):
            latest = await self.records.version_of(project_id)
            raise NotFound("项目不存在", code="project_not_found") if latest is None else stale(latest)
        await self.repo.put(project_id, kind.value, merged | {"state": ApprovalState(merged["state"]).value})
        after = await self.projects.get(project_id)
        payload = feed_payload(after)
        await self.audit.record(
            self.session,
            ctx,
            action="update",
            resource_type=PROJECTS.kind.value,
            resource_id=project_id,
            before=feed_payload(before),
            after=payload,
        )
        await record_change(self.session, PROJECTS.kind.value, project_id, "updated", payload)
        return after
