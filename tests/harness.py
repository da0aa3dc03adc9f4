"""The harness every service's suite shares: an app started on a given database, and clients on it.

A service's suite declares its fixtures with `started(create_app, settings, database)`: inside the
test's rolled-back transaction (`Database.inside(db_connection)`) for ordinary tests, or on the real
engine (`Database.on(engine)`) for tests that need commits (concurrency, background work). Each test
gets apps of its own, so no test sees what another one set on an app, and contract tests start two or
three real apps side by side on the same connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from shared.db import Database

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
