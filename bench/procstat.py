"""What the kernel says about a process and the machine: resident memory, CPU time, load."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int | None:
    """VmRSS of `pid` in KiB, or None once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


def loadavg() -> list[float]:
    return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]


@dataclass
class Usage:
    """CPU of one process and of the whole machine over an interval."""

    process_cpu_s: float
    wall_s: float
    machine_busy_pct: float  # of all cores

    @property
    def process_cores(self) -> float:
        return self.process_cpu_s / self.wall_s if self.wall_s else 0.0


class UsageMeter:
    """`with UsageMeter(pid) as meter: ...` then `meter.usage`."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.usage: Usage | None = None

    def __enter__(self) -> UsageMeter:
        self._cpu = cpu_seconds(self.pid)
        self._machine = machine_cpu()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        cpu = cpu_seconds(self.pid) - self._cpu
        busy, total = machine_cpu()
        d_busy, d_total = busy - self._machine[0], total - self._machine[1]
        self.usage = Usage(
            process_cpu_s=cpu,
            wall_s=time.perf_counter() - self._wall,
            machine_busy_pct=100.0 * d_busy / d_total if d_total else 0.0,
        )


class RssSampler:
    """Samples VmRSS of a process on a background thread while the `with` block runs."""

    def __init__(self, pid: int, interval_s: float) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.samples_kib: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            value = rss_kib(self.pid)
            if value is None:
                return
            self.samples_kib.append(value)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    # MB as in the target ("under 250 MB"): 10^6 bytes, the stricter reading.
    @property
    def peak_mb(self) -> float | None:
        return round(max(self.samples_kib) * 1024 / 1e6, 1) if self.samples_kib else None

    @property
    def last_mb(self) -> float | None:
        return round(self.samples_kib[-1] * 1024 / 1e6, 1) if self.samples_kib else None
