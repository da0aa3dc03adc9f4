"""Database plumbing shared by the services: naming convention, engine factory, unit of work.

Each service keeps its tables in its own PostgreSQL schema (`registry`, `scheduler`, `notify`), so
the three can share one database or use three, by URL alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry

from shared.settings import BaseServiceSettings

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


@dataclass(frozen=True, slots=True)
class Database:
    """Where a service's units of work run: its engine, and the sessionmaker every transaction comes from.

    `connection` is set when every unit of work runs inside one outer transaction on one connection
    (the test harness), so a component with a pool of its own (the registry's read lane) reads there
    too and sees the same rows.
    """

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    connection: AsyncConnection | None = None

    @classmethod
    def on(cls, engine: AsyncEngine) -> Database:
        return cls(engine, create_sessionmaker(engine))

    @classmethod
    def inside(cls, connection: AsyncConnection) -> Database:
        """Each transaction a savepoint inside the connection's outer transaction (rolled back by its owner)."""
        sessions = async_sessionmaker(
            bind=connection, expire_on_commit=False, autoflush=False, join_transaction_mode="create_savepoint"
        )
        return cls(connection.engine, sessions, connection)


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: one transaction, committed before the response is sent.

    Used with `Depends(..., scope="function")` so the commit (and any error it raises) happens
    before FastAPI sends the response: nothing is acknowledged that was not committed.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.platform.sessionmaker
    async with sessionmaker() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
