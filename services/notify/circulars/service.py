"""Circulars from draft to revoked: create, edit, publish (文号, PDF, receipts, deliveries), revoke.

Publishing is one transaction: the circular's row is locked, its number taken from its (issuer,
kind, year) counter (whose row lock then queues every other publisher of that counter until this
one commits, so numbers are gapless and never repeat), its PDF rendered and stored, one receipt
written per addressed unit and one delivery per matching active subscriber, then the stream event.
A failure anywhere rolls all of it back, the number included.
"""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.access import NotifyAccess
from services.notify.circulars.documents import DocumentRenderer, official_document
from services.notify.circulars.repository import CircularQuery, CircularRepository
from services.notify.circulars.schemas import CircularFilters, CircularRevoke, CircularUpdate, ReminderCreate
from services.notify.deliveries.fanout import Fanout
from services.notify.deliveries.repository import Addressing
from services.notify.docnumber import ISSUER_BY_CODE, format_number
from services.notify.events.repository import record_event
from services.notify.markdown import render_markdown
from services.notify.receipts.repository import ReceiptRepository
from shared.audit import AuditLog
from shared.concurrency import stale
from shared.context import RequestContext
from shared.errors import Conflict, NotFound
from shared.pagination import PageRequest, cut_page
from shared.repository import reject_nulls
from shared.schemas.notify.actions.circulars import Audience, CircularCreate, SourceRef
from shared.schemas.notify.enums import CircularKind, CircularStatus, EventType, Issuer, ReceiptStatus, UnitType
from shared.schemas.notify.responses.circulars import CircularRead


