"""A notify process killed with SIGKILL in the middle of a fan-out, and another started in its place.

Real processes on real ports: notify under uvicorn with its delivery loop running (a 2 s lease,
four requests in flight), a slow local receiver (each answer 50 ms late) standing in for 30
subscribers, each under its own query string. The first process is killed once a few webhooks have
arrived, with deliveries in flight and most still queued; a second one is started on the same
database. Every delivery must end delivered; the receiver must have seen every delivery's
`webhook-id`, and each (circular, subscriber) pair under that one id only, however often it came.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from shared import migrate
from shared.cli import wait_ready
from shared.settings import asyncpg_dsn
from tests.conftest import ADMIN, SECRET
from tests.harness import free_port, start_service, stop_all
from tests.notify import factories
from tests.notify.receivers import receiver

SUBSCRIBERS = 30
NOTIFY_APP = "services.notify.main:create_app"


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    stop_all(started)


async def test_a_worker_killed_mid_fan_out_leaves_every_delivery_delivered_under_one_webhook_id(
    fresh_database: str, processes: list[subprocess.Popen[bytes]]
) -> None:
    url = fresh_database
    await asyncio.to_thread(migrate.upgrade, "notify", url)
    env = {
        "DATABASE_URL": url,
        "JWT_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        "ACCESS_LOG": "false",
        "WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]',
        "DELIVERY_CONCURRENCY": "4",
        "DELIVERY_LEASE_S": "2",
        "DELIVERY_INTERVAL_S": "0.2",
    }
    async with receiver(delay_s=0.05) as hook:
        first_port = free_port()
        processes.append(start_service(NOTIFY_APP, first_port, env))
        assert await asyncio.to_thread(wait_ready, first_port, time.monotonic() + 60)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{first_port}", headers=ADMIN, timeout=30) as api:
            subscribers: dict[str, str] = {}  # query string → subscriber id
            for n in range(SUBSCRIBERS):
                body = factories.subscriber(f"{hook.url}?n={n}", name=f"被中断的接收系统{n:02d}")
                created = await api.post("/api/v1/subscribers", json=body)
                assert created.status_code == 201, created.text
                subscribers[f"/hook?n={n}"] = created.json()["id"]
            published = await api.post("/api/v1/circulars", json=factories.circular(publish=True))
            assert published.status_code == 201, published.text
            circular_id = published.json()["id"]

        # Kill it mid-fan-out: some webhooks out, deliveries in flight, most still queued.
        victim = processes[0]
        for _ in range(6000):
            if len(hook.received) >= 5:
                break
            await asyncio.sleep(0.01)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            at_kill = dict(list(await conn.fetch("SELECT status, count(*) FROM notify.delivery GROUP BY status")))
            assert at_kill.get("delivered", 0) < SUBSCRIBERS
            assert at_kill.get("pending", 0) > 0
            assert at_kill.get("sending", 0) > 0  # leased to the dead process: taken over once the lease expires

            second_port = free_port()
            processes.append(start_service(NOTIFY_APP, second_port, env))
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                statuses = dict(list(await conn.fetch("SELECT status, count(*) FROM notify.delivery GROUP BY status")))
                if statuses == {"delivered": SUBSCRIBERS}:
                    break
                await asyncio.sleep(0.2)
            assert statuses == {"delivered": SUBSCRIBERS}
            rows = await conn.fetch(
                "SELECT subscriber_id::text AS subscriber, webhook_id, attempts FROM notify.delivery"
                " WHERE circular_id = $1::uuid AND event_type = 'circular.published'",
                circular_id,
            )
        finally:
            await conn.close()

    ids_by_subscriber = {row["subscriber"]: row["webhook_id"] for row in rows}
    assert sorted(ids_by_subscriber) == sorted(subscribers.values())
    seen: dict[tuple[str, str], set[str]] = {}
    for request in hook.received:
        payload: Any = request.json()
        assert payload["data"]["circular"]["id"] == circular_id
        seen.setdefault((circular_id, subscribers[request.target]), set()).add(request.webhook_id)
    assert seen == {(circular_id, s): {ids_by_subscriber[s]} for s in subscribers.values()}
    assert len(hook.received) >= SUBSCRIBERS  # at least once each; a request cut short by the kill comes again
