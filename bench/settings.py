"""The knobs of a bench run, read once from the environment; defaults keep the run near 5 minutes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class BenchSettings:
    # A server URL the bench may create and drop `database` on. Unset: DATABASE_URL, else the
    # embedded PostgreSQL of `make run` (./.data/pg).
    server_url: str | None
    database: str
    enterprises: int
    projects: int
    industries: int
    import_rows: int
    connections: int
    warmup_s: float
    duration_s: float
    progress_requests: int
    progress_budget_s: float
    import_timeout_s: float
    rss_interval_s: float
    write_doc: bool

    @classmethod
    def from_env(cls) -> BenchSettings:
        return cls(
            server_url=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL"),
            database=os.environ.get("BENCH_DATABASE", "wqb_bench"),
            enterprises=_int("BENCH_ENTERPRISES", 100_000),
            projects=_int("BENCH_PROJECTS", 20_000),
            industries=_int("BENCH_INDUSTRIES", 2_000),
            import_rows=_int("BENCH_IMPORT_ROWS", 100_000),
            connections=_int("BENCH_CONNECTIONS", 32),
            warmup_s=_float("BENCH_WARMUP_S", 3),
            duration_s=_float("BENCH_DURATION_S", 10),
            progress_requests=_int("BENCH_PROGRESS_REQUESTS", 30),
            progress_budget_s=_float("BENCH_PROGRESS_BUDGET_S", 30),
            import_timeout_s=_float("BENCH_IMPORT_TIMEOUT_S", 120),
            rss_interval_s=_float("BENCH_RSS_INTERVAL_S", 0.2),
            write_doc=os.environ.get("BENCH_WRITE_DOC", "1") != "0",
        )
