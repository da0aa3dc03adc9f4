"""`Idempotency-Key` for creating POSTs: replay, 422 on another body, 409 while in flight.

Everything happens in the request's own transaction. A transaction-scoped advisory lock on
(caller, key) marks the request in flight: a concurrent retry fails to take it and gets 409. The
stored response is inserted in the same transaction as the record it describes, so a response is
replayable exactly when its effects are committed, and a crash leaves nothing half-done behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Table, delete, func, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.context import PrincipalDep
from shared.db import SessionDep
from shared.errors import IdempotencyInFlight, Invalid
from shared.loops import Clock, LoopService, utc_now

_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
_STORED_KEY_LENGTH = 255  # idempotency_record.key


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    headers: dict[str, str]
    body: bytes

    def to_response(self) -> Response:
        headers = dict(self.headers)
        headers["Idempotent-Replayed"] = "true"
        return Response(self.body, status_code=self.status_code, headers=headers, media_type="application/json")


def _stored_key(method: str, route: str, key: str) -> str:
    """The record's key: the client's key scoped to method and route, digested when that would not fit."""
    scoped = f"{method} {route} {key}"
    if len(scoped) <= _STORED_KEY_LENGTH:
        return scoped
    return f"{method} {route} sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def _request_hash(method: str, route: str, body: bytes) -> str:
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS) if body else b""
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):  # not JSON, or nested too deep to re-encode
        canonical = body
    return hashlib.sha256(f"{method} {route}\n".encode() + canonical).hexdigest()


async def _request_payload(request: Request) -> bytes:
    """What the request's hash covers: its body; for a multipart form, its fields and files themselves.

    A multipart body differs per attempt by its boundary alone, so a retry of the same upload would
    otherwise look like another request. The form is the one the route reads (Starlette keeps it), and
    each file is rewound after it is read here.
    """
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await request.body()
    parts: list[list[str]] = []
    for name, value in (await request.form()).multi_items():
        if isinstance(value, str):
            parts.append([name, value])
        else:
            digest = hashlib.sha256(await value.read()).hexdigest()
            await value.seek(0)
            parts.append([name, value.filename or "", digest])
    return orjson.dumps(sorted(parts))


class Idempotency:
    """Handed to a creating route; `run` produces the response once and replays it after."""

    def __init__(
        self,
        session: AsyncSession,
        table: Table,
        caller: str,
        key: str | None,
        request_hash: str,
        replay: StoredResponse | None,
    ) -> None:
        self._session = session
        self._table = table
        self._caller = caller
        self.key = key
        self._hash = request_hash
        self.replay = replay

    async def run(
        self,
        produce: Callable[[], Awaitable[BaseModel]],
        *,
        status_code: int = 201,
        location: Callable[[Any], str] | None = None,
        etag: Callable[[Any], str] | None = None,
    ) -> Response:
        if self.replay is not None:
            return self.replay.to_response()
        result = await produce()
        body = result.__pydantic_serializer__.to_json(result)
        headers: dict[str, str] = {}
        if location is not None:
            headers["Location"] = location(result)
        if etag is not None:
            headers["ETag"] = etag(result)
        if self.key is not None:
            stmt = insert(self._table).values(
                caller=self._caller,
                key=self.key,
                request_hash=self._hash,
                status_code=status_code,
                headers=headers,
                body=body,
            )
            await self._session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["caller", "key"],
                    set_={c: stmt.excluded[c] for c in ("request_hash", "status_code", "headers", "body")}
                    | {"created_at": func.now()},
                )
            )
        return Response(body, status_code=status_code, headers=headers, media_type="application/json")


async def idempotency(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: Annotated[
        str | None,
        Header(description="幂等键：同一调用方以相同键和相同请求体重试时返回首次结果"),
    ] = None,
) -> Idempotency:
    platform = request.app.state.platform
    table: Table = platform.tables.idempotency_record
    route = getattr(request.scope.get("route"), "path", request.url.path)
    request_hash = _request_hash(request.method, route, await _request_payload(request))
    if idempotency_key is None:
        return Idempotency(session, table, principal.sub, None, request_hash, None)
    if not _KEY_RE.match(idempotency_key):
        raise Invalid.field("Idempotency-Key", "幂等键须为 1–255 个可见 ASCII 字符", "idempotency_key_invalid")
    scoped = _stored_key(request.method, route, idempotency_key)
    locked = await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(hashtextextended(:k, 0))"),
        {"k": f"{principal.sub}\x1f{scoped}"},
    )
    if not locked:
        raise IdempotencyInFlight("相同幂等键的请求仍在处理中，请稍后重试")
    ttl = dt.timedelta(hours=platform.settings.idempotency_ttl_hours)
    row = (
        (await session.execute(select(table).where(table.c.caller == principal.sub, table.c.key == scoped)))
        .mappings()
        .first()
    )
    if row is not None and row["created_at"] < dt.datetime.now(dt.UTC) - ttl:
        await session.execute(delete(table).where(table.c.caller == principal.sub, table.c.key == scoped))
        row = None
    replay = None
    if row is not None:
        if row["request_hash"] != request_hash:
            raise Invalid.field("Idempotency-Key", "该幂等键已用于另一个不同的请求体", "idempotency_key_reused")
        replay = StoredResponse(row["status_code"], dict(row["headers"]), bytes(row["body"]))
    return Idempotency(session, table, principal.sub, scoped, request_hash, replay)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]


class IdempotencyPurge(LoopService):
    """Deletes idempotency records past their time to live, a bounded batch per statement.

    An expired record is already ignored on lookup; the purge only keeps the table from growing. Every
    service runs it (the kernel adds it to each app), on any number of replicas: the deletes skip rows
    another replica is deleting.
    """

    name = "idempotency-purge"
    batch = 5000

    def __init__(self, table: Table, *, ttl: dt.timedelta, interval_s: float, clock: Clock = utc_now) -> None:
        super().__init__(clock=clock)
        self.table = table
        self.ttl = ttl
        self.interval_s = interval_s

    async def run_once(self, now: dt.datetime) -> int:
        table, purged = self.table, 0
        while True:
            async with self.platform.sessionmaker.begin() as session:
                expired = (
                    select(table.c.caller, table.c.key)
                    .where(table.c.created_at < now - self.ttl)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
                result = await session.execute(
                    delete(table).where(tuple_(table.c.caller, table.c.key).in_(expired)).returning(table.c.key)
                )
                count = len(result.all())
            purged += count
            if count < self.batch:
                return purged
