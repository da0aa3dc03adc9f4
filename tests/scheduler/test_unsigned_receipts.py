"""circular_unsigned end to end, against the real notify app in process: the scheduler's supervision
letters are issued by notify, the loop reads back which of their receipts are still unsigned (through
`NotifyClient`), and the sweep colours each receipt by the days since publication until it is signed."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notify.circulars.documents import DocumentRenderer
from services.notify.document import OfficialDocument
from services.scheduler.circulars.receipts import refresh_unsigned_receipts
from services.scheduler.main import create_app as create_scheduler_app
from services.scheduler.models import Finding, UnsignedReceipt, outbox, table
from services.scheduler.rules import SigningParams, circular_unsigned
from shared.clients import NotifyClient
from shared.db import Database
from tests.conftest import ADMIN, FAST_RETRY, scheduler_settings, token
from tests.harness import started
from tests.scheduler.helpers import insert_plan, insert_round, insert_task
from tests.scheduler.test_findings_sql import at

T0 = at("2026-12-01", 10)


def pin(app: FastAPI, instant: dt.datetime) -> None:
    """Every request to `app` from now on happens at `instant` (`ctx.now`)."""
    app.state.platform.clock = lambda: instant


def quick_pdf(doc: OfficialDocument) -> bytes:
    return b"%PDF-1.4 stand-in " + doc.number.encode()


@pytest.fixture
async def scheduler(
    database_url: str, db_connection: AsyncConnection, registry_app: Any, notify_app: Any
) -> AsyncIterator[FastAPI]:
    """The scheduler whose notify peer (circulars sent and receipts read) is the notify app in process."""
    notify_app.state.platform.state.renderer = DocumentRenderer(quick_pdf)
    factory = functools.partial(
        create_scheduler_app,
        registry_transport=httpx.ASGITransport(app=registry_app),
        registry_retry=FAST_RETRY,
        notify_transport=httpx.ASGITransport(app=notify_app),
    )
    async with started(factory, scheduler_settings(database_url), Database.inside(db_connection)) as app:
        yield app


async def deliver(app: FastAPI, conn: AsyncConnection) -> list[dict[str, Any]]:
    """Run the outbox relay until every message is delivered; notify's answers."""
    relay = app.state.platform.state.relay
    due = (await conn.execute(select(outbox.c.next_attempt_at).where(outbox.c.delivered_at.is_(None)))).scalars()
    for instant in sorted(due):
        await relay.run_once(instant)
    rows = (await conn.execute(select(outbox).order_by(outbox.c.id))).mappings().all()
    assert all(r["delivered_at"] is not None for r in rows), [r["last_error"] for r in rows]
    return [r["response"] for r in rows]


async def findings(conn: AsyncConnection) -> list[dict[str, Any]]:
    f = table(Finding)
    rows = await conn.execute(select(f).where(f.c.rule_code == "circular_unsigned").order_by(f.c.created_at))
    return [dict(r) for r in rows.mappings()]


async def stored(conn: AsyncConnection) -> list[tuple[uuid.UUID, str, str]]:
    u = table(UnsignedReceipt)
    rows = await conn.execute(select(u.c.circular_id, u.c.unit_type, u.c.unit_code).order_by(u.c.circular_id))
    return [tuple(r) for r in rows]


