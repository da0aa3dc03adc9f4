"""Search across industries, enterprises and projects within the caller's region scope.

A record the caller may not read is never a hit, so a search reveals nothing a list would not."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.search.repository import SearchQuery, SearchRepository
from services.registry.search.schemas import SearchFilters, SearchHit
from shared.auth import Principal
from shared.pagination import PageRequest, cut_page


class SearchService:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.principal = principal
        self.repo = SearchRepository(session)

    async def search(self, filters: SearchFilters) -> tuple[list[SearchHit], str | None]:
        query = SearchQuery(
            q=filters.q,
            kind=filters.kind,
            region=filters.region,
            roster_status=filters.roster_status,
            scope=self.principal.read_scope,
        )
        page = PageRequest(limit=filters.limit, cursor=filters.cursor)
        rows, key = await self.repo.search(query, page)
        items, cursor = cut_page(rows, page, key, "score")
        return [SearchHit.model_validate(dict(row)) for row in items], cursor
