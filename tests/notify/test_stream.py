"""The SSE stream, read straight off the ASGI app (httpx's ASGI transport buffers whole responses):
events in the caller's scope, resumed after Last-Event-ID, heartbeats while idle."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from services.notify.circulars.documents import DocumentRenderer
from services.notify.main import create_app
from shared.db import Database
from tests.conftest import ADMIN, auth, notify_settings
from tests.harness import asgi_client, started
from tests.notify import factories
from tests.notify.conftest import COMMITTED_ISSUER, fake_pdf
from tests.notify.receivers import always, receiver


@dataclass
class Stream:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytearray = field(default_factory=bytearray)

    @property
    def events(self) -> list[dict[str, Any]]:
        found = []
        for block in self.raw.decode().replace("\r\n", "\n").split("\n\n"):
            fields: dict[str, Any] = {}
            for line in block.splitlines():
                name, _, value = line.partition(":")
                if name in ("id", "event", "data"):
                    fields[name] = value.strip()
            if "data" in fields:
                fields["data"] = orjson.loads(fields["data"])
                found.append(fields)
        return found

    @property
    def pings(self) -> int:
        return sum(1 for line in self.raw.decode().splitlines() if line.startswith(": ping"))


async def read_stream(app: Any, headers: dict[str, str], until: Callable[[Stream], bool], *, query: str = "") -> Stream:
    """Open the stream, read until `until` holds, then disconnect like a client going away."""
    stream = Stream()
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            stream.status = message["status"]
            stream.headers = {k.decode(): v.decode() for k, v in message["headers"]}
            if stream.status != 200:
                done.set()
        elif message["type"] == "http.response.body":
            stream.raw += message.get("body", b"")
            if until(stream) or stream.status != 200:
                done.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/v1/events/stream",
        "raw_path": b"/api/v1/events/stream",
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("notify", 80),
        "state": {},
    }
    await asyncio.wait_for(app(scope, receive, send), timeout=10)
    return stream


async def publish(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/circulars", json=factories.circular(publish=True, **overrides), headers=ADMIN)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_events_replay_after_the_last_event_id_in_scope(
    notify_client: httpx.AsyncClient, notify_app: Any
) -> None:
    first = await publish(notify_client, title="发往长沙")
    second = await publish(notify_client, title="发往株洲", audience={"regions": ["430200"]})
    third = await publish(notify_client, title="发往全省", audience={"regions": ["430000"]})
    await notify_client.post(
        f"/api/v1/circulars/{first['id']}/receipts", json={"unit_type": "region", "unit_code": "430100"}, headers=ADMIN
    )
    everything = await read_stream(notify_app, ADMIN, lambda s: len(s.events) == 4, query="after=0")
    assert everything.status == 200
    assert everything.headers["content-type"].startswith("text/event-stream")
    assert [(e["event"], e["data"].get("title")) for e in everything.events] == [
        ("circular.published", "发往长沙"),
        ("circular.published", "发往株洲"),
        ("circular.published", "发往全省"),
        ("receipt.signed", None),
    ]
    ids = [int(e["id"]) for e in everything.events]
    assert ids == sorted(ids) and all(int(e["id"]) == e["data"]["id"] for e in everything.events)

    city = auth("city", "430100") | {"Last-Event-ID": str(ids[0])}
    resumed = await read_stream(notify_app, city, lambda s: len(s.events) == 2)
    assert [(e["event"], e["data"]["circular_id"]) for e in resumed.events] == [
        ("circular.published", third["id"]),
        ("receipt.signed", first["id"]),
    ]
    assert second["id"] not in resumed.raw.decode()


async def test_an_idle_stream_sends_heartbeats_and_nothing_out_of_scope(database_url: str, db_connection: Any) -> None:
    settings = notify_settings(database_url, sse_heartbeat_s=0.05, sse_poll_interval_s=0.01)
    async with started(create_app, settings, Database.inside(db_connection)) as app:
        app.state.platform.state.renderer = DocumentRenderer(fake_pdf)
        async with asgi_client(app, "notify") as client:
            await publish(client)
        stream = await read_stream(app, auth("county", "433101"), lambda s: s.pings >= 2, query="after=0")
    assert (stream.status, stream.events) == (200, [])
    assert stream.pings >= 2


async def test_a_bad_last_event_id_is_422(notify_app: Any) -> None:
    stream = await read_stream(notify_app, ADMIN | {"Last-Event-ID": "abc"}, lambda s: True)
    assert stream.status == 422
    assert orjson.loads(bytes(stream.raw))["code"] == "last_event_id_invalid"


async def test_no_token_no_stream(notify_app: Any) -> None:
    stream = await read_stream(notify_app, {}, lambda s: True)
    assert stream.status == 401


async def test_a_stream_without_last_event_id_begins_with_what_happens_next(
    committing_notify_app: Any, committed: str
) -> None:
    async with asgi_client(committing_notify_app, "notify") as client:
        await publish(client, title=f"{committed}之前", issuer=COMMITTED_ISSUER)
        reading = asyncio.create_task(read_stream(committing_notify_app, ADMIN, lambda s: len(s.events) == 1))
        await asyncio.sleep(0)  # let the stream take its starting point before the next publish
        while not reading.done():
            published = await publish(client, title=f"{committed}之后", issuer=COMMITTED_ISSUER)
            try:
                stream = await asyncio.wait_for(asyncio.shield(reading), timeout=2)
            except TimeoutError:
                continue
    assert [e["data"]["title"] for e in stream.events] == [f"{committed}之后"]
    assert stream.events[0]["data"]["circular_id"] == published["id"]


async def test_a_disabled_endpoint_is_announced_to_its_owner_s_region(
    notify_client: httpx.AsyncClient, notify_app: Any, now: dt.datetime, database_url: str, db_connection: Any
) -> None:
    async with receiver(always(410)) as hook:
        subscriber = (
            await notify_client.post(
                "/api/v1/subscribers", json=factories.subscriber(hook.url, region_code="430104"), headers=ADMIN
            )
        ).json()
        await publish(notify_client, audience={"regions": ["430104"]})
        await notify_app.state.platform.state.deliveries.run_once(now)
    owner = await read_stream(notify_app, auth("county", "430104"), lambda s: len(s.events) == 2, query="after=0")
    assert [e["event"] for e in owner.events] == ["circular.published", "endpoint.disabled"]
    assert owner.events[1]["data"] | {"id": 0, "occurred_at": ""} == {
        "id": 0,
        "type": "endpoint.disabled",
        "occurred_at": "",
        "subscriber_id": subscriber["id"],
        "reason": "接收端返回 410 Gone",
    }
    quick = notify_settings(database_url, sse_heartbeat_s=0.05, sse_poll_interval_s=0.01)
    async with started(create_app, quick, Database.inside(db_connection)) as app:
        other = await read_stream(app, auth("county", "430105"), lambda s: s.pings >= 2, query="after=0")
    assert other.events == []
