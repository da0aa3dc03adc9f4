"""`shared.migration_ops` creates, in any schema, exactly the platform tables the models describe."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from shared import migration_ops
from shared.db import service_registry
from shared.settings import to_asyncpg_url
from shared.tables import outbox_table, platform_tables
from tests.test_models_match_migrations import autogenerate_diff

SCHEMA = "probe"


class ProbeTable(SQLModel, registry=service_registry(SCHEMA)):
    pass


platform = platform_tables(ProbeTable)
outbox = outbox_table(ProbeTable)


def migrate_with_helper(connection: Connection, *, outbox: bool) -> None:
    connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    with Operations.context(MigrationContext.configure(connection)):
        migration_ops.create_platform_tables(SCHEMA, outbox=outbox)


def diff(connection: Connection, metadata: MetaData) -> list[Any]:
    return autogenerate_diff(connection, metadata, schema=SCHEMA)


def test_the_probe_models_hold_all_three_tables() -> None:
    assert set(ProbeTable.metadata.tables) == {"probe.audit_event", "probe.idempotency_record", "probe.outbox_message"}
    assert (platform.audit_event.schema, outbox.schema) == (SCHEMA, SCHEMA)


async def test_the_helper_creates_what_the_models_describe_and_the_audit_log_is_append_only(
    fresh_database: str,
) -> None:
    engine = create_async_engine(to_asyncpg_url(fresh_database))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(migrate_with_helper, outbox=True)
            assert await connection.run_sync(diff, ProbeTable.metadata) == []
            await connection.execute(
                text(
                    "INSERT INTO probe.audit_event (actor_sub, actor_role, actor_region, action, resource_type,"
                    " resource_id) VALUES ('s', 'admin', '430000', 'create', 'park', '1')"
                )
            )
        for statement in ("UPDATE probe.audit_event SET action = 'x'", "DELETE FROM probe.audit_event"):
            async with engine.begin() as connection:
                with pytest.raises(DBAPIError, match="append-only"):
                    await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def test_drop_removes_everything_the_helper_created(fresh_database: str) -> None:
    engine = create_async_engine(to_asyncpg_url(fresh_database))

    def drop(connection: Connection) -> None:
        with Operations.context(MigrationContext.configure(connection)):
            migration_ops.drop_platform_tables(SCHEMA, outbox=True)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(migrate_with_helper, outbox=True)
            await connection.run_sync(drop)
            left = await connection.execute(
                text(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'probe'"
                )
            )
            functions = await connection.execute(
                text(
                    "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                    " WHERE n.nspname = 'probe'"
                )
            )
            assert (left.scalar(), functions.scalar()) == (0, 0)
    finally:
        await engine.dispose()
