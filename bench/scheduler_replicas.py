"""Three scheduler replicas through a burst of 1,000 due ticks: every round opened once, none missed.

    python -m bench.scheduler_replicas   # BENCH_DATABASE_URL (else DATABASE_URL) names the server

A fresh database (`BENCH_REPLICAS_DATABASE`, default wqb_bench_replicas) with the registry's and the
scheduler's schemas; a real registry process with a small roster (`BENCH_ROSTER`, 5 listed
enterprises, created through its API); three real scheduler processes (`BENCH_REPLICAS`) on the
same database, their tickers running as in production but every `BENCH_TICK_S` (0.2 s) instead of
30 s. `BENCH_PLANS` (100) monthly plans, on different days of the month, are created through the
API with the `all` missed-tick policy and a cap of `BENCH_TICKS` (10); then one statement sets every
plan back 400 days, so each has at least that many ticks due at once: `BENCH_PLANS × BENCH_TICKS`
rounds (1,000) fall due together. With `BENCH_KILL=1` one replica is killed (SIGKILL) once the first
tenth of the rounds is open, and its leased plans are taken over when their leases (`BENCH_LEASE_S`,
10 s) expire.

It waits (at most `BENCH_REPLICAS_TIMEOUT_S`, 300 s) until every plan has been ticked past the burst,
then checks, against the rounds `schedule.ticks_to_open` says are due: rounds opened = due, exactly;
no (plan, period) twice; every due period of every plan opened and nothing else; every round with
exactly one task per roster entity; one `open` audit record per round. It reports the time from the
burst to the last round opened. Exit status 1 when any check fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import secrets
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import scheduler_seed, seed
from bench.procstat import loadavg
from bench.server import RunningServer, serve
from services.scheduler.schedule import MissedTickPolicy, PlanSchedule, ticks_to_open
from shared import migrate
from shared.auth import mint_token
from shared.identifiers import org_code_check_char, uscc_check_char

DATABASE = os.environ.get("BENCH_REPLICAS_DATABASE", "wqb_bench_replicas")
PLANS = int(os.environ.get("BENCH_PLANS", "100"))
TICKS = int(os.environ.get("BENCH_TICKS", "10"))
ROSTER = int(os.environ.get("BENCH_ROSTER", "5"))
REPLICAS = int(os.environ.get("BENCH_REPLICAS", "3"))
TICK_S = os.environ.get("BENCH_TICK_S", "0.2")
LEASE_S = os.environ.get("BENCH_LEASE_S", "10")
TIMEOUT_S = float(os.environ.get("BENCH_REPLICAS_TIMEOUT_S", "300"))
KILL = os.environ.get("BENCH_KILL", "0") == "1"
BACK = dt.timedelta(days=400)
AT = dt.time(9, 0)
NOWHERE = "http://127.0.0.1:9"  # notify: nothing listens on the discard port


def say(message: str) -> None:
    print(message, flush=True)


def uscc(n: int) -> str:
    body = f"{n:08d}"
    first = "91430100" + body + org_code_check_char(body)
    return first + uscc_check_char(first)


def enterprise(n: int) -> dict[str, Any]:
    return {
        "name": f"湖南调度基准企业{n}号有限公司",
        "level": "city",
        "region_code": "430100",
        "domain": "industry_it",
        "pathway": "nurture",
        "target_tier": "ten_billion",
        "uscc": uscc(9000 + n),
        "listed_on": "2024-01-10",
    }


def plan_day(n: int) -> int:
    return 1 + n % 28


def plan(n: int) -> dict[str, Any]:
    return {
        "name": f"副本基准计划{n}",
        "owner_department": "industry-it",
        "schedule": {"kind": "monthly", "day": plan_day(n), "at": AT.strftime("%H:%M")},
        "scope": {"kinds": ["enterprise"]},
        "submission_window": {"due_after_working_days": 5, "grace_working_days": 2},
        "reminders": [{"working_days_before_due": 1, "at": "09:00"}],
        "missed_tick_policy": "all",
        "missed_tick_cap": TICKS,
    }


def expected_periods(day: int, last: dt.datetime, now: dt.datetime) -> list[str]:
    schedule = PlanSchedule.monthly(day=day, at=AT)
    selection = ticks_to_open(schedule, last, now, MissedTickPolicy.all, cap=TICKS)
    return sorted(schedule.reported_period(tick).key for tick in selection.to_open)


async def _setup(registry: str, schedulers: list[str], headers: dict[str, str]) -> dict[str, int]:
    """The roster in the registry, the plans in the scheduler (sent to the replicas in turn, a few at
    once); each plan's id → its day of the month."""
    async with httpx.AsyncClient(base_url=registry, headers=headers, timeout=30) as client:
        for n in range(ROSTER):
            response = await client.post("/api/v1/enterprises", json=enterprise(n))
            if response.status_code != 201:
                raise RuntimeError(f"enterprise {n}: {response.status_code} {response.text[:300]}")
    gate = asyncio.Semaphore(2 * len(schedulers))
    async with httpx.AsyncClient(headers=headers, timeout=60) as client:

        async def create(n: int) -> tuple[str, int]:
            async with gate:
                response = await client.post(f"{schedulers[n % len(schedulers)]}/api/v1/plans", json=plan(n))
            if response.status_code != 201:
                raise RuntimeError(f"plan {n}: {response.status_code} {response.text[:300]}")
            return response.json()["id"], plan_day(n)

        return dict(await asyncio.gather(*(create(n) for n in range(PLANS))))


