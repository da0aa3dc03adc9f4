"""Test fixtures: a real PostgreSQL, migrated by the real migrations, each test rolled back.

The server is `TEST_DATABASE_URL` when set, otherwise an embedded one started for the run. Each run
creates its own database (so runs never see each other's rows) and drops it at the end.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from services.notify.main import create_app as create_notify_app
from services.notify.settings import Settings as NotifySettings
from services.registry.imports.runner import ImportRunner
from services.registry.main import create_app as create_registry_app
from services.registry.settings import Settings as RegistrySettings
from services.scheduler.main import create_app as create_scheduler_app
from services.scheduler.settings import Settings as SchedulerSettings
from shared import migrate
from shared.auth import mint_token
from shared.clients import RegistryClient, RetryPolicy
from shared.db import Database
from shared.settings import asyncpg_dsn, to_asyncpg_url
from tests.harness import asgi_client, started

SECRET = "test-secret-not-for-production-use-0123456789"
SERVICES = ("registry", "scheduler", "notify")
# Peer calls in tests retry at once: a test never waits out a real backoff.
FAST_RETRY = RetryPolicy(backoff_base_s=0.001, backoff_max_s=0.004)


def _server_url() -> tuple[str, Any]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url, None
    from shared import embedded_pg

    server, url = embedded_pg.start(embedded_pg.DEFAULT_DIR.with_name("pg-test"), database="postgres")
    return url, server


async def admin_sql(server_url: str, sql: str) -> None:
    """One statement (CREATE or DROP DATABASE, say) on a connection of its own to the server."""
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _with_database(url: str, database: str) -> str:
    base, sep, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{database}{sep}{query}"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    server_url, server = _server_url()
    name = f"wqb_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin_sql(server_url, f'CREATE DATABASE "{name}"'))
    url = _with_database(server_url, name)
    try:
        for service in SERVICES:
            migrate.upgrade(service, url)
        yield url
    finally:
        asyncio.run(admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        del server


@pytest.fixture
def fresh_database(database_url: str) -> Iterator[str]:
    """An empty database on the suite's server, dropped after the test."""
    name = f"wqb_mig_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin_sql(database_url, f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(database_url, name)
    finally:
        asyncio.run(admin_sql(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(to_asyncpg_url(database_url), pool_size=10, max_overflow=10)
    yield eng
    await eng.dispose()


# Every service's test settings: INFO and access lines on (every log call is formatted, so a bad
# `extra` fails a test, not production); loops off (each test drives the loops it needs with
# `run_once`, on its own connection); no heap freeze (an app is started per test).
TEST_SETTINGS: dict[str, Any] = {"access_log": True, "log_level": "INFO", "gc_freeze": False, "run_loops": False}


def registry_settings(database_url: str, **overrides: Any) -> RegistrySettings:
    return RegistrySettings(database_url=database_url, jwt_secret=SECRET, **(TEST_SETTINGS | overrides))


def scheduler_settings(database_url: str, **overrides: Any) -> SchedulerSettings:
    return SchedulerSettings(database_url=database_url, jwt_secret=SECRET, **(TEST_SETTINGS | overrides))


def scheduler_factory(
    registry: Any,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    notify: httpx.AsyncBaseTransport | None = None,
) -> Any:
    """The scheduler's `create_app`, its registry client on `transport` (default: the registry app in
    process) and its notify client on `notify` (default: `NOTIFY_URL`, where no test listens)."""
    return functools.partial(
        create_scheduler_app,
        registry_transport=transport or httpx.ASGITransport(app=registry),
        registry_retry=FAST_RETRY,
        notify_transport=notify,
    )


def notify_settings(database_url: str, **overrides: Any) -> NotifySettings:
    # Webhooks may reach the tests' own receivers on 127.0.0.1.
    values = TEST_SETTINGS | {"webhook_allowed_hosts": ["127.0.0.1", "localhost"], "delivery_timeout_s": 2.0}
    return NotifySettings(database_url=database_url, jwt_secret=SECRET, **(values | overrides))


@pytest.fixture
async def db_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection holding one outer transaction, rolled back after the test."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        yield conn
        await outer.rollback()


@pytest.fixture
def db_session(db_connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """A sessionmaker whose every transaction is a savepoint inside the test's outer transaction."""
    return Database.inside(db_connection).sessionmaker


@pytest.fixture
async def registry_app(database_url: str, db_connection: AsyncConnection) -> AsyncIterator[Any]:
    """The registry, every unit of work (and its read lane) inside the test's rolled-back transaction."""
    async with started(create_registry_app, registry_settings(database_url), Database.inside(db_connection)) as app:
        yield app


@pytest.fixture
async def committing_registry_app(database_url: str, engine: AsyncEngine) -> AsyncIterator[Any]:
    """The registry on the real engine: each request commits. Tests clean up what they create."""
    settings = registry_settings(database_url, run_loops=True)
    async with started(create_registry_app, settings, Database.on(engine)) as app:
        yield app


@pytest.fixture
async def scheduler_app(database_url: str, db_connection: AsyncConnection, registry_app: Any) -> AsyncIterator[Any]:
    """The scheduler inside the test's rolled-back transaction, calling the registry app in process."""
    factory = scheduler_factory(registry_app)
    async with started(factory, scheduler_settings(database_url), Database.inside(db_connection)) as app:
        yield app


@pytest.fixture
async def scheduler_client(scheduler_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(scheduler_app, "scheduler") as http:
        yield http


@pytest.fixture
async def client(registry_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The registry over ASGI, every request inside the test's rolled-back transaction."""
    async with asgi_client(registry_app, "registry") as http:
        yield http


@pytest.fixture
async def committing_client(committing_registry_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """For concurrency tests: each request commits for real. Tests clean up what they create."""
    async with asgi_client(committing_registry_app, "registry") as http:
        yield http


@pytest.fixture
async def notify_app(database_url: str, db_connection: AsyncConnection) -> AsyncIterator[Any]:
    """notify, every unit of work inside the test's rolled-back transaction."""
    async with started(create_notify_app, notify_settings(database_url), Database.inside(db_connection)) as app:
        yield app


@pytest.fixture
async def notify_client(notify_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(notify_app, "notify") as http:
        yield http


@pytest.fixture
async def committing_notify_app(database_url: str, engine: AsyncEngine) -> AsyncIterator[Any]:
    """notify on the real engine: each request commits. Tests clean up what they create."""
    async with started(create_notify_app, notify_settings(database_url), Database.on(engine)) as app:
        yield app


def token(
    role: str = "admin", region: str = "430000", department: str | None = None, sub: str | None = None, **kwargs: Any
) -> str:
    return mint_token(
        secret=SECRET,
        sub=sub or f"{role}-{region}-{department or 'x'}",
        role=role,
        region=region,
        department=department,
        **kwargs,
    )


def auth(role: str = "admin", region: str = "430000", department: str | None = None, **kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, region, department, **kwargs)}"}


ADMIN = auth()


@pytest.fixture
async def committed_prefix(engine: AsyncEngine) -> AsyncIterator[str]:
    """A unique prefix for tests on `committing_client`: name parks and Idempotency-Keys with it.

    After the test, the parks so named, their change-feed rows and the idempotency records whose key
    contains it are deleted (audit events stay: the table is append-only by design).
    """
    prefix = f"committed-{uuid.uuid4().hex[:10]}-"
    yield prefix
    async with engine.begin() as conn:
        deleted = await conn.execute(
            text("DELETE FROM registry.park WHERE name LIKE :p RETURNING id::text"), {"p": f"{prefix}%"}
        )
        ids = list(deleted.scalars())
        await conn.execute(
            text("DELETE FROM registry.change_event WHERE resource_type = 'park' AND resource_id = ANY(:ids)"),
            {"ids": ids},
        )
        await conn.execute(text("DELETE FROM registry.idempotency_record WHERE key LIKE :k"), {"k": f"%{prefix}%"})


@pytest.fixture
async def registry_client(registry_app: Any) -> AsyncIterator[RegistryClient]:
    """A RegistryClient (admin token) on the real registry over ASGI, inside the test's rolled-back transaction."""
    transport = httpx.ASGITransport(app=registry_app)
    async with RegistryClient("http://registry", token=token(), transport=transport, retry=FAST_RETRY) as registry:
        yield registry


@pytest.fixture
def fixed_now(registry_app: Any) -> Iterator[Callable[[dt.datetime], None]]:
    """Pin the request clock (`platform.clock`: `ctx.now`, the direct reads' too) for the rest of the test."""

    def pin(now: dt.datetime) -> None:
        registry_app.state.platform.clock = lambda: now

    yield pin


@pytest.fixture
async def committed_entities(engine: AsyncEngine) -> AsyncIterator[list[str]]:
    """Ids of entities a `committing_client` test creates: deleted afterwards with everything hanging off
    them (metrics and adjustments cascade) and their change-feed rows. Audit rows stay: append-only."""
    ids: list[str] = []
    yield ids
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "DELETE FROM registry.change_event WHERE resource_id = ANY(:ids) OR payload->>'entity_id' = ANY(:ids)"
            ),
            {"ids": ids},
        )
        await conn.execute(text("DELETE FROM registry.entity WHERE id = ANY(CAST(:ids AS uuid[]))"), {"ids": ids})


@pytest.fixture
def inline(registry_app: Any) -> ImportRunner:
    """Import jobs run to completion inside the upload request, on the test's rolled-back connection."""
    runner: ImportRunner = registry_app.state.platform.state.imports
    return runner


async def feed_end(client: httpx.AsyncClient) -> str:
    """The change feed's cursor after every event written so far."""
    cursor = "0"
    while True:
        page = (await client.get("/api/v1/events", params={"after": cursor, "limit": 1000}, headers=ADMIN)).json()
        if not page["items"]:
            return cursor
        cursor = page["next_cursor"]
