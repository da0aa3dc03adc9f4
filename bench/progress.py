"""GET /api/v1/progress for the whole province: one request at a time, median against 150 ms."""

from __future__ import annotations

import os
import statistics
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.routes import operation, operations, query_parameters

PATH = "/api/v1/progress"
TARGET_MS = 150.0
# Values for query parameters the route may declare; the province is the whole of Hunan.
KNOWN = {"region": "430000", "region_code": "430000"}
WARMUP = 3


def measure(base_url: str, token: str, *, requests: int, budget_s: float) -> dict[str, Any]:
    op = operation(operations(base_url), "get", PATH)
    if op is None:
        return {"available": False, "reason": f"GET {PATH} is not a route of the registry yet"}
    query = os.environ.get("BENCH_PROGRESS_QUERY")
    if query is None:
        params = query_parameters(op)
        unknown = sorted(n for n, required in params.items() if required and n not in KNOWN)
        if unknown:
            return {
                "available": False,
                "reason": f"GET {PATH} requires {', '.join(unknown)}: set BENCH_PROGRESS_QUERY (e.g. 'year=2025')",
            }
        query = urlencode({k: v for k, v in KNOWN.items() if k in params})
    url = PATH + (f"?{query}" if query else "")
    timings: list[float] = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for _ in range(WARMUP):
            response = client.get(url)
            if response.status_code != 200:
                return {
                    "available": True,
                    "url": url,
                    "ok": False,
                    "status": response.status_code,
                    "body": response.text[:300],
                }
        size = len(response.content)
        deadline = time.monotonic() + budget_s
        for _ in range(requests):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                return {"available": True, "url": url, "ok": False, "status": response.status_code}
    median = statistics.median(timings)
    ordered = sorted(timings)
    return {
        "available": True,
        "ok": True,
        "url": url,
        "requests": len(timings),
        "response_bytes": size,
        "median_ms": round(median, 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
        "min_ms": round(ordered[0], 1),
        "max_ms": round(ordered[-1], 1),
        "target_ms": TARGET_MS,
        "met": median < TARGET_MS,
    }