async def _run(url: str, days: dict[str, int], replicas: list[RunningServer]) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    try:
        # Quiet before the burst: the plans' first ticks (none is due) have been processed.
        now = dt.datetime.now(dt.UTC)
        last = now - BACK
        expected = {plan_id: expected_periods(day, last, now) for plan_id, day in days.items()}
        due = sum(len(keys) for keys in expected.values())
        before = await conn.fetchval("SELECT count(*) FROM scheduler.round WHERE state = 'open'")
        started = time.perf_counter()
        await conn.execute(
            "UPDATE scheduler.plan SET last_tick_at = $1, next_tick_at = $2", last, now - dt.timedelta(seconds=1)
        )
        killed: int | None = None
        opened, finished_s, progress = 0, None, []
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            opened = await conn.fetchval("SELECT count(*) FROM scheduler.round WHERE state = 'open'") - before
            progress.append((round(time.perf_counter() - started, 2), opened))
            if KILL and killed is None and opened >= due // 10:
                victim = replicas[1]
                os.kill(victim.pid, signal.SIGKILL)
                killed = victim.pid
                say(f"killed replica {victim.name} (pid {victim.pid}) with {opened} rounds open")
            pending = await conn.fetchval(
                "SELECT count(*) FROM scheduler.plan WHERE last_tick_at < $1 OR lease_owner IS NOT NULL", now
            )
            if pending == 0:
                finished_s = time.perf_counter() - started
                break
            await asyncio.sleep(0.1)
        last_open = await conn.fetchval(
            "SELECT max(opened_at) FROM scheduler.round WHERE state = 'open' AND opened_at >= $1", now
        )
        first_open = await conn.fetchval(
            "SELECT min(opened_at) FROM scheduler.round WHERE state = 'open' AND opened_at >= $1", now
        )
        rounds = await conn.fetch(
            "SELECT plan_id::text AS plan_id, period_key, count(*) AS n FROM scheduler.round"
            " WHERE state = 'open' GROUP BY plan_id, period_key"
        )
        tasks = await conn.fetch(
            "SELECT r.id, count(t.id) AS n, count(DISTINCT t.entity_id) AS entities FROM scheduler.round r"
            " LEFT JOIN scheduler.report_task t ON t.round_id = r.id WHERE r.state = 'open' GROUP BY r.id"
        )
        audits = await conn.fetchval(
            "SELECT count(*) FROM scheduler.audit_event WHERE resource_type = 'round' AND action = 'open'"
        )
        audited_twice = await conn.fetchval(
            "SELECT count(*) FROM (SELECT resource_id FROM scheduler.audit_event"
            " WHERE resource_type = 'round' AND action = 'open' GROUP BY resource_id HAVING count(*) > 1) AS d"
        )
    finally:
        await conn.close()

    found: dict[str, list[str]] = {}
    for row in rounds:
        found.setdefault(row["plan_id"], []).append(row["period_key"])
    duplicates = sum(row["n"] - 1 for row in rounds)
    missed = sum(len(set(keys) - set(found.get(plan_id, []))) for plan_id, keys in expected.items())
    unexpected = sum(len(set(keys) - set(expected.get(plan_id, []))) for plan_id, keys in found.items())
    wrong_tasks = sum(1 for row in tasks if (row["n"], row["entities"]) != (ROSTER, ROSTER))
    opened_rounds = sum(row["n"] for row in rounds)
    span = (last_open - first_open).total_seconds() if last_open and first_open else None
    return {
        "due": due,
        "opened": opened_rounds,
        "duplicates": duplicates,
        "missed": missed,
        "unexpected": unexpected,
        "tasks": sum(row["n"] for row in tasks),
        "rounds_with_wrong_tasks": wrong_tasks,
        "open_audit_records": audits,
        "rounds_audited_twice": audited_twice,
        "finished_s": finished_s,
        "first_to_last_open_s": span,
        "killed_pid": killed,
        "progress": progress[:: max(1, len(progress) // 20)],
    }


def main() -> int:
    server_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not server_url:
        say("set BENCH_DATABASE_URL (or DATABASE_URL) to a PostgreSQL server the bench may create a database on")
        return 2
    started = time.perf_counter()
    load_start = loadavg()
    url = asyncio.run(seed.recreate_database(server_url, DATABASE))
    migrate.upgrade("registry", url)
    scheduler_seed.migrate_database(url)
    secret = secrets.token_urlsafe(48)
    admin = {"Authorization": "Bearer " + mint_token(secret=secret, sub="bench", role="admin", name="基准", ttl_s=7200)}
    common = {k: v for k, v in os.environ.items() if not k.startswith(("JWT_", "JWKS_"))} | {
        "DATABASE_URL": url,
        "JWT_SECRET": secret,
        "LOG_LEVEL": "WARNING",
        "ACCESS_LOG": "false",
    }
    with tempfile.TemporaryDirectory(prefix="wqb-bench-replicas-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        registry = stack.enter_context(
            serve("registry", "services.registry.main:create_app", common, work / "registry.log", "/readyz")
        )
        scheduler_env = common | {
            "REGISTRY_URL": registry.base_url,
            "NOTIFY_URL": NOWHERE,
            "TICK_INTERVAL_S": TICK_S,
            "TICK_LEASE_S": LEASE_S,
        }
        replicas = [
            stack.enter_context(
                serve(
                    f"scheduler-{n + 1}",
                    "services.scheduler.main:create_app",
                    scheduler_env,
                    work / f"scheduler-{n + 1}.log",
                    "/readyz",
                )
            )
            for n in range(REPLICAS)
        ]
        days = asyncio.run(_setup(registry.base_url, [r.base_url for r in replicas], admin))
        say(
            f"{ROSTER} enterprises, {len(days)} plans in {time.perf_counter() - started:.0f} s;"
            f" {REPLICAS} replicas (tick {TICK_S} s, lease {LEASE_S} s)"
        )
        time.sleep(1)
        result = asyncio.run(_run(url, days, replicas))
        errors = [
            line
            for r in replicas
            for line in r.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
            if '"ERROR"' in line or "Traceback" in line
        ]
    result |= {"elapsed_s": round(time.perf_counter() - started, 1), "loadavg_start": load_start}
    result["loadavg_end"] = loadavg()
    result["replica_error_lines"] = len(errors)
    say("")
    for key, value in result.items():
        if key != "progress":
            say(f"{key}: {value}")
    say(f"progress (s, rounds open): {result['progress']}")
    for line in errors[:5]:
        say(f"  {line[:300]}")
    ok = (
        result["finished_s"] is not None
        and result["opened"] == result["due"] == PLANS * TICKS
        and result["duplicates"] == result["missed"] == result["unexpected"] == 0
        and result["rounds_with_wrong_tasks"] == 0
        and result["tasks"] == result["due"] * ROSTER
        and result["open_audit_records"] == result["due"]
        and result["rounds_audited_twice"] == 0
    )
    say("\nall checks passed" if ok else "\nFAILED: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
