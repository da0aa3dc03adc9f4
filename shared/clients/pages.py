"""Walk a cursor-paged list (`{"items": [...], "next_cursor": ...}`) item by item."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from shared.errors import PeerUnavailable
from shared.schemas.common import Page

T = TypeVar("T")


async def paginate(fetch: Callable[[str | None], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """Yield every item of every page; `fetch(cursor)` gets one page, starting from cursor None.

        async for park in paginate(lambda cursor: registry.list_parks(region="430100", cursor=cursor)):
            ...

    Pages are fetched lazily, as the items run out. Errors are those of `fetch`; a peer handing back
    the cursor it was given (which would loop forever) is PeerUnavailable `peer_bad_response`.
    """
    cursor: str | None = None
    while True:
        page = await fetch(cursor)
        for item in page.items:
            yield item
        if page.next_cursor is None:
            return
        if page.next_cursor == cursor:
            raise PeerUnavailable("依赖的服务返回的分页游标没有前进", code="peer_bad_response")
        cursor = page.next_cursor
