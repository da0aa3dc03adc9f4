"""The registry's migrations on a fresh database: up, down, up again, and /readyz while behind head."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from services.registry.main import create_app
from services.registry.models import metadata
from shared import migrate
from shared.db import Database
from shared.settings import asyncpg_dsn, to_asyncpg_url
from tests.conftest import registry_settings

MODEL_TABLES = {table.name for table in metadata.tables.values()}
# Tables created by revisions after 0001 (0010: the green channel).
ADDED_AFTER_0001 = {"project_green_channel"}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def registry_tables(url: str) -> set[str]:
    rows = await fetch(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'registry'")
    return {r["table_name"] for r in rows}


async def reference_counts(url: str) -> tuple[int, int, int, int]:
    row = (
        await fetch(
            url,
            "SELECT (SELECT count(*) FROM registry.region), (SELECT count(*) FROM registry.department),"
            " (SELECT count(*) FROM registry.target), (SELECT count(*) FROM registry.chain)",
        )
    )[0]
    return row[0], row[1], row[2], row[3]


async def version(url: str) -> list[str]:
    return [r["version_num"] for r in await fetch(url, "SELECT version_num FROM registry.alembic_version")]


def test_upgrade_to_head_creates_every_model_table_and_loads_reference_data(fresh_database: str) -> None:
    migrate.upgrade("registry", fresh_database)
    assert run(registry_tables(fresh_database)) == MODEL_TABLES | {"alembic_version"}
    assert run(reference_counts(fresh_database)) == (137, 10, 17, 30)
    assert run(version(fresh_database)) == [migrate.head_revision("registry")]


def test_upgrade_twice_is_a_no_op(fresh_database: str) -> None:
    migrate.upgrade("registry", fresh_database)
    migrate.upgrade("registry", fresh_database)
    assert run(reference_counts(fresh_database)) == (137, 10, 17, 30)


def test_downgrade_to_0001_empties_reference_tables_and_keeps_the_schema(fresh_database: str) -> None:
    migrate.upgrade("registry", fresh_database)
    migrate.downgrade("registry", fresh_database, "0001")
    assert run(registry_tables(fresh_database)) == (MODEL_TABLES - ADDED_AFTER_0001) | {"alembic_version"}
    assert run(reference_counts(fresh_database)) == (0, 0, 0, 0)
    assert run(version(fresh_database)) == ["0001"]


def test_downgrade_to_base_leaves_only_an_empty_version_table(fresh_database: str) -> None:
    migrate.upgrade("registry", fresh_database)
    migrate.downgrade("registry", fresh_database, "base")
    assert run(registry_tables(fresh_database)) == {"alembic_version"}
    assert run(version(fresh_database)) == []
    functions = run(
        fetch(
            fresh_database,
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'registry'",
        )
    )
    assert functions == []


def test_upgrade_after_downgrade_to_base_restores_schema_and_reference_data(fresh_database: str) -> None:
    migrate.upgrade("registry", fresh_database)
    migrate.downgrade("registry", fresh_database, "base")
    migrate.upgrade("registry", fresh_database)
    assert run(registry_tables(fresh_database)) == MODEL_TABLES | {"alembic_version"}
    assert run(reference_counts(fresh_database)) == (137, 10, 17, 30)
    assert run(version(fresh_database)) == [migrate.head_revision("registry")]


async def execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def sizes(url: str) -> dict[str, tuple[Any, ...]]:
    rows = await fetch(url, "SELECT kind, size_metric, size_year, size_value FROM registry.entity")
    return {r["kind"]: (r["size_metric"], r["size_year"], r["size_value"]) for r in rows}


def test_0006_copies_projects_investment_onto_their_entity_rows_and_its_downgrade_clears_it(
    fresh_database: str,
) -> None:
    migrate.upgrade("registry", fresh_database, "0005")
    run(
        execute(
            fresh_database,
            """
            INSERT INTO registry.entity (id, kind, name, level, region_code, domain, target_tier, listed_on,
                                         size_metric, size_year, size_value)
            VALUES ('00000000-0000-4000-8000-000000000001', 'project', '迁移前的项目', 'county', '430104',
                    'industry_it', 'hundred_million', '2024-01-01', NULL, NULL, NULL),
                   ('00000000-0000-4000-8000-000000000002', 'enterprise', '迁移前的企业', 'city', '430100',
                    'industry_it', 'ten_billion', '2024-01-01', 'revenue', 2024, 120);
            INSERT INTO registry.project (entity_id, total_investment)
            VALUES ('00000000-0000-4000-8000-000000000001', 12.5);
            """,
        )
    )
    enterprise = ("revenue", 2024, Decimal("120"))
    migrate.upgrade("registry", fresh_database, "0006")
    assert run(sizes(fresh_database)) == {
        "project": ("total_investment", None, Decimal("12.5")),
        "enterprise": enterprise,
    }
    run(execute(fresh_database, "UPDATE registry.project SET total_investment = 3"))
    assert run(sizes(fresh_database))["project"] == ("total_investment", None, Decimal("3"))

    migrate.downgrade("registry", fresh_database, "0005")
    assert run(sizes(fresh_database)) == {"project": (None, None, None), "enterprise": enterprise}
    run(execute(fresh_database, "UPDATE registry.project SET total_investment = 4"))  # no trigger left
    assert run(sizes(fresh_database))["project"] == (None, None, None)
    migrate.upgrade("registry", fresh_database)
    assert run(sizes(fresh_database))["project"] == ("total_investment", None, Decimal("4"))


async def readyz(database_url: str) -> httpx.Response:
    engine = create_async_engine(to_asyncpg_url(database_url))
    app = create_app(registry_settings(database_url), database=Database.on(engine))
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
                return await http.get("/readyz")
    finally:
        await engine.dispose()


async def test_readyz_is_503_schema_not_at_head_when_database_is_at_0001(fresh_database: str) -> None:
    await asyncio.to_thread(migrate.upgrade, "registry", fresh_database, "0001")
    response = await readyz(fresh_database)
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "schema_not_at_head",
        "current": "0001",
        "head": migrate.head_revision("registry"),
    }


async def test_readyz_is_503_schema_not_at_head_on_an_unmigrated_database(fresh_database: str) -> None:
    response = await readyz(fresh_database)
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "schema_not_at_head",
        "current": None,
        "head": migrate.head_revision("registry"),
    }


async def test_readyz_is_200_once_upgraded_to_head(fresh_database: str) -> None:
    await asyncio.to_thread(migrate.upgrade, "registry", fresh_database)
    response = await readyz(fresh_database)
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "schema_revision": migrate.head_revision("registry")}


async def test_readyz_is_503_database_unreachable_when_nothing_listens() -> None:
    response = await readyz("postgresql://postgres@127.0.0.1:1/nowhere")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database_unreachable"}
