"""POST /api/v1/imports of a 100,000-row enterprise CSV, polled to the end, against 30 s.

The CSV has the Chinese headers users export from their spreadsheets and USCCs that pass both
GB 32100 check characters, prefixed `91` so they never collide with the seeded `92…` codes.
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import httpx

from bench.procstat import RssSampler
from bench.settings import ROOT
from shared.identifiers import org_code_check_char, uscc_check_char

POST_PATH = "/api/v1/imports"
TARGET_S = 30.0
HEADERS = ("名称", "级别", "行政区划代码", "领域", "目标层级", "统一社会信用代码")
DOMAINS = ("industry_it", "industry_it", "agriculture", "construction", "services")
TERMINAL = {"succeeded", "failed"}


def uscc(n: int, region: str) -> str:
    body = f"{n:08d}"
    first = "91" + region + body + org_code_check_char(body)
    return first + uscc_check_char(first)


def _regions() -> tuple[list[str], list[str]]:
    with (ROOT / "services" / "registry" / "data" / "regions.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["code"] for r in rows if r["level"] == "city"], [r["code"] for r in rows if r["level"] == "county"]


def enterprise_csv(rows: int) -> bytes:
    """City enterprises (百亿级 targets) one in five, county ones (十亿级) the rest."""
    cities, counties = _regions()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for n in range(1, rows + 1):
        city = n % 5 == 0
        region = cities[n % len(cities)] if city else counties[n % len(counties)]
        writer.writerow(
            (
                f"导入测试企业{n}号有限公司",
                "city" if city else "county",
                region,
                DOMAINS[n % len(DOMAINS)],
                "ten_billion" if city else "billion",
                uscc(n, region),
            )
        )
    return out.getvalue().encode("utf-8")


def measure(
    base_url: str, token: str, *, rows: int, timeout_s: float, pid: int, rss_interval_s: float
) -> dict[str, Any]:
    started = time.perf_counter()
    content = enterprise_csv(rows)
    generated_s = time.perf_counter() - started
    headers = {"Authorization": f"Bearer {token}"}
    result: dict[str, Any] = {"rows": rows, "csv_bytes": len(content), "csv_seconds": generated_s}
    with (
        httpx.Client(base_url=base_url, headers=headers, timeout=120) as client,
        RssSampler(pid, rss_interval_s) as rss,
    ):
        started = time.perf_counter()
        response = client.post(
            POST_PATH,
            files={"file": ("enterprises.csv", content, "text/csv")},
            data={"kind": "enterprise", "mode": "all_or_nothing"},
        )
        result["accepted_s"] = round(time.perf_counter() - started, 3)
        if response.status_code != 202:
            return result | {"ok": False, "status": response.status_code, "body": response.text[:300]}
        job = response.json()
        job_id = job["id"]
        url = f"{POST_PATH}/{job_id}"
        deadline = started + timeout_s
        while job.get("status") not in TERMINAL and time.perf_counter() < deadline:
            time.sleep(0.25)
            job = client.get(url).json()
        elapsed = time.perf_counter() - started
    done = job.get("status") in TERMINAL
    return result | {
        "ok": job.get("status") == "succeeded",
        "job_id": job_id,
        "status": job.get("status"),
        "seconds": round(elapsed, 2),
        "timed_out": not done,
        "job": {k: job.get(k) for k in ("total", "processed", "created", "updated", "error_count")},
        "errors": (job.get("errors") or [])[:3],
        "rss_peak_mb": rss.peak_mb,
        "target_s": TARGET_S,
        "met": done and job.get("status") == "succeeded" and elapsed < TARGET_S,
    }
