"""Alembic, one history per service under `migrations/<service>/`, version table in its own schema."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.settings import to_asyncpg_url

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"
VERSION_TABLE = "alembic_version"


def alembic_config(service: str, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS / service))
    cfg.set_main_option("version_locations", str(MIGRATIONS / service / "versions"))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["database_url"] = to_asyncpg_url(database_url)
    cfg.attributes["service"] = service
    return cfg


def head_revision(service: str) -> str | None:
    script = ScriptDirectory(str(MIGRATIONS / service))
    return script.get_current_head()


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, database_url), revision)


def downgrade(service: str, database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(service, database_url), revision)


def run_env(schema: str, metadata: MetaData) -> None:
    """Body of every service's `env.py`: online migrations over asyncpg, in the service's schema."""
    from alembic import context

    config = context.config

    def do_run(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            version_table=VERSION_TABLE,
            include_schemas=False,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(config.attributes["database_url"])
        try:
            async with engine.connect() as connection:
                await connection.run_sync(do_run)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(main())


async def current_revision(engine: AsyncEngine, schema: str) -> str | None:
    async with engine.connect() as connection:
        exists = await connection.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": f"{schema}.{VERSION_TABLE}"})
        if not exists:
            return None
        value = await connection.scalar(text(f'SELECT version_num FROM "{schema}".{VERSION_TABLE}'))  # noqa: S608 - our own constant
        return str(value) if value is not None else None
