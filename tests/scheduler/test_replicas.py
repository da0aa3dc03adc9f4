"""Three scheduler processes against one database through a burst of due ticks, one killed mid-run.

Real processes on real ports: a registry, and three schedulers whose tickers run in the background
(a 0.2 s tick, a 2 s lease). Every plan is set back so that several monthly ticks are due at once
under the `all` policy; one scheduler is killed with SIGKILL as soon as the first rounds open. Every
due round must open exactly once, with exactly one task per roster entity, the dead replica's plans
taken over when their leases expire.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import subprocess
import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from services.scheduler.schedule import MissedTickPolicy, PlanSchedule, ticks_to_open
from shared import migrate
from shared.cli import wait_ready
from shared.settings import asyncpg_dsn
from tests.conftest import ADMIN, SECRET
from tests.harness import free_port, start_service, stop_all
from tests.scheduler.helpers import plan

PLANS, ENTERPRISES, REPLICAS = 8, 12, 3
BACK = dt.timedelta(days=100)  # three or four monthly ticks ago


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    stop_all(started)


async def fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def test_three_replicas_open_every_due_round_once_though_one_is_killed(
    fresh_database: str, processes: list[subprocess.Popen[bytes]]
) -> None:
    url = fresh_database
    for service in ("registry", "scheduler"):
        await asyncio.to_thread(migrate.upgrade, service, url)
    common = {"DATABASE_URL": url, "JWT_SECRET": SECRET, "LOG_LEVEL": "WARNING", "ACCESS_LOG": "false"}
    registry_port = free_port()
    processes.append(start_service("services.registry.main:create_app", registry_port, common))
    assert await asyncio.to_thread(wait_ready, registry_port, time.monotonic() + 180)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{registry_port}") as registry:
        from tests import factories

        for n in range(ENTERPRISES):
            body = factories.enterprise(700 + n, listed_on="2024-01-10")
            assert (await registry.post("/api/v1/enterprises", json=body, headers=ADMIN)).status_code == 201

    scheduler_env = common | {
        "REGISTRY_URL": f"http://127.0.0.1:{registry_port}",
        "TICK_INTERVAL_S": "0.2",
        "TICK_LEASE_S": "2",
        "RELAY_INTERVAL_S": "1",
    }
    ports = [free_port() for _ in range(REPLICAS)]
    for port in ports:
        processes.append(start_service("services.scheduler.main:create_app", port, scheduler_env))
    for port in ports:
        assert await asyncio.to_thread(wait_ready, port, time.monotonic() + 180)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[0]}") as scheduler:
        for n in range(PLANS):
            body = plan(name=f"多副本计划{n}", missed_tick_policy="all", missed_tick_cap=12)
            assert (await scheduler.post("/api/v1/plans", json=body, headers=ADMIN)).status_code == 201

    now = dt.datetime.now(dt.UTC)
    last = now - BACK
    schedule = PlanSchedule.monthly(day=1, at=dt.time(9, 0))
    expected_keys = sorted(
        schedule.reported_period(tick).key
        for tick in ticks_to_open(schedule, last, now, MissedTickPolicy.all, cap=12).to_open
    )
    assert len(expected_keys) >= 3
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        # The burst: every plan's ticks since `last` fall due at once.
        await conn.execute(
            "UPDATE scheduler.plan SET last_tick_at = $1, next_tick_at = $2", last, now - dt.timedelta(seconds=1)
        )
        victim = processes[1]
        for _ in range(300):
            if await conn.fetchval("SELECT count(*) FROM scheduler.round WHERE state = 'open'"):
                break
            await asyncio.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            pending = await conn.fetchval(
                "SELECT count(*) FROM scheduler.plan WHERE last_tick_at < $1 OR lease_owner IS NOT NULL", now
            )
            if pending == 0:
                break
            await asyncio.sleep(0.2)
        assert pending == 0, "some plans were never ticked"

        opened = await conn.fetch(
            "SELECT plan_id, period_key, count(*) AS n FROM scheduler.round WHERE state = 'open'"
            " GROUP BY plan_id, period_key ORDER BY plan_id, period_key"
        )
        by_plan: dict[str, list[str]] = {}
        for row in opened:
            assert row["n"] == 1
            by_plan.setdefault(str(row["plan_id"]), []).append(row["period_key"])
        assert len(by_plan) == PLANS
        assert {tuple(keys) for keys in by_plan.values()} == {tuple(expected_keys)}

        tasks = await conn.fetch(
            "SELECT r.id, count(t.id) AS n, count(DISTINCT t.entity_id) AS entities FROM scheduler.round r"
            " LEFT JOIN scheduler.report_task t ON t.round_id = r.id WHERE r.state = 'open' GROUP BY r.id"
        )
        assert len(tasks) == PLANS * len(expected_keys)
        assert {(row["n"], row["entities"]) for row in tasks} == {(ENTERPRISES, ENTERPRISES)}
    finally:
        await conn.close()
