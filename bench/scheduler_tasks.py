"""The scheduler's task list against a raw Starlette + asyncpg baseline, in the same run.

    python -m bench.scheduler_tasks     # BENCH_DATABASE_URL (else DATABASE_URL) names the server

Target: `GET /api/v1/tasks` for a county's operator, a page of 50, at least 0.5× the baseline's
requests/s. A fresh database (`BENCH_TASKS_DATABASE`, default wqb_bench_tasks) gets the scheduler's
schema and one open round of `BENCH_TASKS` (50,000) tasks over Hunan's regions
(`bench.scheduler_seed`); the county is the one with the median number of tasks. Both apps run as
`bench.run` runs them (their own uvicorn process, one worker, loopback), the scheduler as in
production (real HS256 county token, JSON access log, metrics) but with its background loops off
(`RUN_LOOPS=false`: the supervision sweep would write findings into the data under measurement).
Load: `bench.load` (wrk, the same script and connections as the registry's bench) over a mix of the
county's first page, its first page filtered by state and by overdue, and its second page; two
rounds, baseline→scheduler then scheduler→baseline. Before the load both apps answer every path of the
mix and the parsed bodies must be identical. Raw numbers go to bench/results/tasks-<UTC time>.json.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import load, report, samples, scheduler_seed, seed
from bench.procstat import loadavg
from bench.server import serve
from bench.settings import RESULTS, BenchSettings
from shared.auth import mint_token

TARGET = 0.5
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
TASKS = int(os.environ.get("BENCH_TASKS", "50000"))
DATABASE = os.environ.get("BENCH_TASKS_DATABASE", "wqb_bench_tasks")
APPS = {
    "baseline": ("bench.tasks_baseline:create_app", "/healthz"),
    "scheduler": ("services.scheduler.main:create_app", "/readyz"),
}
FIRST_PAGES = ("/api/v1/tasks?limit=50", "/api/v1/tasks?limit=50&state=pending", "/api/v1/tasks?limit=50&overdue=true")
# Nothing listens on the discard port: the loops are off, and no peer is called on the list path.
NOWHERE = "http://127.0.0.1:9"


def say(message: str) -> None:
    print(message, flush=True)


def _environments(database_url: str, secret: str, county: str) -> dict[str, dict[str, str]]:
    common = {k: v for k, v in os.environ.items() if not k.startswith(("JWT_", "JWKS_"))}
    common |= {"DATABASE_URL": database_url}
    scheduler = common | {
        "JWT_SECRET": secret,
        "JWT_ALGORITHMS": '["HS256"]',
        "ACCESS_LOG": "true",
        "LOG_LEVEL": "INFO",
        "RUN_LOOPS": "false",
        "REGISTRY_URL": NOWHERE,
        "NOTIFY_URL": NOWHERE,
    }
    return {"baseline": common | {"BASELINE_REGION": county}, "scheduler": scheduler}


def _second_page(base_url: str, token: str) -> str:
    """The county's second page, by the cursor its first page gave."""
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        first = client.get(FIRST_PAGES[0])
        first.raise_for_status()
    cursor = first.json()["next_cursor"]
    if cursor is None:
        raise RuntimeError("the county has a single page of tasks: seed more (BENCH_TASKS)")
    return f"{FIRST_PAGES[0]}&cursor={cursor}"


