"""The read lane: hot reads (the registry's GET by id and lists, the scheduler's task lists) without the ORM.

The most requested reads are one or two plain statements each, so they skip the unit of work: each
statement is compiled once (`PreparedRead`; a statement built per request through SQLAlchemy's
compiled cache, `PreparedRead.bound`) and run on an asyncpg pool of its own (`PoolReader`,
`DB_READ_POOL_SIZE`) with no ORM session, no BEGIN/COMMIT and no reset query on release. When the
app's units of work all run inside one connection's transaction (the test harness), the lane reads
on that connection instead (`ConnectionReader`), so it sees the same rows.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import asyncpg
import orjson
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement
from sqlalchemy.util import LRUCache

from shared.app import Platform
from shared.db import server_settings
from shared.settings import BaseServiceSettings, asyncpg_dsn

_ASYNCPG = PGDialect_asyncpg()  # type: ignore[no-untyped-call]
_COMPILED: LRUCache[Any, Any] = LRUCache(512)  # `PreparedRead.bound`'s compiled statements, by cache key


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

    @classmethod
    def bound(cls, stmt: ClauseElement, values: Mapping[str, Any]) -> PreparedRead:
        """A statement built per request (a filtered list), every parameter bound: its literals and `values`.

        Compiled through SQLAlchemy's own statement cache, as a session would (`_compile_w_cache`: the
        statement's shape is the key and its literal values are extracted), so a shape seen before costs
        its cache key, not a compilation (~0.3 ms against ~1.5 ms for a list of entities); the values go
        through the dialect's bind processors, as a session's would.
        """
        compiled, extracted, *_ = stmt._compile_w_cache(
            _ASYNCPG, compiled_cache=_COMPILED, column_keys=[], for_executemany=False, schema_translate_map=None
        )
        assert isinstance(compiled, SQLCompiler)
        if not (compiled.post_compile_params or compiled.literal_execute_params):
            params = compiled.construct_params(params=dict(values), extracted_parameters=extracted)
            names = tuple(compiled.positiontup or ())
            return cls(compiled.string, names, _processed(names, params, compiled._bind_processors))
        # An IN list: its parameters are expanded into the SQL for the values given, as a session does.
        state = compiled._process_parameters_for_postcompile(
            compiled.construct_params(params=dict(values), extracted_parameters=extracted, _no_postcompile=True)
        )
        names = tuple(state.positiontup or ())
        return cls(state.statement, names, _processed(names, state.parameters, state.processors))

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        return [values.get(name, default) for name, default in zip(self.names, self.defaults, strict=True)]


def _processed(names: Sequence[str], params: Mapping[str, Any], processors: Mapping[str, Any]) -> tuple[Any, ...]:
    """The values of `names` in order, each through the dialect's bind processor for its type, if any."""
    return tuple(processors[n](params[n]) if n in processors else params[n] for n in names)


def _row_value(value: Any) -> str:
    # The driver's UUID type, which orjson does not know, and Decimals as their text, as pydantic writes them.
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def rows_json(content: Any) -> bytes:
    """JSON of what is built from the lane's rows, as pydantic would write the response model of the same
    values: the driver's UUIDs and Decimals as text, datetimes in UTC with `Z`."""
    return orjson.dumps(content, default=_row_value, option=orjson.OPT_UTC_Z)


class Reader(Protocol):
    """Runs one read statement outside any unit of work; PostgreSQL makes a single statement atomic."""

    async def fetchrow(self, read: PreparedRead, values: Mapping[str, Any]) -> Mapping[str, Any] | None: ...

    async def fetch(self, read: PreparedRead, values: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]: ...


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

    async def fetch(self, read: PreparedRead, values: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
        rows: list[asyncpg.Record] = await self.pool.fetch(read.sql, *read.args(values))
        return rows

    async def close(self) -> None:
        await self.pool.close()


class ConnectionReader:
    """Reads on the driver connection under one SQLAlchemy connection, inside whatever transaction it holds."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def _driver(self) -> asyncpg.Connection:
        driver: asyncpg.Connection | None = (await self.connection.get_raw_connection()).driver_connection
        assert driver is not None, "the connection is closed"
        return driver

    async def fetchrow(self, read: PreparedRead, values: Mapping[str, Any]) -> Mapping[str, Any] | None:
        row: asyncpg.Record | None = await (await self._driver()).fetchrow(read.sql, *read.args(values))
        return row

    async def fetch(self, read: PreparedRead, values: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
        rows: list[asyncpg.Record] = await (await self._driver()).fetch(read.sql, *read.args(values))
        return rows


class ReadPoolCollector(Collector):
    def __init__(self, reader: PoolReader) -> None:
        self.reader = reader

    def collect(self) -> Iterable[Metric]:
        pool = self.reader.pool
        size = GaugeMetricFamily("db_read_pool_size", "Connections the read pool holds open")
        size.add_metric([], pool.get_size())
        out = GaugeMetricFamily("db_read_pool_checked_out", "Read-pool connections in use")
        out.add_metric([], pool.get_size() - pool.get_idle_size())
        yield from (size, out)


class ReadLane:
    """The lane's reader while the app runs; `lifespan` opens and closes it."""

    def __init__(self) -> None:
        self._reader: Reader | None = None

    @property
    def reader(self) -> Reader:
        if self._reader is None:
            raise RuntimeError("the read lane is not open: the app's lifespan has not started")
        return self._reader

    @asynccontextmanager
    async def lifespan(self, platform: Platform[Any, Any]) -> AsyncIterator[None]:
        connection = platform.database.connection
        if connection is not None:
            self._reader = ConnectionReader(connection)
            try:
                yield
            finally:
                self._reader = None
            return
        pool = await PoolReader.open(platform.settings, application_name=platform.service)
        platform.metrics.registry.register(ReadPoolCollector(pool))
        self._reader = pool
        try:
            yield
        finally:
            self._reader = None
            await pool.close()
