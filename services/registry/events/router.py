"""GET /events: the registry's change feed, for other services to follow without missing a change."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from services.registry.feed import read_changes
from shared.app import api_router
from shared.auth import Role
from shared.context import PrincipalDep
from shared.db import SessionDep
from shared.edge import INT64_MAX
from shared.errors import Forbidden
from shared.schemas.registry.responses.feed import ChangeEventRead, ChangeFeedPage

router = api_router(tags=["events"])


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
    session: SessionDep,
    principal: PrincipalDep,
    after: Annotated[int, Query(ge=0, le=INT64_MAX, description="上次返回的 next_cursor；从头读取用 0")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ChangeFeedPage:
    if principal.role not in (Role.admin, Role.service):
        raise Forbidden("变更事件流仅向管理员和平台服务开放", code="role_not_allowed")
    events = await read_changes(session, after, limit)
    return ChangeFeedPage(
        items=[ChangeEventRead.model_validate(e) for e in events],
        next_cursor=str(events[-1].id if events else after),
    )
