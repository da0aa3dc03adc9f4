"""HTTP for /search: industries, enterprises and projects found by name, USCC or project code."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from services.registry.search.schemas import SEARCH_EXAMPLE, SearchFilters, SearchHit
from services.registry.search.service import SearchService
from shared.app import api_router
from shared.context import PrincipalDep
from shared.db import SessionDep
from shared.schemas.common import Page

router = api_router(tags=["search"])


async def _service(session: SessionDep, principal: PrincipalDep) -> SearchService:
    return SearchService(session, principal)


SearchServiceDep = Annotated[SearchService, Depends(_service)]


@router.get(
    "/search",
    response_model=Page[SearchHit],
    summary="跨类搜索产业、企业、项目（名称、统一社会信用代码、项目代码；按相关度排序，游标分页）",
    description=(
        "Finds industries, enterprises and projects whose name contains `q` (Chinese included), or whose "
        "unified social credit code or project code begins with it (case-insensitive), within the caller's "
        "region scope, best first: a code equal to `q`, then names equal to it, beginning with it, containing "
        "it, each closer the more of the name `q` covers. `matched` names the fields that matched."
    ),
    responses={200: {"content": {"application/json": {"example": SEARCH_EXAMPLE}}}},
)
async def search(svc: SearchServiceDep, filters: Annotated[SearchFilters, Query()]) -> Page[SearchHit]:
    items, cursor = await svc.search(filters)
    return Page(items=items, next_cursor=cursor)
