"""The scheduler's models and its migrations describe one schema; the migrations go up and down."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.scheduler.models import SCHEMA, metadata
from shared import migrate
from shared.migrate import VERSION_TABLE
from shared.settings import asyncpg_dsn, to_asyncpg_url
from tests.test_models_match_migrations import CATALOG, autogenerate_diff


async def test_autogenerate_finds_nothing_to_change(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(autogenerate_diff, metadata, schema=SCHEMA)
    assert diff == []


async def catalog(url: str) -> dict[str, dict[str, str]]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        found = {kind: dict(list(await conn.fetch(sql, SCHEMA))) for kind, sql in CATALOG.items()}
    finally:
        await conn.close()
    return {
        kind: {
            name: d for name, d in objects.items() if not name.startswith((f"{VERSION_TABLE}.", f"{VERSION_TABLE}_"))
        }
        for kind, objects in found.items()
    }


async def test_models_create_the_schema_the_migrations_create(database_url: str, fresh_database: str) -> None:
    engine = create_async_engine(to_asyncpg_url(fresh_database))
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
            await connection.run_sync(metadata.create_all)
    finally:
        await engine.dispose()
    from_models, migrated = await catalog(fresh_database), await catalog(database_url)
    for kind in CATALOG:
        assert from_models[kind] == migrated[kind], kind


def test_upgrade_downgrade_upgrade(fresh_database: str) -> None:
    async def tables() -> set[str]:
        conn = await asyncpg.connect(asyncpg_dsn(fresh_database))
        try:
            rows = await conn.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", SCHEMA)
        finally:
            await conn.close()
        return {r["table_name"] for r in rows}

    expected = {t.name for t in metadata.tables.values()} | {VERSION_TABLE}
    migrate.upgrade("scheduler", fresh_database)
    assert asyncio.run(tables()) == expected
    migrate.downgrade("scheduler", fresh_database)
    assert asyncio.run(tables()) == {VERSION_TABLE}
    migrate.upgrade("scheduler", fresh_database)
    assert asyncio.run(tables()) == expected
