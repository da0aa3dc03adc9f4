"""The change feed as its followers read it: admins and platform services, in commit order."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.events.repository import read_changes
from shared.auth import Principal, Role
from shared.errors import Forbidden
from shared.schemas.registry.responses.feed import ChangeEventRead, ChangeFeedPage


class ChangeFeedService:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def list(self, after: int, limit: int) -> ChangeFeedPage:
        """Up to `limit` events after id `after`; the cursor stays at `after` when there are none yet."""
        if self.principal.role not in (Role.admin, Role.service):
            raise Forbidden("变更事件流仅向管理员和平台服务开放", code="role_not_allowed")
        events = await read_changes(self.session, after, limit)
        return ChangeFeedPage(
            items=[ChangeEventRead.model_validate(e) for e in events],
            next_cursor=str(events[-1].id if events else after),
        )
