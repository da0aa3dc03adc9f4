"""`make bench`: seed, then the registry against the baseline, then the registry's own targets.

    python -m bench.run           # knobs: bench/settings.py (BENCH_* environment variables)

Order: a fresh database with the data set; the same-JSON check; both apps under the same load,
one at a time, in two rounds (baseline→registry, registry→baseline) so drift on a shared machine
hits both; then, on a fresh registry, the progress and import targets. Results go to
bench/results/*.json and docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import platform
import re
import secrets
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg

from bench import imports, load, progress, report, samples, seed
from bench.procstat import RssSampler, loadavg
from bench.server import serve
from bench.settings import BenchSettings
from shared.auth import mint_token

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
APPS = {
    "baseline": ("bench.baseline:create_app", "/healthz"),
    "registry": ("services.registry.main:create_app", "/readyz"),
}
PACKAGES = ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "sqlalchemy", "asyncpg", "pydantic", "orjson")


def say(message: str) -> None:
    print(message, flush=True)


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


async def _postgres_version(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        version: str = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    return f"PostgreSQL {version.split()[0]}"


def _command() -> str:
    """How this run was started, with the database URL's password (if any) masked."""
    if os.environ.get("BENCH_DATABASE_URL"):
        url = re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", os.environ["BENCH_DATABASE_URL"])
        return f"BENCH_DATABASE_URL={url} make bench"
    return "make bench"


def _server_url(settings: BenchSettings) -> tuple[str, Any]:
    if settings.server_url:
        return settings.server_url, None
    from shared import embedded_pg

    say("BENCH_DATABASE_URL and DATABASE_URL unset: using the embedded PostgreSQL in ./.data/pg")
    server, url = embedded_pg.start(database="postgres")
    return url, server


def _environments(database_url: str, secret: str) -> dict[str, dict[str, str]]:
    """Both apps see the same environment; the registry adds what production sets for it."""
    common = {k: v for k, v in os.environ.items() if not k.startswith(("JWT_", "JWKS_"))}
    common |= {"DATABASE_URL": database_url}
    registry = common | {
        "JWT_SECRET": secret,
        "JWT_ALGORITHMS": '["HS256"]',
        "ACCESS_LOG": "true",
        "LOG_LEVEL": "INFO",
    }
    return {"baseline": common, "registry": registry}


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _access_lines(path: Path) -> int:
    """JSON lines of the access log (`"msg": "request"`, however the encoder spaces them)."""
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            if b"request" in line and line.startswith(b"{"):
                try:
                    count += json.loads(line).get("msg") == "request"
                except ValueError:
                    continue
    return count


