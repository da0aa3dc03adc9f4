"""The registry's table models and its migrations describe the same database; the migrations are the truth.

Two checks, because neither sees everything:
- Alembic's autogenerate comparison against the database the suite migrated to head: what
  `alembic revision --autogenerate` would write must be nothing. It covers tables, columns, types,
  nullability, server defaults, identity, unique constraints, foreign keys (with ON DELETE) and
  index columns, but not CHECK constraints nor an index's method, WHERE or INCLUDE.
- The catalog: the models' `create_all` in an empty database must give every column, constraint and
  index the same definition, as PostgreSQL itself prints it, as the migrated database has.
A difference is fixed in the models, never by rewriting an applied revision.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.registry.models import SCHEMA, metadata
from shared.migrate import VERSION_TABLE
from shared.settings import asyncpg_dsn, to_asyncpg_url

# Made by the migrations' raw SQL and deliberately left out of the models: the GIN index over
# `registry.name_grams(name)` behind Chinese name search, an expression over a function of the
# migrations (autogenerate can neither reflect nor compare it; only the search query's SQL uses it).
# The functions and triggers (name_grams, query_grams, audit_event_immutable, project_size) are not
# objects either check looks at.
NOT_IN_MODELS = {"ix_entity_name_grams"}


def autogenerate_diff(connection: Connection, target: MetaData, *, schema: str = SCHEMA) -> list[Any]:
    """What autogenerate would write to bring the schema to `target`, configured as `run_env` is."""

    def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
        if type_ == "schema":
            return name == schema  # other services' schemas may share the database
        return name not in NOT_IN_MODELS

    context = MigrationContext.configure(
        connection,
        opts={
            "target_metadata": target,
            "version_table_schema": schema,
            "version_table": VERSION_TABLE,
            # The tables are schema-qualified, so the comparison has to look inside the schema.
            "include_schemas": True,
            "include_name": include_name,
            "compare_type": True,
            "compare_server_default": True,
        },
    )
    diff: list[Any] = compare_metadata(context, target)
    return diff


async def test_autogenerate_finds_nothing_to_change(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(autogenerate_diff, metadata)
    assert diff == []


CATALOG = {
    "column": """
        SELECT c.relname || '.' || a.attname,
               format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
               || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
               || CASE a.attidentity WHEN 'a' THEN ' ALWAYS AS IDENTITY' WHEN 'd' THEN ' BY DEFAULT AS IDENTITY'
                  ELSE '' END
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid AND c.relkind = 'r'
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = $1 AND a.attnum > 0 AND NOT a.attisdropped""",
    "constraint": """
        SELECT k.conname, k.conrelid::regclass::text || ' ' || pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
        WHERE n.nspname = $1""",
    "index": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1",
}


async def catalog(url: str) -> dict[str, dict[str, str]]:
    """Every column, constraint and index of the schema, by name, as PostgreSQL prints its definition."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        found = {kind: dict(list(await conn.fetch(sql, SCHEMA))) for kind, sql in CATALOG.items()}
    finally:
        await conn.close()
    return {
        kind: {name: definition for name, definition in objects.items() if not _outside_models(name)}
        for kind, objects in found.items()
    }


def _outside_models(name: str) -> bool:
    # Besides NOT_IN_MODELS, Alembic's own version table: its column and its key `alembic_version_pkc`.
    return name in NOT_IN_MODELS or name.startswith((f"{VERSION_TABLE}.", f"{VERSION_TABLE}_"))


async def test_models_create_the_schema_the_migrations_create(database_url: str, fresh_database: str) -> None:
    engine = create_async_engine(to_asyncpg_url(fresh_database))
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
            await connection.run_sync(metadata.create_all)
    finally:
        await engine.dispose()
    from_models, migrated = await catalog(fresh_database), await catalog(database_url)
    assert {column.split(".")[0] for column in migrated["column"]} == {t.name for t in metadata.tables.values()}
    for kind in CATALOG:
        assert from_models[kind] == migrated[kind], kind
