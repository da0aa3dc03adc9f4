"""GET /api/v1/progress for the whole province: one request at a time, median against 150 ms."""

from __future__ import annotations

import statistics
import time
from typing import Any

import httpx

PATH = "/api/v1/progress"
URL = PATH + "?region=430000"  # the province: the whole of Hunan
TARGET_MS = 150.0
WARMUP = 3


def measure(base_url: str, token: str, *, requests: int, budget_s: float) -> dict[str, Any]:
    timings: list[float] = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for _ in range(WARMUP):
            response = client.get(URL)
            if response.status_code != 200:
                return {"url": URL, "ok": False, "status": response.status_code, "body": response.text[:300]}
        size = len(response.content)
        deadline = time.monotonic() + budget_s
        for _ in range(requests):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            response = client.get(URL)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                return {"url": URL, "ok": False, "status": response.status_code}
    median = statistics.median(timings)
    ordered = sorted(timings)
    return {
        "ok": True,
        "url": URL,
        "requests": len(timings),
        "response_bytes": size,
        "median_ms": round(median, 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
        "min_ms": round(ordered[0], 1),
        "max_ms": round(ordered[-1], 1),
        "target_ms": TARGET_MS,
        "met": median < TARGET_MS,
    }
