"""Subscribers (receiving systems): register with a checked webhook URL, change, rotate the secret, test.

The signing secret is generated here and shown once, in the create (or rotate) response; reads
never carry it. Rotation puts a new secret first and keeps the old one signing until the overlap
ends, so a receiver can switch at any moment inside it (both signatures are sent meanwhile).
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Any

from aiohttp.abc import AbstractResolver
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.access import NotifyAccess
from services.notify.deliveries.fanout import Fanout
from services.notify.deliveries.repository import DeliveryRepository
from services.notify.deliveries.worker import secrets_of
from services.notify.outbound import OutboundPolicy, OutboundRefused, check_resolution, validate_webhook_url
from services.notify.signing import SigningSecret, generate_secret, rotate
from services.notify.subscribers.repository import SubscriberQuery, SubscriberRepository
from services.notify.subscribers.schemas import (
    DeliveryRead,
    SecretRotate,
    SecretRotated,
    SubscriberCreate,
    SubscriberCreated,
    SubscriberFilters,
    SubscriberRead,
    SubscriberUpdate,
)
from shared.audit import AuditLog
from shared.concurrency import stale
from shared.context import RequestContext
from shared.errors import Conflict, Invalid, NotFound
from shared.pagination import PageRequest, cut_page
from shared.repository import reject_nulls
from shared.schemas.notify.enums import EventType, SubscriberStatus

URL_MESSAGES = {
    "url_too_long": "地址过长（最多 2048 个字符）",
    "url_invalid": "地址格式不正确",
    "scheme_not_allowed": "地址须使用 https",
    "userinfo_not_allowed": "地址中不能包含用户名或密码",
    "fragment_not_allowed": "地址中不能包含 # 片段",
    "host_missing": "地址缺少主机名",
    "host_invalid": "主机名不正确",
    "host_not_public": "主机名须为可公开解析的完整域名",
    "port_not_allowed": "端口须为 443 或 8443",
    "address_refused": "地址指向内网、回环或保留地址，不允许作为 webhook",
}


def _secrets_out(secrets: tuple[SigningSecret, ...] | list[SigningSecret]) -> list[dict[str, Any]]:
    return [{"value": s.value, "expires_at": s.expires_at.isoformat() if s.expires_at else None} for s in secrets]


def render(row: Any, now: dt.datetime) -> SubscriberRead:
    secrets = [s for s in secrets_of(row["secrets"]) if s.is_active(now)]
    previous = [s.expires_at for s in secrets if s.expires_at is not None]
    return SubscriberRead(
        id=row["id"],
        name=row["name"],
        department=row["department"],
        region_code=row["region_code"],
        url=row["url"],
        event_types=row["event_types"],
        topics=row["topics"],
        rate_limit_per_minute=row["rate_limit_per_minute"],
        status=row["status"],
        disabled_reason=row["disabled_reason"],
        disabled_at=row["disabled_at"],
        failing_since=row["failing_since"],
        secrets_active=len(secrets),
        previous_secret_expires_at=max(previous) if previous else None,
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _audit(read: SubscriberRead) -> dict[str, Any]:
    return read.model_dump(mode="json")


class SubscriberService:
    def __init__(
        self,
        session: AsyncSession,
        access: NotifyAccess,
        audit: AuditLog,
        policy: OutboundPolicy,
        rotation_overlap: dt.timedelta,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self.session = session
        self.resolver = resolver
        self.access = access
        self.audit = audit
        self.policy = policy
        self.rotation_overlap = rotation_overlap
        self.repo = SubscriberRepository(session)

    async def checked_url(self, url: str) -> str:
        """The URL as stored, once it passes the URL rules and its name does not lead only to refused
        addresses (422 with the rule's code, on the `url` field)."""
        try:
            target = validate_webhook_url(url, self.policy)
            await check_resolution(target, self.policy, self.resolver)
            return target.url
        except OutboundRefused as exc:
            raise Invalid.field("url", URL_MESSAGES.get(exc.code, "地址不允许作为 webhook"), exc.code) from exc

    async def visible(self, subscriber_id: uuid.UUID, *, lock: bool = False) -> Any:
        row = await (self.repo.lock(subscriber_id) if lock else self.repo.get(subscriber_id))
        if row is None or not self.access.can_read_subscriber(row["region_code"], row["department"]):
            raise NotFound("接收系统不存在", code="subscriber_not_found")
        return row

    async def writable(self, subscriber_id: uuid.UUID, *, lock: bool = False) -> Any:
        row = await self.visible(subscriber_id, lock=lock)
        self.access.require_subscriber_write(row["region_code"], row["department"])
        return row

    async def find(self, filters: SubscriberFilters, now: dt.datetime) -> tuple[list[SubscriberRead], str | None]:
        query = SubscriberQuery(status=filters.status, region=filters.region, topic=filters.topic)
        page = PageRequest(limit=filters.limit, cursor=filters.cursor, sort=filters.sort)
        rows, key = await self.repo.find(query, page, self.access)
        items, cursor = cut_page(rows, page, key, key.lstrip("-"))
        return [render(r, now) for r in items], cursor

    async def get(self, subscriber_id: uuid.UUID, now: dt.datetime) -> SubscriberRead:
        return render(await self.visible(subscriber_id), now)

    def _duplicate(self, existing: Any) -> Conflict:
        extra = {}
        if self.access.can_read_subscriber(existing["region_code"], existing["department"]):
            extra = {"existing_id": str(existing["id"])}
        return Conflict("接收系统名称已被使用", code="subscriber_name_duplicate", extra=extra)

    async def create(self, ctx: RequestContext, body: SubscriberCreate) -> SubscriberCreated:
        self.access.require_subscriber_write(body.region_code, body.department)
        url = await self.checked_url(body.url)
        if (existing := await self.repo.by_name(body.name)) is not None:
            raise self._duplicate(existing)
        secret = generate_secret()
        values = body.model_dump(exclude={"url"}, mode="json") | {
            "url": url,
            "event_types": sorted({e.value for e in body.event_types}),
            "topics": sorted(set(body.topics)),
            "secrets": _secrets_out([SigningSecret(secret)]),
            "created_by": ctx.principal.sub,
            "created_at": ctx.now,
            "updated_at": ctx.now,
        }
        try:
            async with self.session.begin_nested():
                row = await self.repo.insert(values)
        except IntegrityError as exc:
            raise Conflict("接收系统名称已被使用", code="subscriber_name_duplicate") from exc
        read = render(row, ctx.now)
        await self.audit.record(
            self.session, ctx, action="create", resource_type="subscriber", resource_id=row["id"], after=_audit(read)
        )
        return SubscriberCreated(**read.model_dump(), secret=secret)

    async def update(
        self, ctx: RequestContext, subscriber_id: uuid.UUID, expected_version: int, body: SubscriberUpdate
    ) -> SubscriberRead:
        current = await self.writable(subscriber_id)
        if current["version"] != expected_version:
            raise stale(current["version"])
        patch = body.model_dump(exclude_unset=True)
        reject_nulls(patch, self.repo.table.c, also=("event_types", "topics", "status"))
        values: dict[str, Any] = {}
        for name, value in patch.items():
            if name == "url":
                values["url"] = await self.checked_url(value)
            elif name in ("event_types", "topics"):
                values[name] = sorted({v.value if isinstance(v, Enum) else v for v in value})
            elif isinstance(value, Enum):
                values[name] = value.value
            else:
                values[name] = value
        if "region_code" in values or "department" in values:
            self.access.require_subscriber_write(
                values.get("region_code", current["region_code"]), values.get("department", current["department"])
            )
        if values.get("status") == SubscriberStatus.active and current["status"] != SubscriberStatus.active:
            values |= {"disabled_reason": None, "disabled_at": None, "failing_since": None}
        elif values.get("status") == SubscriberStatus.disabled and current["status"] != SubscriberStatus.disabled:
            values |= {"disabled_reason": "手工停用", "disabled_at": ctx.now}
        if "name" in values and values["name"] != current["name"]:
            existing = await self.repo.by_name(values["name"])
            if existing is not None:
                raise self._duplicate(existing)
        try:
            async with self.session.begin_nested():
                row = await self.repo.update_versioned(subscriber_id, expected_version, values)
        except IntegrityError as exc:
            raise Conflict("接收系统名称已被使用", code="subscriber_name_duplicate") from exc
        if row is None:
            raise await self._lost_race(subscriber_id)
        before, after = render(current, ctx.now), render(row, ctx.now)
        await self.audit.record(
            self.session,
            ctx,
            action="update",
            resource_type="subscriber",
            resource_id=subscriber_id,
            before=_audit(before),
            after=_audit(after),
        )
        return after

    async def delete(self, ctx: RequestContext, subscriber_id: uuid.UUID, expected_version: int) -> None:
        current = await self.writable(subscriber_id)
        if current["version"] != expected_version:
            raise stale(current["version"])
        if not await self.repo.delete_versioned(subscriber_id, expected_version):
            raise await self._lost_race(subscriber_id)
        await self.audit.record(
            self.session,
            ctx,
            action="delete",
            resource_type="subscriber",
            resource_id=subscriber_id,
            before=_audit(render(current, ctx.now)),
        )

    async def _lost_race(self, subscriber_id: uuid.UUID) -> Exception:
        row = await self.repo.get(subscriber_id)
        if row is None:
            return NotFound("接收系统不存在", code="subscriber_not_found")
        return stale(row["version"])

    async def rotate_secret(self, ctx: RequestContext, subscriber_id: uuid.UUID, body: SecretRotate) -> SecretRotated:
        current = await self.writable(subscriber_id, lock=True)
        overlap = dt.timedelta(hours=body.overlap_hours) if body.overlap_hours else self.rotation_overlap
        secret = generate_secret()
        secrets = rotate(secrets_of(current["secrets"]), secret, ctx.now, overlap)
        row = await self.repo.update_versioned(
            subscriber_id, current["version"], {"secrets": _secrets_out(secrets), "updated_at": ctx.now}
        )
        if row is None:  # unreachable under the row lock
            raise await self._lost_race(subscriber_id)
        read = render(row, ctx.now)
        await self.audit.record(
            self.session,
            ctx,
            action="rotate_secret",
            resource_type="subscriber",
            resource_id=subscriber_id,
            before={"version": current["version"]},
            after={"version": row["version"], "previous_secret_expires_at": _iso(read.previous_secret_expires_at)},
        )
        return SecretRotated(
            subscriber_id=subscriber_id,
            secret=secret,
            previous_secret_expires_at=read.previous_secret_expires_at,
            version=row["version"],
        )

    async def send_test(self, ctx: RequestContext, subscriber_id: uuid.UUID) -> DeliveryRead:
        """Queue a `test` event to the subscriber, whatever its event filter says."""
        current = await self.writable(subscriber_id)
        if current["status"] != SubscriberStatus.active:
            raise Conflict("接收系统已停用，请先启用", code="subscriber_disabled")
        data = {"subscriber_id": str(subscriber_id), "message": "这是一条测试事件"}
        [delivery_id] = await Fanout(self.session).enqueue(EventType.test, ctx.now, data, [subscriber_id])
        delivery = DeliveryRead.model_validate(dict(await DeliveryRepository(self.session).get(delivery_id) or {}))
        await self.audit.record(
            self.session,
            ctx,
            action="send_test",
            resource_type="subscriber",
            resource_id=subscriber_id,
            after={"delivery_id": str(delivery.id)},
        )
        return delivery


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