def main() -> int:
    settings = BenchSettings.from_env()
    if not settings.server_url:
        say("set BENCH_DATABASE_URL (or DATABASE_URL) to a PostgreSQL server the bench may create a database on")
        return 2
    started = time.perf_counter()
    load_start = loadavg()
    url = asyncio.run(seed.recreate_database(settings.server_url, DATABASE))
    scheduler_seed.migrate_database(url)
    seeded = asyncio.run(scheduler_seed.load(url, TASKS, now=dt.datetime.now(dt.UTC)))
    sizes = asyncio.run(scheduler_seed.county_sizes(url))
    county, county_tasks = sizes[len(sizes) // 2]
    say(f"seed: {seeded.tasks:,} tasks in {seeded.seconds:.1f} s; county {county} has {county_tasks} of them")

    secret = secrets.token_urlsafe(48)
    token = mint_token(secret=secret, sub="bench-county", role="county", region=county, name="县级操作员", ttl_s=7200)
    envs = _environments(url, secret, county)
    runs: list[load.LoadRun] = []
    answers: dict[str, dict[str, samples.Answer]] = {}
    paths: list[str] = []
    with tempfile.TemporaryDirectory(prefix="wqb-bench-tasks-") as tmp:
        work = Path(tmp)
        paths_file = work / "tasks.txt"
        for round_no in range(1, ROUNDS + 1):
            order = ("baseline", "scheduler") if round_no % 2 else ("scheduler", "baseline")
            for app in order:
                target, ready = APPS[app]
                with serve(app, target, envs[app], work / f"{app}-{round_no}.log", ready) as server:
                    if not paths:
                        # The cursor comes from whichever app serves first; the same-JSON check below
                        # compares both apps' first pages, cursors included.
                        paths = [*FIRST_PAGES, _second_page(server.base_url, token)]
                        # The plain first page is the most requested: twice in the mix.
                        paths_file.write_text("\n".join([paths[0], *paths]) + "\n", encoding="utf-8")
                    if app not in answers:
                        answers[app] = samples.fetch(server.base_url, paths, token)
                    run = load.measure(
                        server,
                        "tasks",
                        paths_file,
                        round_no=round_no,
                        connections=settings.connections,
                        warmup_s=settings.warmup_s,
                        duration_s=settings.duration_s,
                        token=token,
                        rss_interval_s=settings.rss_interval_s,
                    )
                    runs.append(run)
                    say(
                        f"round {round_no} {app:<9} {run.rps:8.1f} req/s  p50 {run.latency_ms['p50']:7.1f} ms  "
                        f"p99 {run.latency_ms['p99']:7.1f} ms  CPU {run.cpu_ms_per_request:.2f} ms/req  "
                        f"RSS {run.rss_peak_mb} MB  errors {sum(run.errors.values())}"
                    )

    run_dicts = [r.to_json() for r in runs]
    summary = report.summarise(run_dicts)
    base, sched = summary["baseline"]["tasks"], summary["scheduler"]["tasks"]
    ratio = sched["rps"] / base["rps"] if base["rps"] else 0.0
    by_round = [
        s["rps"] / b["rps"]
        for s in run_dicts
        for b in run_dicts
        if s["app"] == "scheduler" and b["app"] == "baseline" and s["round"] == b["round"]
    ]
    same = samples.compare(answers["scheduler"], answers["baseline"])
    finished = dt.datetime.now(dt.UTC)
    results: dict[str, Any] = {
        "finished_at": finished.strftime("%Y-%m-%d %H:%M UTC"),
        "elapsed_s": time.perf_counter() - started,
        "tasks": seeded.tasks,
        "county": county,
        "county_tasks": county_tasks,
        "paths": paths,
        "settings": {
            "connections": settings.connections,
            "warmup_s": settings.warmup_s,
            "duration_s": settings.duration_s,
            "rounds": ROUNDS,
        },
        "loadavg_start": load_start,
        "loadavg_end": loadavg(),
        "runs": run_dicts,
        "summary": summary,
        "ratio": ratio,
        "ratios_by_round": by_round,
        "same_json": same,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"tasks-{finished.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")

    say("")
    say("| app | req/s | p50 ms | p99 ms | server CPU ms/req | errors |")
    say("|---|---:|---:|---:|---:|---:|")
    for app, row in (("baseline", base), ("scheduler", sched)):
        say(
            f"| {app} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
            f"{row['cpu_ms_per_request']:.2f} | {row['errors']} |"
        )
    rounds_text = ", ".join(f"{r:.2f}×" for r in by_round)
    verdict = "met" if ratio >= TARGET else "MISSED"
    say(f"\nratio scheduler/baseline: {ratio:.2f}× (per round {rounds_text}); target ≥ {TARGET}×: {verdict}")
    say(f"same JSON: {same['identical']} of {same['compared']} paths identical")
    for mismatch in same["mismatches"]:
        say(f"  {mismatch}")
    say(f"results: {path}")
    invalid = any(sum(r.errors.values()) for r in runs) or same["mismatches"]
    if invalid:
        say("INVALID: errors under load or the apps answered differently; see above")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
