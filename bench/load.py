"""Closed-loop HTTP load with wrk: fixed connections, warm-up, then a fixed measured duration.

Each request picks a random path from a file (bench/wrk.lua), so the mix is the same for every
app: random enterprise ids from the loaded set, or list pages over several region + tier pairs.
While the measured run lasts, the server's resident memory is sampled and its CPU time metered.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.procstat import RssSampler, UsageMeter, loadavg
from bench.server import RunningServer

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
MARKER = "BENCH_RESULT "


class LoadGeneratorMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class LoadRun:
    app: str
    scenario: str
    round: int
    connections: int
    duration_s: float
    requests: int
    rps: float
    latency_ms: dict[str, float]  # mean, p50, p90, p99, p999, max
    errors: dict[str, int]  # connect, read, write, status (non-2xx/3xx), timeout
    server_cpu_s: float
    server_cores: float  # CPU seconds per second of the run
    cpu_ms_per_request: float
    machine_busy_pct: float
    loadavg_before: list[float]
    rss_peak_mb: float | None
    rss_last_mb: float | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def wrk_version() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise LoadGeneratorMissing("wrk is not installed: apt-get install wrk (Debian/Ubuntu) or brew install wrk")
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).splitlines()[0].split(" Copyright")[0].strip()


def _wrk(url: str, paths_file: Path, connections: int, duration_s: float, seed: int, token: str) -> dict[str, Any]:
    command = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{duration_s:g}s",
        "--timeout",
        "10s",
        "--header",
        f"Authorization: Bearer {token}",
        "--script",
        str(WRK_SCRIPT),
        url,
        "--",
        str(paths_file),
        str(seed),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 60, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            result: dict[str, Any] = json.loads(line[len(MARKER) :])
            return result
    raise RuntimeError(f"wrk produced no result (exit {done.returncode}): {done.stderr.strip()[:500]}")


def measure(
    server: RunningServer,
    scenario: str,
    paths_file: Path,
    *,
    round_no: int,
    connections: int,
    warmup_s: float,
    duration_s: float,
    token: str,
    rss_interval_s: float,
) -> LoadRun:
    if warmup_s > 0:
        _wrk(server.base_url, paths_file, connections, warmup_s, seed=1000 + round_no, token=token)
    before = loadavg()
    with UsageMeter(server.pid) as meter, RssSampler(server.pid, rss_interval_s) as rss:
        raw = _wrk(server.base_url, paths_file, connections, duration_s, seed=round_no, token=token)
    usage = meter.usage
    assert usage is not None
    requests = int(raw["requests"])
    seconds = raw["duration_us"] / 1e6
    latency = {k: v / 1000 for k, v in raw["latency_us"].items()}
    return LoadRun(
        app=server.name,
        scenario=scenario,
        round=round_no,
        connections=connections,
        duration_s=round(seconds, 3),
        requests=requests,
        rps=requests / seconds if seconds else 0.0,
        latency_ms=latency,
        errors={k: int(v) for k, v in raw["errors"].items()},
        server_cpu_s=round(usage.process_cpu_s, 3),
        server_cores=round(usage.process_cores, 3),
        cpu_ms_per_request=1000 * usage.process_cpu_s / requests if requests else 0.0,
        machine_busy_pct=round(usage.machine_busy_pct, 1),
        loadavg_before=before,
        rss_peak_mb=rss.peak_mb,
        rss_last_mb=rss.last_mb,
    )