def main() -> int:
    settings = BenchSettings.from_env()
    started = time.perf_counter()
    wrk = load.wrk_version()
    server_url, embedded = _server_url(settings)
    load_start = loadavg()

    say(f"seed: database {settings.database} on {server_url.split('@')[-1]}")
    url = asyncio.run(seed.recreate_database(server_url, settings.database))
    step = time.perf_counter()
    seed.migrate_database(url)
    migrate_s = time.perf_counter() - step
    seeded = asyncio.run(seed.load(url, settings))
    say(f"seed: {seeded.rows['entity']:,} entities in {seeded.seconds:.1f} s ({seeded.steps})")
    ids = asyncio.run(seed.enterprise_ids(url))
    combos = asyncio.run(seed.list_filters(url))
    postgres = asyncio.run(_postgres_version(url))

    secret = secrets.token_urlsafe(48)
    token = mint_token(secret=secret, sub="bench-admin", role="admin", region="430000", name="基准测试", ttl_s=7200)
    envs = _environments(url, secret)
    runs: list[load.LoadRun] = []
    answers: dict[str, dict[str, samples.Answer]] = {}
    access_lines = 0
    with tempfile.TemporaryDirectory(prefix="wqb-bench-") as tmp:
        work = Path(tmp)
        get_paths = [f"/api/v1/enterprises/{i}" for i in ids]
        list_paths = [f"/api/v1/enterprises?region={r}&tier={t}&limit=50" for r, t, _ in combos]
        files = {"get": _write_lines(work / "get.txt", get_paths), "list": _write_lines(work / "list.txt", list_paths)}
        sample = samples.sample_paths(get_paths, list_paths)
        for round_no in range(1, ROUNDS + 1):
            order = ("baseline", "registry") if round_no % 2 else ("registry", "baseline")
            for app in order:
                target, ready = APPS[app]
                log_path = work / f"{app}-{round_no}.log"
                with serve(app, target, envs[app], log_path, ready) as server:
                    if app not in answers:
                        answers[app] = samples.fetch(server.base_url, sample, token)
                    for scenario, paths_file in files.items():
                        run = load.measure(
                            server,
                            scenario,
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
                            f"round {round_no} {app:<8} {scenario:<4} {run.rps:8.1f} req/s  p50 "
                            f"{run.latency_ms['p50']:7.1f} ms  p99 {run.latency_ms['p99']:7.1f} ms  "
                            f"CPU {run.cpu_ms_per_request:.2f} ms/req  RSS {run.rss_peak_mb} MB  "
                            f"errors {sum(run.errors.values())}"
                        )
                if app == "registry":
                    access_lines += _access_lines(log_path)

        say("registry: progress and import")
        target, ready = APPS["registry"]
        with serve("registry", target, envs["registry"], work / "registry-targets.log", ready) as server:
            with RssSampler(server.pid, settings.rss_interval_s) as idle_rss:
                time.sleep(1)
            progress_result = progress.measure(
                server.base_url, token, requests=settings.progress_requests, budget_s=settings.progress_budget_s
            )
            say(f"progress: {progress_result}")
            import_result = imports.measure(
                server.base_url,
                token,
                rows=settings.import_rows,
                timeout_s=settings.import_timeout_s,
                pid=server.pid,
                rss_interval_s=settings.rss_interval_s,
            )
            say(f"import: { {k: v for k, v in import_result.items() if k != 'errors'} }")
    del embedded

    run_dicts = [r.to_json() for r in runs]
    summary = report.summarise(run_dicts)
    finished = dt.datetime.now(dt.UTC)
    results: dict[str, Any] = {
        "file": finished.strftime("%Y%m%dT%H%M%SZ") + ".json",
        "finished_at": finished.strftime("%Y-%m-%d %H:%M UTC"),
        "command": _command(),
        "elapsed_s": time.perf_counter() - started,
        "settings": {
            "connections": settings.connections,
            "warmup_s": settings.warmup_s,
            "duration_s": settings.duration_s,
            "rounds": ROUNDS,
            "database": settings.database,
            "list_filters": [{"region": r, "tier": t, "matching": n} for r, t, n in combos],
        },
        "machine": {
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "memory_gib": _memory_gib(),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "postgres": postgres,
            "wrk": wrk,
            "packages": {p: _version(p) for p in PACKAGES},
            "loadavg_start": load_start,
            "loadavg_end": loadavg(),
        },
        "seed": {"seconds": seeded.seconds, "migrate_s": migrate_s, "steps": seeded.steps, "rows": seeded.rows},
        "runs": run_dicts,
        "summary": summary,
        "ratios": report.ratios(summary),
        "ratios_by_round": {
            scenario: [
                reg["rps"] / base["rps"]
                for reg in run_dicts
                for base in run_dicts
                if reg["app"] == "registry"
                and base["app"] == "baseline"
                and reg["scenario"] == base["scenario"] == scenario
                and reg["round"] == base["round"]
            ]
            for scenario in files
        },
        "same_json": samples.compare(answers["registry"], answers["baseline"]),
        "access_log_lines": access_lines,
        "registry_requests": sum(r.requests for r in runs if r.app == "registry"),
        "registry_rss_peak_mb": max((r.rss_peak_mb or 0.0) for r in runs if r.app == "registry"),
        "registry_rss_idle_mb": idle_rss.peak_mb,
        "progress": progress_result,
        "import": import_result,
    }
    results["targets"] = report.targets(results)
    path = report.write(results, write_doc=settings.write_doc)
    say("")
    for t in results["targets"]:
        verdict = "n/a" if t["met"] is None else ("met" if t["met"] else "MISSED")
        say(f"{verdict:>6}  {t['target']}: {t['measured']}")
    say(f"\nresults: {path}" + (" and docs/benchmarks.md" if settings.write_doc else ""))
    invalid = any(sum(r.errors.values()) for r in runs) or results["same_json"]["mismatches"]
    if invalid:
        say("INVALID: errors under load or the apps answered differently; see above")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