async def test_a_letter_left_unsigned_turns_yellow_then_red_and_resolves_when_signed(
    scheduler: FastAPI, notify_app: Any, notify_client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    # A report overdue since November: red at T0, so the sweep asks notify for a supervision letter.
    plan = await insert_plan(db_connection)
    round_id = await insert_round(db_connection, plan, "2026-10", dt.date(2026, 11, 10))
    await insert_task(db_connection, round_id, plan, uuid.uuid4(), entity_kind="enterprise", entity_name="湘江电机")
    sweep = scheduler.state.platform.state.sweep
    pin(notify_app, T0)
    await sweep.run_once(T0)
    [letter] = await deliver(scheduler, db_connection)
    assert (letter["kind"], letter["status"], letter["audience"]["regions"], letter["audience"]["departments"]) == (
        "supervision_letter",
        "published",
        ["430104"],
        ["industry-it"],
    )
    # The department signs at once; 岳麓区 does not. A circular the scheduler did not ask for is not its concern.
    signed = await notify_client.post(
        f"/api/v1/circulars/{letter['id']}/receipts",
        json={"unit_type": "department", "unit_code": "industry-it"},
        headers=ADMIN,
    )
    assert signed.status_code == 200, signed.text
    other = {
        "kind": "bulletin",
        "title": "关于调度情况的通报",
        "body": "各市州：现将调度情况通报如下。",
        "issuer": "wqb_office",
        "audience": {"regions": ["430100"]},
        "publish": True,
    }
    assert (await notify_client.post("/api/v1/circulars", json=other, headers=ADMIN)).status_code == 201

    seen = []
    for days in (2, 3, 6, 7):
        now = T0 + dt.timedelta(days=days)
        pin(notify_app, now)
        await sweep.run_once(now)
        seen.append([(f["colour"], f["state"]) for f in await findings(db_connection)])
    assert await stored(db_connection) == [(uuid.UUID(letter["id"]), "region", "430104")]
    # Yellow from 3 days after publication, red from 7 (the seeded parameters).
    assert seen == [[], [("yellow", "open")], [("yellow", "open")], [("red", "notified")]]
    [finding] = await findings(db_connection)
    reference = circular_unsigned(T0.date(), (T0 + dt.timedelta(days=7)).date(), False, SigningParams())
    assert finding["explanation"] == reference.explanation | {
        "circular_id": letter["id"],
        "document_number": letter["document_number"],
        "unit_type": "region",
        "unit_code": "430104",
    }
    assert (finding["subject_type"], finding["region_code"], finding["entity_name"], finding["period_key"]) == (
        "receipt",
        "430104",
        letter["title"],
        "-",
    )

    # The red finding's own letter goes to 岳麓区 too; it is never itself followed up by this rule.
    responses = await deliver(scheduler, db_connection)
    second = responses[-1]
    assert (second["source"], second["status"]) == ({"type": "finding", "id": str(finding["id"])}, "published")
    later = T0 + dt.timedelta(days=20)
    pin(notify_app, later)
    await sweep.run_once(later)
    assert await stored(db_connection) == [(uuid.UUID(letter["id"]), "region", "430104")]
    assert [(f["colour"], f["state"]) for f in await findings(db_connection)] == [("red", "notified")]

    # 岳麓区 signs: the next pass no longer finds the receipt unsigned, and the finding is resolved.
    region = await notify_client.post(
        f"/api/v1/circulars/{letter['id']}/receipts", json={"unit_type": "region", "unit_code": "430104"}, headers=ADMIN
    )
    assert region.status_code == 200, region.text
    await sweep.run_once(later + dt.timedelta(hours=1))
    assert await stored(db_connection) == []
    [resolved] = await findings(db_connection)
    assert (resolved["colour"], resolved["state"], resolved["resolved_at"]) == (
        "red",
        "resolved",
        later + dt.timedelta(hours=1),
    )
    assert resolved["explanation"] == finding["explanation"] | {"today": "2026-12-21", "days_unsigned": 20}


async def test_when_notify_cannot_be_read_the_stored_receipts_stay(
    scheduler: FastAPI, notify_app: Any, db_connection: AsyncConnection
) -> None:
    plan = await insert_plan(db_connection)
    round_id = await insert_round(db_connection, plan, "2026-10", dt.date(2026, 11, 10))
    await insert_task(db_connection, round_id, plan, uuid.uuid4())
    pin(notify_app, T0)
    await scheduler.state.platform.state.sweep.run_once(T0)
    [letter] = await deliver(scheduler, db_connection)
    pin(notify_app, T0 + dt.timedelta(days=4))
    sessions = scheduler.state.platform.sessionmaker
    transport = httpx.ASGITransport(app=notify_app)
    async with NotifyClient("http://notify", token=token("service"), transport=transport, retry=FAST_RETRY) as notify:
        assert await refresh_unsigned_receipts(sessions, notify, T0 + dt.timedelta(days=4)) == 2
    expected = [(uuid.UUID(letter["id"]), "department", "industry-it"), (uuid.UUID(letter["id"]), "region", "430104")]
    assert sorted(await stored(db_connection)) == expected

    def unavailable(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"code": "database_unavailable"}, headers={"Retry-After": "0"})

    down = httpx.MockTransport(unavailable)
    async with NotifyClient("http://notify", token=token("service"), transport=down, retry=FAST_RETRY) as notify:
        assert await refresh_unsigned_receipts(sessions, notify, T0 + dt.timedelta(days=5)) is None
    assert sorted(await stored(db_connection)) == expected
    u = table(UnsignedReceipt)
    fetched = set((await db_connection.execute(select(u.c.fetched_at))).scalars())
    assert fetched == {T0 + dt.timedelta(days=4)}
