"""notify's webhook fan-out: one circular to 1,000 subscribers on local receivers, against bare clients.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.notify_fanout

(without BENCH_DATABASE_URL or DATABASE_URL: the embedded PostgreSQL of `make run`). About two
minutes. Knobs: BENCH_FANOUT_SUBSCRIBERS (1000), BENCH_FANOUT_CONCURRENCY (64, the service's
DELIVERY_CONCURRENCY and the bare clients' requests in flight), BENCH_FANOUT_ROUNDS (3),
BENCH_FANOUT_BACKLOG (10000).

What runs, all on 127.0.0.1: a fresh database `wqb_bench_notify` migrated to notify's head; one
receiver process (`bench.receivers`) with one port per subscriber; notify itself as production runs
it (uvicorn, one process, its delivery loop in the background, JSON logs to a temporary file). The bench
registers the subscribers through the API, then, each round, one after the other:

    aiohttp   the bare client: the same signed requests (one per subscriber, each signed with that
    httpx     subscriber's secret) with the same number in flight, one long-lived client each,
              configured like the delivery engine's sender (100 connections, 4 per host, 15 s)
    notify    a circular published through the API to every subscriber; rate = subscribers / (time
              from the publish's response to the last receiver's first sight of its webhook-id);
              publish-to-first-attempt = each receiver's first sight minus the publish's response
    dead      the same publish with one more subscriber, whose endpoint refuses connections,
              holding a backlog of BACKLOG due deliveries (queued by SQL before the round; the
              subscriber is disabled in the other rounds): the other subscribers' latency

A warm-up round of each comes first (connections to the receivers are kept alive by all three).
Results: printed, and bench/results/notify_fanout.json.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx

from bench import seed
from bench.procstat import cpu_seconds, loadavg
from bench.server import serve
from bench.settings import RESULTS, ROOT
from services.notify.signing import SigningSecret, encode_payload, new_webhook_id, sign
from shared import migrate
from shared.auth import mint_token
from shared.schemas.notify.enums import EventType

SUBSCRIBERS = int(os.environ.get("BENCH_FANOUT_SUBSCRIBERS", "1000"))
CONCURRENCY = int(os.environ.get("BENCH_FANOUT_CONCURRENCY", "64"))
ROUNDS = int(os.environ.get("BENCH_FANOUT_ROUNDS", "3"))
BACKLOG = int(os.environ.get("BENCH_FANOUT_BACKLOG", "10000"))
DATABASE = "wqb_bench_notify"
SECRET = "bench-notify-secret-0123456789abcdef0123456789"
TIMEOUT_S = 120.0


def say(message: str) -> None:
    print(message, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


@dataclass
class Receivers:
    ports: list[int]
    control: int

    async def stats(self) -> dict[str, Any]:
        async with httpx.AsyncClient() as http:
            response = await http.get(f"http://127.0.0.1:{self.control}/stats")
        body: dict[str, Any] = response.json()
        return body

    async def reset(self) -> None:
        async with httpx.AsyncClient() as http:
            await http.post(f"http://127.0.0.1:{self.control}/reset")

    async def wait_for(self, count: int) -> dict[str, float]:
        """The first sight of each webhook-id, once `count` distinct ones have arrived."""
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            stats = await self.stats()
            if len(stats["first_seen"]) >= count:
                seen: dict[str, float] = stats["first_seen"]
                return seen
            await asyncio.sleep(0.05)
        raise TimeoutError(f"only {len((await self.stats())['first_seen'])} of {count} webhooks arrived")


@dataclass
class Request:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Round:
    name: str
    seconds: float
    rate: float
    client_cpu_ms_per_request: float | None = None
    latency_p50_s: float | None = None
    latency_p99_s: float | None = None
    latency_max_s: float | None = None
    publish_s: float | None = None


@dataclass
class Report:
    started_at: str
    command: str
    subscribers: int
    concurrency: int
    backlog: int
    loadavg_before: list[float]
    rounds: list[Round] = field(default_factory=list)
    loadavg_after: list[float] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def signed_requests(subscribers: list[dict[str, Any]], payload: bytes) -> list[Request]:
    now = dt.datetime.now(dt.UTC)
    return [
        Request(s["url"], sign(new_webhook_id(), payload, [SigningSecret(s["secret"])], now), payload)
        for s in subscribers
    ]


async def bare_aiohttp(session: aiohttp.ClientSession, requests: list[Request]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(request: Request) -> None:
        async with gate, session.post(request.url, data=request.body, headers=request.headers) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"receiver answered {response.status}")

    await asyncio.gather(*(one(r) for r in requests))


async def bare_httpx(client: httpx.AsyncClient, requests: list[Request]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(request: Request) -> None:
        async with gate:
            response = await client.post(request.url, content=request.body, headers=request.headers)
            if response.status_code != 200:
                raise RuntimeError(f"receiver answered {response.status_code}")

    await asyncio.gather(*(one(r) for r in requests))


async def timed_bare(name: str, send: Callable[[list[Request]], Awaitable[None]], requests: list[Request]) -> Round:
    cpu = time.process_time()
    started = time.perf_counter()
    await send(requests)
    seconds = time.perf_counter() - started
    cpu_ms = (time.process_time() - cpu) * 1000 / len(requests)
    return Round(name, seconds, len(requests) / seconds, client_cpu_ms_per_request=cpu_ms)


async def publish_round(
    name: str, api: httpx.AsyncClient, receivers: Receivers, expected: int, pid: int, n: int
) -> Round:
    await receivers.reset()
    body = {
        "kind": "notice",
        "title": f"关于做好第{n}批“万千百”工程项目调度工作的通知",
        "body": "各市州：\n\n请按要求报送本月调度情况。",
        "issuer": "wqb_office",
        "audience": {"regions": ["430000"]},
        "publish": True,
    }
    sent = time.time()
    response = await api.post("/api/v1/circulars", json=body)
    answered = time.time()
    cpu = cpu_seconds(pid)
    if response.status_code != 201:
        raise RuntimeError(f"publish answered {response.status_code}: {response.text}")
    seen = await receivers.wait_for(expected)
    latencies = [t - answered for t in seen.values()]
    seconds = max(seen.values()) - answered
    cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / expected
    return Round(
        name,
        seconds,
        expected / seconds,
        client_cpu_ms_per_request=cpu_ms,  # notify's CPU from the publish's response on
        latency_p50_s=percentile(latencies, 0.50),
        latency_p99_s=percentile(latencies, 0.99),
        latency_max_s=max(latencies),
        publish_s=answered - sent,
    )


async def subscribe_all(api: httpx.AsyncClient, ports: list[int]) -> list[dict[str, Any]]:
    gate = asyncio.Semaphore(8)

    async def one(n: int, port: int) -> dict[str, Any]:
        county = f"4301{n % 20 + 1:02d}"
        body = {"name": f"接收系统{n:04d}", "region_code": county, "url": f"http://127.0.0.1:{port}/hook"}
        async with gate:
            response = await api.post("/api/v1/subscribers", json=body)
        if response.status_code != 201:
            raise RuntimeError(f"subscribe answered {response.status_code}: {response.text}")
        created: dict[str, Any] = response.json()
        return created

    return list(await asyncio.gather(*(one(n, port) for n, port in enumerate(ports))))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def run(url: str, notify_pid: int, base_url: str, receivers: Receivers, report: Report) -> None:
    token = mint_token(secret=SECRET, sub="bench-admin", role="admin", name="bench")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as api:
        say(f"subscribers: registering {SUBSCRIBERS} through the API")
        subscribers = await subscribe_all(api, receivers.ports)
        dead_body = {
            "name": "已停机的接收系统",
            "region_code": "430102",
            "url": f"http://127.0.0.1:{closed_port()}/hook",
        }
        dead = (await api.post("/api/v1/subscribers", json=dead_body)).json()
        conn = await asyncpg.connect(url)
        try:
            await set_status(api, dead, "disabled")
            payload = encode_payload(
                EventType.circular_published, dt.datetime.now(dt.UTC), {"circular": {"title": "x" * 600}}
            )
            await conn.execute(
                "INSERT INTO notify.delivery (subscriber_id, event_type, webhook_id, payload, next_attempt_at,"
                " created_at) SELECT $1, 'test', 'msg_' || replace(gen_random_uuid()::text, '-', ''), $2, now(),"
                " now() FROM generate_series(1, $3)",
                uuid.UUID(dead["id"]),
                payload,
                BACKLOG,
            )
            connector = aiohttp.TCPConnector(limit=100, limit_per_host=4)
            limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
            async with (
                aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=15)) as session,
                httpx.AsyncClient(limits=limits, timeout=15) as client,
            ):
                for n in range(ROUNDS + 1):
                    label = "warm-up " if n == 0 else ""
                    requests = signed_requests(subscribers, payload)
                    for name, bare in (
                        ("aiohttp", lambda rs: bare_aiohttp(session, rs)),
                        ("httpx", lambda rs: bare_httpx(client, rs)),
                    ):
                        result = await timed_bare(name, bare, requests)
                        cpu = result.client_cpu_ms_per_request or 0.0
                        say(f"{label}{name}: {result.rate:,.0f} requests/s, {cpu:.3f} ms CPU each")
                        if n:
                            report.rounds.append(result)
                    result = await publish_round("notify", api, receivers, SUBSCRIBERS, notify_pid, 2 * n)
                    say(f"{label}notify: {result.rate:,.0f} deliveries/s, p99 {result.latency_p99_s:.3f} s")
                    if n:
                        report.rounds.append(result)
                    await set_status(api, dead, "active")
                    await conn.execute(
                        "UPDATE notify.delivery SET status = 'pending', attempts = 0, next_attempt_at = now(),"
                        " lease_owner = NULL, lease_expires_at = NULL WHERE subscriber_id = $1 AND event_type = 'test'",
                        uuid.UUID(dead["id"]),
                    )
                    result = await publish_round("dead", api, receivers, SUBSCRIBERS, notify_pid, 2 * n + 1)
                    attempted = await conn.fetchval(
                        "SELECT count(*) FROM notify.delivery WHERE subscriber_id = $1 AND attempts > 0",
                        uuid.UUID(dead["id"]),
                    )
                    say(
                        f"{label}notify beside a dead subscriber: {result.rate:,.0f} deliveries/s, p99"
                        f" {result.latency_p99_s:.3f} s ({attempted} of its backlog tried meanwhile)"
                    )
                    await set_status(api, dead, "disabled")
                    if n:
                        report.rounds.append(result)
        finally:
            await conn.close()


async def set_status(api: httpx.AsyncClient, subscriber: dict[str, Any], status: str) -> None:
    current = (await api.get(f"/api/v1/subscribers/{subscriber['id']}")).json()
    response = await api.patch(
        f"/api/v1/subscribers/{subscriber['id']}",
        json={"status": status},
        headers={"If-Match": f'"{current["version"]}"'},
    )
    if response.status_code != 200:
        raise RuntimeError(f"subscriber status answered {response.status_code}: {response.text}")


def summarise(report: Report) -> dict[str, Any]:
    def median(name: str, attribute: str) -> float:
        return float(statistics.median(getattr(r, attribute) for r in report.rounds if r.name == name))

    bare = {name: median(name, "rate") for name in ("aiohttp", "httpx")}
    fastest = max(bare, key=lambda name: bare[name])
    notify_rate = median("notify", "rate")
    p99, p99_dead = median("notify", "latency_p99_s"), median("dead", "latency_p99_s")
    return {
        "aiohttp_requests_per_s": round(bare["aiohttp"]),
        "httpx_requests_per_s": round(bare["httpx"]),
        "aiohttp_cpu_ms": round(median("aiohttp", "client_cpu_ms_per_request"), 3),
        "httpx_cpu_ms": round(median("httpx", "client_cpu_ms_per_request"), 3),
        "fastest_bare_client": fastest,
        "notify_deliveries_per_s": round(notify_rate),
        "notify_cpu_ms_per_delivery": round(median("notify", "client_cpu_ms_per_request"), 3),
        "ratio_to_fastest": round(notify_rate / bare[fastest], 2),
        "publish_to_first_attempt_p99_s": round(p99, 3),
        "publish_s": round(median("notify", "publish_s"), 3),
        "dead_subscriber_p99_s": round(p99_dead, 3),
        "dead_subscriber_p99_change": round(p99_dead / p99 - 1, 3),
        "targets": {
            "rate >= 1000/s": notify_rate >= 1000,
            "ratio >= 0.7": notify_rate / bare[fastest] >= 0.7,
            "p99 < 2 s": p99 < 2,
            "dead subscriber changes p99 < 20 %": abs(p99_dead / p99 - 1) < 0.2,
        },
    }


def main() -> int:
    server_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    embedded = None
    if not server_url:
        from shared import embedded_pg

        embedded, server_url = embedded_pg.start(database="postgres")
    url = asyncio.run(seed.recreate_database(server_url, DATABASE))
    migrate.upgrade("notify", url)
    report = Report(
        started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        command="python -m bench.notify_fanout",
        subscribers=SUBSCRIBERS,
        concurrency=CONCURRENCY,
        backlog=BACKLOG,
        loadavg_before=loadavg(),
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    receiver_process = subprocess.Popen(
        [sys.executable, "-m", "bench.receivers", str(SUBSCRIBERS)], cwd=ROOT, stdout=subprocess.PIPE
    )
    try:
        assert receiver_process.stdout is not None
        announced = json.loads(receiver_process.stdout.readline())
        receivers = Receivers(announced["ports"], announced["control"])
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JWT_", "JWKS_"))} | {
            "DATABASE_URL": url,
            "JWT_SECRET": SECRET,
            "WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]',
            "DELIVERY_CONCURRENCY": str(CONCURRENCY),
        }
        log_path = Path(tempfile.gettempdir()) / "wqb-bench-notify_fanout.log"
        say(f"notify logs to {log_path}")
        with serve("notify", "services.notify.main:create_app", env, log_path, "/readyz") as app:
            asyncio.run(run(url, app.pid, app.base_url, receivers, report))
    finally:
        receiver_process.terminate()
        receiver_process.wait(timeout=10)
        del embedded
    report.loadavg_after = loadavg()
    report.summary = summarise(report)
    out = RESULTS / "notify_fanout.json"
    out.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    say(json.dumps(report.summary, indent=2, ensure_ascii=False))
    say(f"results: {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