def render(row: Any) -> CircularRead:
    source = SourceRef(type=row["source_type"], id=row["source_id"]) if row["source_type"] else None
    return CircularRead(
        id=row["id"],
        kind=row["kind"],
        status=row["status"],
        title=row["title"],
        body=row["body"],
        body_html=render_markdown(row["body"]),
        data=row["data"],
        issuer=row["issuer"],
        urgency=row["urgency"],
        audience=Audience.model_validate(row["audience"]),
        recipients=list(row["recipients"]),
        reply_deadline=row["reply_deadline"],
        source=source,
        reminder_of=row["reminder_of"],
        document_number=row["document_number"],
        published_at=row["published_at"],
        revoked_at=row["revoked_at"],
        revoke_reason=row["revoke_reason"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _audience_columns(audience: Audience) -> dict[str, Any]:
    return {
        "audience": audience.model_dump(mode="json"),
        "audience_regions": list(audience.regions),
        "audience_departments": list(audience.departments),
    }


def event_data(circular: CircularRead) -> dict[str, Any]:
    """What a webhook or stream event says about a circular: the circular, and where its PDF is."""
    return {
        "circular": circular.model_dump(mode="json"),
        "document_url": f"/api/v1/circulars/{circular.id}/document" if circular.document_number else None,
    }


class CircularService:
    def __init__(
        self, session: AsyncSession, access: NotifyAccess, audit: AuditLog, renderer: DocumentRenderer
    ) -> None:
        self.session = session
        self.access = access
        self.audit = audit
        self.renderer = renderer
        self.repo = CircularRepository(session)
        self.receipts = ReceiptRepository(session)
        self.fanout = Fanout(session)

    async def find(self, filters: CircularFilters) -> tuple[list[CircularRead], str | None]:
        query = CircularQuery(
            status=filters.status,
            kind=filters.kind,
            issuer=filters.issuer,
            region=filters.region,
            source_type=filters.source_type,
            source_id=filters.source_id,
            published_since=filters.published_since,
        )
        page = PageRequest(limit=filters.limit, cursor=filters.cursor, sort=filters.sort)
        rows, key = await self.repo.find(query, page, self.access)
        items, cursor = cut_page(rows, page, key, key.lstrip("-"))
        return [render(r) for r in items], cursor

    async def _visible(self, circular_id: uuid.UUID, *, lock: bool = False) -> Any:
        row = await (self.repo.lock(circular_id) if lock else self.repo.get(circular_id))
        if row is None or not self.access.can_read_circular(row):
            raise NotFound("通报不存在", code="circular_not_found")
        return row

    async def get(self, circular_id: uuid.UUID) -> CircularRead:
        return render(await self._visible(circular_id))

    async def document(self, circular_id: uuid.UUID) -> tuple[CircularRead, bytes]:
        circular = render(await self._visible(circular_id))
        pdf = await self.repo.document(circular_id)
        if pdf is None:
            raise NotFound("通报尚未发布，没有公文版式", code="circular_document_not_found")
        return circular, pdf

    async def create(
        self, ctx: RequestContext, body: CircularCreate, *, reminder_of: uuid.UUID | None = None
    ) -> CircularRead:
        """A draft, or with `publish` a published circular; 409 `circular_source_duplicate` when the
        source already has one (`existing_id` names it only if the caller may see it)."""
        self.access.require_issue(body.issuer)
        self.access.require_audience(body.audience.regions)
        if body.publish:
            require_body(body.body)
        if body.source is not None:
            existing = await self.repo.by_source(body.source.type, body.source.id)
            if existing is not None:
                raise self._duplicate_source(existing)
        values = {
            "kind": body.kind.value,
            "title": body.title,
            "body": body.body,
            "data": body.data,
            "issuer": body.issuer.value,
            "urgency": body.urgency.value,
            **_audience_columns(body.audience),
            "recipients": list(body.recipients),
            "reply_deadline": body.reply_deadline,
            "source_type": body.source.type if body.source else None,
            "source_id": body.source.id if body.source else None,
            "reminder_of": reminder_of,
            "created_by": ctx.principal.sub,
            "created_at": ctx.now,
            "updated_at": ctx.now,
        }
        try:
            async with self.session.begin_nested():
                row = await self.repo.insert(values)
        except IntegrityError as exc:  # a concurrent create from the same source won
            raise Conflict("该来源已生成通报", code="circular_source_duplicate") from exc
        created = render(row)
        await self.audit.record(
            self.session, ctx, action="create", resource_type="circular", resource_id=row["id"], after=_audit(created)
        )
        if body.publish:
            return await self._publish(ctx, row)
        return created

    def _duplicate_source(self, existing: Any) -> Conflict:
        extra = {"existing_id": str(existing["id"])} if self.access.can_read_circular(existing) else {}
        return Conflict("该来源已生成通报，同一来源只能发一份通报", code="circular_source_duplicate", extra=extra)

    async def update(
        self, ctx: RequestContext, circular_id: uuid.UUID, expected_version: int, body: CircularUpdate
    ) -> CircularRead:
        current = await self._draft(circular_id, expected_version)
        patch = body.model_dump(exclude_unset=True)
        reject_nulls(patch, [], also=("kind", "title", "body", "issuer", "urgency", "audience", "recipients"))
        if "issuer" in patch:
            self.access.require_issue(Issuer(patch["issuer"]))
        if "audience" in patch:
            self.access.require_audience(Audience.model_validate(patch["audience"]).regions)
        values: dict[str, Any] = {}
        for name, value in patch.items():
            if name == "audience":
                values |= _audience_columns(Audience.model_validate(value))
            elif isinstance(value, Enum):
                values[name] = value.value
            else:
                values[name] = value
        values["updated_at"] = ctx.now
        row = await self.repo.update_versioned(circular_id, expected_version, values)
        if row is None:
            raise await self._lost_race(circular_id)
        before, after = render(current), render(row)
        await self.audit.record(
            self.session,
            ctx,
            action="update",
            resource_type="circular",
            resource_id=circular_id,
            before=_audit(before),
            after=_audit(after),
        )
        return after

    async def delete(self, ctx: RequestContext, circular_id: uuid.UUID, expected_version: int) -> None:
        current = await self._draft(circular_id, expected_version)
        if not await self.repo.delete_versioned(circular_id, expected_version):
            raise await self._lost_race(circular_id)
        await self.audit.record(
            self.session,
            ctx,
            action="delete",
            resource_type="circular",
            resource_id=circular_id,
            before=_audit(render(current)),
        )

    async def _draft(self, circular_id: uuid.UUID, expected_version: int) -> Any:
        current = await self._visible(circular_id)
        self.access.require_issue(Issuer(current["issuer"]))
        if current["status"] != CircularStatus.draft.value:
            raise Conflict("只有草稿可以修改或删除", code="circular_not_draft")
        if current["version"] != expected_version:
            raise stale(current["version"])
        return current

    async def _lost_race(self, circular_id: uuid.UUID) -> Exception:
        row = await self.repo.get(circular_id)
        if row is None:
            return NotFound("通报不存在", code="circular_not_found")
        if row["status"] != CircularStatus.draft.value:
            return Conflict("只有草稿可以修改或删除", code="circular_not_draft")
        return stale(row["version"])

    async def publish(self, ctx: RequestContext, circular_id: uuid.UUID) -> CircularRead:
        row = await self._visible(circular_id, lock=True)
        self.access.require_issue(Issuer(row["issuer"]))
        if row["status"] != CircularStatus.draft.value:
            raise Conflict("通报已发布或已撤回，不能再次发布", code="circular_not_draft")
        require_body(row["body"])
        return await self._publish(ctx, row)

    async def _publish(self, ctx: RequestContext, row: Any) -> CircularRead:
        issued_on = ctx.today
        sequence = await self.repo.next_sequence(row["issuer"], row["kind"], issued_on.year)
        issuer = ISSUER_BY_CODE[Issuer(row["issuer"])]
        number = format_number(issuer, CircularKind(row["kind"]), issued_on.year, sequence)
        pdf = await self.renderer.render(official_document(dict(row), number, issued_on))
        updated = await self.repo.set_state(
            row["id"],
            {
                "expected_version": row["version"],
                "status": CircularStatus.published.value,
                "document_number": number,
                "document_year": issued_on.year,
                "document_sequence": sequence,
                "published_at": ctx.now,
                "updated_at": ctx.now,
            },
        )
        await self.repo.store_document(row["id"], pdf, ctx.now)
        audience = Audience.model_validate(updated["audience"])
        units = [(UnitType.region, r) for r in audience.regions] + [
            (UnitType.department, d) for d in audience.departments
        ]
        await self.receipts.insert_for(row["id"], units, ctx.now)
        published = render(updated)
        data = event_data(published)
        to = Addressing(audience.regions, audience.departments, audience.topics, audience.subscribers)
        subscribers = await self.fanout.subscribers(EventType.circular_published, to)
        await self.fanout.enqueue(EventType.circular_published, ctx.now, data, subscribers, circular_id=row["id"])
        await self.audit.record(
            self.session,
            ctx,
            action="publish",
            resource_type="circular",
            resource_id=row["id"],
            before={"status": row["status"], "version": row["version"]},
            after=_audit(published) | {"deliveries": len(subscribers), "receipts": len(units)},
        )
        await self._event(EventType.circular_published, ctx, published)
        return published

    async def revoke(self, ctx: RequestContext, circular_id: uuid.UUID, body: CircularRevoke) -> CircularRead:
        """Revoke a published circular; everyone it was delivered to gets a `circular.revoked`."""
        row = await self._visible(circular_id, lock=True)
        self.access.require_issue(Issuer(row["issuer"]))
        if row["status"] != CircularStatus.published.value:
            raise Conflict("只有已发布的通报可以撤回", code="circular_not_published")
        updated = await self.repo.set_state(
            circular_id,
            {
                "expected_version": row["version"],
                "status": CircularStatus.revoked.value,
                "revoked_at": ctx.now,
                "revoke_reason": body.reason,
                "updated_at": ctx.now,
            },
        )
        revoked = render(updated)
        told = await self.fanout.repo.subscribers_delivered(circular_id, EventType.circular_published)
        await self.fanout.enqueue(
            EventType.circular_revoked, ctx.now, event_data(revoked), told, circular_id=circular_id
        )
        await self.audit.record(
            self.session,
            ctx,
            action="revoke",
            resource_type="circular",
            resource_id=circular_id,
            before={"status": row["status"], "version": row["version"]},
            after=_audit(revoked) | {"deliveries": len(told)},
        )
        await self._event(EventType.circular_revoked, ctx, revoked)
        return revoked

    async def remind(self, ctx: RequestContext, circular_id: uuid.UUID, body: ReminderCreate) -> CircularRead:
        """A 催签 reminder circular, published at once, to every unit whose receipt is still pending."""
        row = await self._visible(circular_id)
        self.access.require_issue(Issuer(row["issuer"]))
        if row["status"] != CircularStatus.published.value:
            raise Conflict("只有已发布的通报可以催签", code="circular_not_published")
        pending = [r for r in await self.receipts.of_circular(circular_id) if r["status"] == ReceiptStatus.pending]
        if not pending:
            raise Conflict("所有单位均已签收或退回，无需催签", code="receipts_complete")
        regions = [r["unit_code"] for r in pending if r["unit_type"] == UnitType.region]
        departments = [r["unit_code"] for r in pending if r["unit_type"] == UnitType.department]
        number = row["document_number"]
        create = CircularCreate(
            kind=CircularKind.reminder,
            title=body.title or f"关于催签《{row['title']}》的提醒"[:200],
            body=body.body or f"{number}尚未签收，请及时登录系统签收。",
            issuer=Issuer(row["issuer"]),
            urgency=row["urgency"],
            audience=Audience(regions=regions, departments=departments),
            reply_deadline=body.reply_deadline or row["reply_deadline"],
            publish=True,
        )
        return await self.create(ctx, create, reminder_of=circular_id)

    async def _event(self, event_type: EventType, ctx: RequestContext, circular: CircularRead) -> None:
        await record_event(
            self.session,
            event_type,
            now=ctx.now,
            circular_id=circular.id,
            regions=circular.audience.regions,
            departments=circular.audience.departments,
            data={
                "circular_id": str(circular.id),
                "title": circular.title,
                "kind": circular.kind.value,
                "document_number": circular.document_number,
                "status": circular.status.value,
            },
        )


def require_body(body: str) -> None:
    """A circular is published with a body: a title alone is not a document to sign for."""
    if not body.strip():
        raise Conflict("通报正文为空，不能发布", code="circular_body_empty")


def _audit(circular: CircularRead) -> dict[str, Any]:
    return circular.model_dump(mode="json", exclude={"body_html"})
