"""The harness every service's suite shares: an app started on a given database, and clients on it.

A service's suite declares its fixtures with `started(create_app, settings, database)`: inside the
test's rolled-back transaction (`Database.inside(db_connection)`) for ordinary tests, or on the real
engine (`Database.on(engine)`) for tests that need commits (concurrency, background work). Each test
gets apps of its own, so no test sees what another one set on an app, and contract tests start two or
three real apps side by side on the same connection. End-to-end tests start services as real
processes on real ports instead (`free_port`, `start_service`, `stop_all`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from shared.db import Database

ROOT = Path(__file__).resolve().parent.parent
AppFactory = Callable[..., FastAPI]  # a service's `create_app(settings, *, database=...)`


@asynccontextmanager
async def started(create_app: AppFactory, settings: Any, database: Database | None) -> AsyncIterator[FastAPI]:
    """The service's app on `database` (None: its own engine, from the settings), its lifespan running for the block."""
    app = create_app(settings, database=database)
    async with app.router.lifespan_context(app):
        yield app


def asgi_client(app: FastAPI, name: str) -> httpx.AsyncClient:
    """An HTTP client on the app in process, at `http://<name>`."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_service(app: str, port: int, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """A service (`app`: its `module:create_app`) in a process of its own under uvicorn on `port`."""
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--port", str(port), "--no-access-log"]
    return subprocess.Popen(command, env=os.environ | dict(env), cwd=ROOT, stdout=subprocess.DEVNULL)


def stop_all(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    """Terminate the processes still running, and kill those that do not stop within 20 s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
