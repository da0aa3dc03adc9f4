"""Database plumbing shared by the services: naming convention, engine factory, unit of work.

Each service keeps its tables in its own PostgreSQL schema (`registry`, `scheduler`, `notify`), so
the three can share one database or use three, by URL alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import asyncpg
import orjson
from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from shared.settings import BaseServiceSettings, asyncpg_dsn

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata(schema: str) -> MetaData:
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def service_registry(schema: str) -> registry:
    """The registry a service's SQLModel base is declared with, so the service's tables get a MetaData
    of their own (its schema, the naming convention) and a class registry of their own:

        class RegistryTable(SQLModel, registry=service_registry("registry")):
            pass

    SQLModel makes such a base abstract; every `table=True` subclass lands in its MetaData, never in
    the global `SQLModel.metadata`, so services in one process (contract tests) never collide on a
    table or class name.
    """
    return registry(metadata=service_metadata(schema))


def server_settings(settings: BaseServiceSettings, application_name: str) -> dict[str, str]:
    """The session settings of every connection a service opens, whichever pool opens it."""
    return {
        "application_name": application_name,
        "statement_timeout": str(settings.db_statement_timeout_ms),
        "timezone": "UTC",
    }


def create_engine(settings: BaseServiceSettings, *, application_name: str) -> AsyncEngine:
    return create_async_engine(
        settings.sqlalchemy_url(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        # A ping per checkout costs a round trip on every request; a connection broken by a server
        # restart fails one request instead and is then discarded, and old ones are recycled.
        pool_pre_ping=settings.db_pool_pre_ping,
        pool_recycle=settings.db_pool_recycle_s,
        connect_args={"server_settings": server_settings(settings, application_name)},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: one transaction, committed before the response is sent.

    Used with `Depends(..., scope="function")` so the commit (and any error it raises) happens
    before FastAPI sends the response: nothing is acknowledged that was not committed.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.platform.sessionmaker
    async with sessionmaker() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]


# ---- the read lane: hot single-statement reads without the ORM ------------------------------------

_ASYNCPG = PGDialect_asyncpg()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class PreparedRead:
    """A Core select compiled once for asyncpg: its SQL and how to order the values it is bound with.

    Values bound at execution must be ones asyncpg takes as they are (UUID, str, int, date, …); the
    statement's own literals keep the values they were compiled with.
    """

    sql: str
    names: tuple[str, ...]
    defaults: tuple[Any, ...]

    @classmethod
    def of(cls, stmt: ClauseElement) -> PreparedRead:
        compiled = stmt.compile(dialect=_ASYNCPG)
        assert isinstance(compiled, SQLCompiler)
        names = tuple(compiled.positiontup or ())
        return cls(str(compiled), names, tuple(compiled.params[n] for n in names))

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        return [values.get(name, default) for name, default in zip(self.names, self.defaults, strict=True)]


class Reader(Protocol):
    """Runs one read statement outside any unit of work; PostgreSQL makes a single statement atomic."""

    async def fetchrow(self, read: PreparedRead, values: Mapping[str, Any]) -> Mapping[str, Any] | None: ...


class PoolReader:
    """Reads on an asyncpg pool of their own: no session, no BEGIN/COMMIT round trips, no result processing.

    JSON comes back decoded, as through SQLAlchemy, so a row reads the same whichever way it came.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, settings: BaseServiceSettings, *, application_name: str) -> PoolReader:
        async def init(connection: asyncpg.Connection) -> None:
            for name in ("json", "jsonb"):
                await connection.set_type_codec(
                    name, schema="pg_catalog", encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads
                )

        async def reset(connection: asyncpg.Connection) -> None:
            """Nothing to undo: the lane runs lone SELECTs, never SET, LISTEN or locks (an open transaction,
            were there one, is still rolled back by asyncpg). The default reset costs a round trip per read."""

        pool = await asyncpg.create_pool(
            asyncpg_dsn(settings.sqlalchemy_url()),
            min_size=0,
            max_size=settings.db_read_pool_size,
            max_inactive_connection_lifetime=settings.db_pool_recycle_s,
            server_settings=server_settings(settings, f"{application_name}-reads"),
            init=init,
            reset=reset,
        )
        return cls(pool)

    async def fetchrow(self, read: PreparedRead, values: Mapping[str, Any]) -> Mapping[str, Any] | None:
        row: asyncpg.Record | None = await self.pool.fetchrow(read.sql, *read.args(values))
        return row

    async def close(self) -> None:
        await self.pool.close()


class ConnectionReader:
    """Reads on the driver connection under one SQLAlchemy connection, inside whatever transaction it holds."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def fetchrow(self, read: PreparedRead, values: Mapping[str, Any]) -> Mapping[str, Any] | None:
        driver = (await self.connection.get_raw_connection()).driver_connection
        assert driver is not None, "the connection is closed"
        row: asyncpg.Record | None = await driver.fetchrow(read.sql, *read.args(values))
        return row


async def request_reader(request: Request) -> Reader:
    """The app's read lane (usable as a dependency too)."""
    reader: Reader = request.app.state.platform.reader
    return reader
