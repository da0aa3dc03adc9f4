"""The roster on a date, streamed (`GET /roster`): whole rosters for other services in one request.

One statement (`roster.repository.listed_statement`) read through a server-side cursor, 1,000 rows at
a time, each row written as one NDJSON line (`shared.schemas.registry.responses.roster.RosterEntry`)
and, last, a `RosterEnd` line with the count, so a reader can tell a complete roster from one cut off.

The statement is started before the response is: a database that cannot be reached is a 503 problem,
not a 200 that stops. Once rows are flowing, a failure can only cut the stream short (no end line).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any

import orjson
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.roster.repository import ListedQuery, RosterRepository, listed_statement
from services.registry.roster.schemas import RosterListing
from shared.auth import Principal
from shared.schemas.registry.responses.roster import RosterEnd

PAGE_ROWS = 1000
NDJSON = "application/x-ndjson"


class NDJSONResponse(StreamingResponse):
    media_type = NDJSON


class NDJSONLines(JSONResponse):
    """For the OpenAPI document only (`response_class=`): the body's media type with each line's schema
    (the response model). FastAPI documents a StreamingResponse's body as a plain string."""

    media_type = NDJSON


def entry(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row of `listed_statement` in the shape of `RosterEntry`, ready for orjson."""
    project = None
    if row["kind"] == "project":
        project = {
            "project_code": row["project_code"],
            "total_investment": row["total_investment"],
            "stage": row["stage"],
            "signed_on": row["signed_on"],
            "annual_plans": row["annual_plans"],
        }
    return {
        "id": row["id"],
        "kind": row["kind"],
        "name": row["name"],
        "level": row["level"],
        "region_code": row["region_code"],
        "domain": row["domain"],
        "pathway": row["pathway"],
        "target_tier": row["target_tier"],
        "lead_department_id": row["lead_department_id"],
        "listed_on": row["listed_on"],
        "persons": row["persons"],
        "chain_ids": row["chain_ids"],
        "park_ids": row["park_ids"],
        "project": project,
        "version": row["version"],
        "updated_at": row["updated_at"],
    }


def _line(value: Mapping[str, Any]) -> bytes:
    # `default=str`: the ids in arrays are asyncpg's own UUID type, which orjson does not know.
    return orjson.dumps(value, default=str, option=orjson.OPT_APPEND_NEWLINE)


class RosterStream:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], listing: RosterListing, principal: Principal
    ) -> None:
        self.sessionmaker = sessionmaker
        self.as_of = listing.as_of
        self.statement = listed_statement(
            ListedQuery(
                kinds=[k.value for k in listing.kind],
                levels=[v.value for v in listing.level],
                regions=listing.region,
                domains=[v.value for v in listing.domain],
                tiers=[v.value for v in listing.tier],
                chains=listing.chain,
                parks=listing.park,
                as_of=listing.as_of,
                scope=principal.read_scope,
            )
        )

    async def start(self) -> AsyncIterator[bytes]:
        """The body, with the statement already running and its first rows read."""
        body = self._lines()
        first = await anext(body)
        return _prepend(first, body)

    async def _lines(self) -> AsyncGenerator[bytes]:
        count = 0
        async with self.sessionmaker() as session, session.begin():
            async for page in RosterRepository(session).stream(self.statement, PAGE_ROWS):
                count += len(page)
                yield b"".join(_line(entry(row)) for row in page)
        yield _line(RosterEnd(count=count, as_of=self.as_of).model_dump(mode="json"))


async def _prepend(first: bytes, rest: AsyncGenerator[bytes]) -> AsyncIterator[bytes]:
    try:
        yield first
        async for chunk in rest:
            yield chunk
    finally:
        # A client that goes away leaves `rest` suspended: close it now, which ends its transaction.
        await rest.aclose()
