"""签收: addressed units sign or return a published circular; who has not, and for how long.

One receipt per addressed unit is written when the circular is published. Acting on it locks the
row: the first signature (or return) stands, and a repeat of the same action answers with it.

Who may act for a unit is `NotifyAccess.can_act_for`, except for a subscriber system: a `service`
token whose subject is `subscriber:<id>` acts for the units that subscriber belongs to (its region
and those below it, and its department) while it is active, and for no other.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.access import NotifyAccess
from services.notify.circulars.repository import CircularRepository
from services.notify.events.repository import record_event
from services.notify.receipts.repository import ReceiptRepository
from services.notify.receipts.schemas import ReceiptActCreate, UnsignedFilters
from services.notify.subscribers.repository import SubscriberRepository
from shared.audit import AuditLog
from shared.auth import Role
from shared.context import RequestContext
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.pagination import PageRequest, cut_page
from shared.regions import covers
from shared.schemas.notify.enums import (
    CircularStatus,
    EventType,
    ReceiptAction,
    ReceiptStatus,
    SubscriberStatus,
    UnitType,
)
from shared.schemas.notify.responses.circulars import ReceiptRead, ReceiptSummary, UnitRef, UnsignedReceiptRead

ACTION_STATUS = {ReceiptAction.sign: ReceiptStatus.signed, ReceiptAction.return_: ReceiptStatus.returned}
SUBSCRIBER_SUBJECT = "subscriber:"


def _read(row: Any) -> ReceiptRead:
    return ReceiptRead.model_validate(dict(row))


class ReceiptService:
    def __init__(self, session: AsyncSession, access: NotifyAccess, audit: AuditLog) -> None:
        self.session = session
        self.access = access
        self.audit = audit
        self.repo = ReceiptRepository(session)
        self.circulars = CircularRepository(session)

    async def _circular(self, circular_id: uuid.UUID) -> Any:
        row = await self.circulars.get(circular_id)
        if row is None or not self.access.can_read_circular(row):
            raise NotFound("通报不存在", code="circular_not_found")
        return row

    async def summary(self, circular_id: uuid.UUID) -> ReceiptSummary:
        await self._circular(circular_id)
        items = [_read(r) for r in await self.repo.of_circular(circular_id)]
        signed = sum(1 for r in items if r.status is ReceiptStatus.signed)
        returned = sum(1 for r in items if r.status is ReceiptStatus.returned)
        return ReceiptSummary(
            circular_id=circular_id,
            items=items,
            total=len(items),
            signed=signed,
            returned=returned,
            pending=len(items) - signed - returned,
            sign_rate=round(signed / len(items), 4) if items else 0.0,
            unsigned_units=[
                UnitRef(unit_type=r.unit_type, unit_code=r.unit_code)
                for r in items
                if r.status is not ReceiptStatus.signed
            ],
        )

    async def _may_act_for(self, unit_type: UnitType, unit_code: str) -> bool:
        principal = self.access.principal
        if principal.role is not Role.service or not principal.sub.startswith(SUBSCRIBER_SUBJECT):
            return self.access.can_act_for(unit_type, unit_code)
        try:
            subscriber_id = uuid.UUID(principal.sub.removeprefix(SUBSCRIBER_SUBJECT))
        except ValueError:
            return False
        subscriber = await SubscriberRepository(self.session).get(subscriber_id)
        if subscriber is None or subscriber["status"] != SubscriberStatus.active:
            return False
        if unit_type is UnitType.region:
            return covers(subscriber["region_code"], unit_code)
        return subscriber["department"] is not None and subscriber["department"] == unit_code

    async def act(self, ctx: RequestContext, circular_id: uuid.UUID, body: ReceiptActCreate) -> ReceiptRead:
        """Sign or return for one unit; 403 outside the caller's units, 409 on a revoked circular or
        when the unit already did the other thing; a repeat of what it did answers with the first."""
        circular = await self._circular(circular_id)
        if circular["status"] == CircularStatus.revoked:
            raise Conflict("通报已撤回，无需签收", code="circular_revoked")
        if circular["status"] != CircularStatus.published:
            raise Conflict("通报尚未发布", code="circular_not_published")
        if not await self._may_act_for(body.unit_type, body.unit_code):
            raise Forbidden("不能代表该单位签收", code="unit_out_of_scope")
        current = await self.repo.lock(circular_id, body.unit_type, body.unit_code)
        if current is None:
            raise Invalid.field("unit_code", "该单位不是此通报的主送单位", "unit_not_addressed")
        wanted = ACTION_STATUS[body.action]
        if current["status"] == wanted:
            return _read(current)  # the first signature stands
        if current["status"] != ReceiptStatus.pending:
            raise Conflict("该单位已签收或已退回此通报", code=f"receipt_already_{current['status']}")
        row = await self.repo.act(
            circular_id,
            body.unit_type,
            body.unit_code,
            {
                "status": wanted.value,
                "acted_at": ctx.now,
                "actor_sub": ctx.principal.sub,
                "actor_name": ctx.principal.name,
                "reason": body.reason,
            },
        )
        receipt = _read(row)
        await self.audit.record(
            self.session,
            ctx,
            action=body.action.value,
            resource_type="receipt",
            resource_id=f"{circular_id}:{body.unit_type.value}:{body.unit_code}",
            before={"status": current["status"]},
            after=receipt.model_dump(mode="json"),
        )
        event = EventType.receipt_signed if body.action is ReceiptAction.sign else EventType.receipt_returned
        await record_event(
            self.session,
            event,
            now=ctx.now,
            circular_id=circular_id,
            regions=[body.unit_code] if body.unit_type is UnitType.region else [],
            departments=[body.unit_code] if body.unit_type is UnitType.department else [],
            data={
                "circular_id": str(circular_id),
                "unit_type": body.unit_type.value,
                "unit_code": body.unit_code,
                "status": wanted.value,
                "document_number": circular["document_number"],
            },
        )
        return receipt

    async def unsigned(
        self, filters: UnsignedFilters, now: dt.datetime
    ) -> tuple[list[UnsignedReceiptRead], str | None]:
        before = now - dt.timedelta(days=filters.unsigned_for_days)
        page = PageRequest(limit=filters.limit, cursor=filters.cursor)
        rows, key = await self.repo.unsigned(self.access, before, page)
        items, cursor = cut_page(rows, page, key, "published_at")
        return [
            UnsignedReceiptRead(
                circular_id=r["circular_id"],
                title=r["title"],
                document_number=r["document_number"],
                published_at=r["published_at"],
                reply_deadline=r["reply_deadline"],
                unit_type=r["unit_type"],
                unit_code=r["unit_code"],
                status=r["status"],
                days_unsigned=(now - r["published_at"]).days,
            )
            for r in items
        ], cursor
