"""GET /events: the registry's change feed, for other services to follow without missing a change."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from services.registry.events.service import ChangeFeedService
from shared.app import api_router
from shared.context import PrincipalDep
from shared.db import SessionDep
from shared.edge import INT64_MAX
from shared.schemas.registry.responses.feed import ChangeFeedPage

router = api_router(tags=["events"])


async def _service(session: SessionDep, principal: PrincipalDep) -> ChangeFeedService:
    return ChangeFeedService(session, principal)


ChangeFeedServiceDep = Annotated[ChangeFeedService, Depends(_service)]


@router.get(
    "/events",
    response_model=ChangeFeedPage,
    summary="变更事件流（按提交顺序，after 游标之后的事件）",
    description=(
        "Every committed change to entities, metrics, the roster and reference data, in commit order. "
        "Start with `after=0`, then pass the returned `next_cursor` as `after`. Ids are handed out in commit "
        "order, so a follower that always resumes from its last cursor sees every change exactly once. "
        "Readable by admins and platform services."
    ),
)
async def list_events(
    svc: ChangeFeedServiceDep,
    after: Annotated[int, Query(ge=0, le=INT64_MAX, description="上次返回的 next_cursor；从头读取用 0")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ChangeFeedPage:
    return await svc.list(after, limit)
