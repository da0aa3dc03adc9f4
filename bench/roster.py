"""Whole rosters: the registry's streamed roster read by the shared client, and a round opened over it.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python -m bench.roster

1. A fresh database (`wqb_bench_roster`), the registry's and scheduler's schemas migrated, loaded by
   `bench.seed` with `BENCH_ROSTER_ENTERPRISES` enterprises (50,000) and a few industries and projects.
2. The registry in its own uvicorn process on loopback, as production runs it (`bench.server`).
3. Reading: `RegistryClient.stream_roster` (one request) for every listed enterprise on a date, timed
   `BENCH_ROSTER_REPEAT` times (3); then, for comparison, the same roster the way the scheduler read it
   before, `list_entities` pages of 200 (`roster_status=listed&as_of=…`), once.
4. Opening: the scheduler app in this process (its own engine, `RUN_LOOPS=false`) on the same
   database, its registry client on the registry process; a plan for every enterprise of the province,
   created through its API; one `RoundTicker.run_once` at the plan's first tick, timed end to end, with
   the time spent in `fetch_roster` (the roster read: entities, departments, regions) and in
   `RoundBook.open` (the round and its tasks written, inside the tick's transaction) recorded apart.

Targets: 50,000 roster rows read by the client in under 3 s; the round opened, with its 50,000 tasks,
in under 20 s. Prints the numbers and writes them to bench/results/roster-<UTC time>.json.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import RowMapping

from bench import seed
from bench.procstat import UsageMeter
from bench.server import serve
from bench.settings import RESULTS, BenchSettings
from services.scheduler.main import create_app as create_scheduler_app
from services.scheduler.rounds import ticker as ticker_module
from services.scheduler.rounds.opening import Roster, RoundBook
from services.scheduler.settings import Settings as SchedulerSettings
from shared import migrate
from shared.auth import mint_token
from shared.clients import RegistryClient, paginate
from shared.schemas.enums import EntityKind

ENTERPRISES = int(os.environ.get("BENCH_ROSTER_ENTERPRISES", "50000"))
REPEAT = int(os.environ.get("BENCH_ROSTER_REPEAT", "3"))
PAGED_BUDGET_S = float(os.environ.get("BENCH_ROSTER_PAGED_BUDGET_S", "120"))
DATABASE = os.environ.get("BENCH_ROSTER_DATABASE", "wqb_bench_roster")
RESEED = os.environ.get("BENCH_ROSTER_RESEED", "1") != "0"  # 0: reuse the database a previous run loaded
AS_OF = dt.date(2025, 1, 31)  # the seed lists enterprises from 2023-01-01 to 2024-12-01
CLIENT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)


def say(message: str) -> None:
    print(message, flush=True)


async def read_streamed(registry: RegistryClient, server_pid: int) -> dict[str, Any]:
    """One streamed read: wall time, rows, and the CPU the client (this process) and the registry used."""
    client_cpu = time.process_time()
    with UsageMeter(server_pid) as meter:
        rows = [entry async for entry in registry.stream_roster(kinds=[EntityKind.enterprise], as_of=AS_OF)]
    assert meter.usage is not None
    return {
        "seconds": meter.usage.wall_s,
        "rows": len(rows),
        "client_cpu_s": time.process_time() - client_cpu,
        "registry_cpu_s": meter.usage.process_cpu_s,
        "machine_busy_pct": meter.usage.machine_busy_pct,
    }


async def read_paged(registry: RegistryClient) -> tuple[float, int, int, bool]:
    """The pre-stream way: pages of 200 until the last, or until the budget is spent."""
    pages = 0
    rows = 0
    started = time.perf_counter()

    async def fetch(cursor: str | None) -> Any:
        nonlocal pages
        pages += 1
        return await registry.list_entities(
            EntityKind.enterprise,
            limit=200,
            cursor=cursor,
            roster_status="listed",
            as_of=AS_OF,
            sort="created_at",
        )

    async for _ in paginate(fetch):
        rows += 1
        if time.perf_counter() - started > PAGED_BUDGET_S:
            return time.perf_counter() - started, rows, pages, False
    return time.perf_counter() - started, rows, pages, True


async def open_round(url: str, registry_url: str, secret: str) -> dict[str, Any]:
    settings = SchedulerSettings(
        database_url=url, jwt_secret=secret, registry_url=registry_url, run_loops=False, access_log=False
    )
    app = create_scheduler_app(settings)
    roster_reads: list[float] = []
    # The ticker's own roster read, wrapped to time it (the module's name for it: `ticker.fetch_roster`).
    original: Callable[..., Awaitable[Roster]] = getattr(ticker_module, "fetch_roster")  # noqa: B009

    async def timed_fetch(registry: RegistryClient, plan: RowMapping, on: dt.date) -> Roster:
        started = time.perf_counter()
        try:
            return await original(registry, plan, on)
        finally:
            roster_reads.append(time.perf_counter() - started)

    # And the write: the round and its tasks in one transaction (`RoundBook.open`).
    writes: list[float] = []
    original_open = RoundBook.open

    async def timed_open(book: RoundBook, *args: Any, **kwargs: Any) -> RowMapping | None:
        started = time.perf_counter()
        try:
            return await original_open(book, *args, **kwargs)
        finally:
            writes.append(time.perf_counter() - started)

    setattr(ticker_module, "fetch_roster", timed_fetch)  # noqa: B010
    setattr(RoundBook, "open", timed_open)  # noqa: B010
    try:
        async with app.router.lifespan_context(app):
            admin = {"Authorization": "Bearer " + mint_token(secret=secret, sub="bench", role="admin", region="430000")}
            plan = {
                "name": "全省企业月度调度（基准）",
                "owner_department": "industry-it",
                "schedule": {"kind": "monthly", "day": 1, "at": "09:00"},
                "scope": {"kinds": ["enterprise"]},
                "submission_window": {"due_after_working_days": 5, "grace_working_days": 2},
            }
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://scheduler") as http:
                created = await http.post("/api/v1/plans", json=plan, headers=admin)
                created.raise_for_status()
                now = dt.datetime.fromisoformat(created.json()["next_tick_at"]) + dt.timedelta(minutes=5)
                ticker = app.state.platform.state.ticker
                started, cpu = time.perf_counter(), time.process_time()
                opened = await ticker.run_once(now)
                total, scheduler_cpu = time.perf_counter() - started, time.process_time() - cpu
                rounds = await http.get(
                    "/api/v1/rounds", params={"plan_id": created.json()["id"], "state": "open"}, headers=admin
                )
                [round_] = rounds.json()["items"]
    finally:
        setattr(ticker_module, "fetch_roster", original)  # noqa: B010
        setattr(RoundBook, "open", original_open)  # noqa: B010
    return {
        "opened": opened,
        "round_id": round_["id"],
        "task_count": round_["task_count"],
        "seconds": total,
        "roster_seconds": sum(roster_reads),
        "roster_share": sum(roster_reads) / total,
        "write_seconds": sum(writes),
        "scheduler_cpu_s": scheduler_cpu,
    }


async def main() -> None:
    base = BenchSettings.from_env()
    if base.server_url is None:
        raise SystemExit("set BENCH_DATABASE_URL (a PostgreSQL server the bench may create a database on)")
    settings = dataclasses.replace(base, enterprises=ENTERPRISES, projects=2000, industries=500)
    if RESEED:
        say(f"seeding {ENTERPRISES:,} enterprises into {DATABASE} ...")
        url = await seed.recreate_database(base.server_url, DATABASE)
        for service in ("registry", "scheduler"):
            await asyncio.to_thread(migrate.upgrade, service, url)  # alembic runs its own event loop
        seeded = await seed.load(url, settings)
        say(f"seeded in {seeded.seconds:.1f} s: {seeded.rows}")
    else:
        url = seed.database_url(base.server_url, DATABASE)
    secret = secrets.token_urlsafe(32)
    service_token = mint_token(secret=secret, sub="bench-scheduler", role="service", region="430000")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JWT_", "JWKS_"))} | {
        "DATABASE_URL": url,
        "JWT_SECRET": secret,
        "RUN_LOOPS": "false",
    }
    results: dict[str, Any] = {
        "enterprises": ENTERPRISES,
        "as_of": AS_OF.isoformat(),
        "load_avg_start": os.getloadavg(),
    }
    with (
        tempfile.TemporaryDirectory() as work,
        serve("registry", "services.registry.main:create_app", env, Path(work) / "registry.log", "/readyz") as server,
    ):
        async with RegistryClient(server.base_url, token=service_token, timeout=CLIENT_TIMEOUT) as registry:
            await read_streamed(registry, server.pid)  # warm-up: connections, prepared statements, caches
            streamed = [await read_streamed(registry, server.pid) for _ in range(REPEAT)]
            for run in streamed:
                say(
                    f"streamed: {run['rows']:,} rows in {run['seconds']:.2f} s (CPU: client"
                    f" {run['client_cpu_s']:.2f} s, registry {run['registry_cpu_s']:.2f} s;"
                    f" machine {run['machine_busy_pct']:.0f} % busy)"
                )
            paged_s, paged_rows, pages, complete = await read_paged(registry)
            spent = "" if complete else " (budget spent)"
            say(f"paged: {paged_rows:,} rows in {pages} requests, {paged_s:.2f} s{spent}")
        results["streamed"] = streamed
        results["streamed_median_s"] = statistics.median(run["seconds"] for run in streamed)
        results["paged"] = {"seconds": paged_s, "rows": paged_rows, "requests": pages, "complete": complete}
        say("opening a round over the whole province ...")
        results["round"] = await open_round(url, server.base_url, secret)
        say(f"round: {json.dumps(results['round'])}")
    conn = await asyncpg.connect(url)
    try:
        results["tasks_in_database"] = await conn.fetchval(
            "SELECT count(*) FROM scheduler.report_task WHERE round_id = $1", uuid.UUID(results["round"]["round_id"])
        )
    finally:
        await conn.close()
    results["load_avg_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"roster-{stamp}.json").write_text(json.dumps(results, indent=2))
    say(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
