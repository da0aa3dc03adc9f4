"""notify's table models and its migrations describe one schema; the migrations run up, down and up."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.notify.main import create_app
from services.notify.models import SCHEMA, metadata, tables
from shared import migrate
from shared.db import Database
from shared.settings import asyncpg_dsn, to_asyncpg_url
from tests.conftest import notify_settings
from tests.test_models_match_migrations import CATALOG, autogenerate_diff

MODEL_TABLES = {t.name for t in metadata.tables.values()}


async def _catalog(url: str) -> dict[str, dict[str, str]]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        found = {kind: dict(list(await conn.fetch(sql, SCHEMA))) for kind, sql in CATALOG.items()}
    finally:
        await conn.close()
    return {
        kind: {k: v for k, v in objects.items() if not k.startswith(("alembic_version.", "alembic_version_"))}
        for kind, objects in found.items()
    }


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = 'notify'")
    finally:
        await conn.close()
    return {r["table_name"] for r in rows}


def test_platform_tables_are_notify_s_own() -> None:
    assert tables.audit_event.fullname == "notify.audit_event"
    assert tables.idempotency_record.fullname == "notify.idempotency_record"
    assert {
        "audit_event",
        "idempotency_record",
        "circular",
        "document_counter",
        "circular_document",
        "receipt",
        "subscriber",
        "delivery",
        "delivery_attempt",
        "event",
    } == MODEL_TABLES


async def test_autogenerate_finds_nothing_to_change(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(autogenerate_diff, metadata, schema=SCHEMA)
    assert diff == []


async def test_models_create_the_schema_the_migrations_create(database_url: str, fresh_database: str) -> None:
    engine = create_async_engine(to_asyncpg_url(fresh_database))
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
            await connection.run_sync(metadata.create_all)
    finally:
        await engine.dispose()
    from_models, migrated = await _catalog(fresh_database), await _catalog(database_url)
    for kind in CATALOG:
        assert from_models[kind] == migrated[kind], kind


def test_upgrade_downgrade_upgrade(fresh_database: str) -> None:
    migrate.upgrade("notify", fresh_database)
    assert asyncio.run(_tables(fresh_database)) == MODEL_TABLES | {"alembic_version"}
    migrate.downgrade("notify", fresh_database, "base")
    assert asyncio.run(_tables(fresh_database)) == {"alembic_version"}
    migrate.upgrade("notify", fresh_database)
    assert asyncio.run(_tables(fresh_database)) == MODEL_TABLES | {"alembic_version"}


async def test_audit_events_are_append_only(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        trigger = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_trigger"
                " WHERE tgname = 'audit_event_immutable' AND tgrelid = CAST(:t AS regclass)"
            ),
            {"t": "notify.audit_event"},
        )
    assert trigger == 1


async def test_readyz_reports_notify_s_head(database_url: str, engine: AsyncEngine) -> None:
    app = create_app(notify_settings(database_url), database=Database.on(engine))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as http:
            response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "schema_revision": migrate.head_revision("notify")}
