"""Run an ASGI app the way production does: its own uvicorn process, one worker, on loopback.

Both apps get the same command line (`uvicorn <app> --factory`, uvloop and httptools when
installed, uvicorn's own access log off); the registry does its own JSON access logging.
Standard output goes to a file, as it would go to a log collector.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.settings import ROOT


@dataclass(frozen=True)
class RunningServer:
    name: str
    base_url: str
    pid: int
    log_path: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def uvicorn_command(app: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
    ]


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready within {timeout_s:.0f} s")


@contextmanager
def serve(
    name: str, app: str, env: Mapping[str, str], log_path: Path, ready_path: str = "/healthz"
) -> Iterator[RunningServer]:
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            uvicorn_command(app, port), cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base_url + ready_path, process, timeout_s=60)
        yield RunningServer(name=name, base_url=base_url, pid=process.pid, log_path=log_path)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
