"""The roster on a date, streamed (`GET /roster`): whole rosters for other services in one request.

One statement (`roster.repository.listed_statement`) read through a server-side cursor, 1,000 rows at
a time, each row one NDJSON line (`shared.schemas.registry.responses.roster.RosterEntry`, as JSON the
statement renders) and, last, a `RosterEnd` line with the count, so a reader can tell a complete roster
from one cut off.

The statement is started before the response is: a database that cannot be reached is a 503 problem,
not a 200 that stops. Once rows are flowing, a failure can only cut the stream short (no end line).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

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
                yield "".join(f"{row['line']}\n" for row in page).encode()
        yield RosterEnd(count=count, as_of=self.as_of).model_dump_json().encode() + b"\n"


async def _prepend(first: bytes, rest: AsyncGenerator[bytes]) -> AsyncIterator[bytes]:
    try:
        yield first
        async for chunk in rest:
            yield chunk
    finally:
        # A client that goes away leaves `rest` suspended: close it now, which ends its transaction.
        await rest.aclose()
