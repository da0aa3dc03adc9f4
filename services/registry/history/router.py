"""HTTP for /industries|enterprises|projects/{id}/history: one entity's story, declared once per kind.

No `from __future__ import annotations`: the routes are built per kind inside `_mount`, and FastAPI must
see their annotations as objects, not strings naming function-local aliases.
"""

import uuid
from typing import Annotated

from fastapi import Depends, Query

from services.registry.access import AccessDep
from services.registry.entities.kinds import KINDS, KindSpec
from services.registry.history.schemas import HISTORY_EXAMPLE, HistoryEntry, HistoryFilters
from services.registry.history.service import HistoryService
from shared.app import api_router
from shared.db import SessionDep
from shared.schemas.common import Page

router = api_router()
FiltersQuery = Annotated[HistoryFilters, Query()]


def _mount(spec: KindSpec) -> None:
    async def service(session: SessionDep, access: AccessDep) -> HistoryService:
        return HistoryService(session, spec, access)

    ServiceDep = Annotated[HistoryService, Depends(service)]

    @router.get(
        f"/{spec.path}/{{id}}/history",
        response_model=Page[HistoryEntry],
        tags=[spec.path],
        name=f"get_{spec.kind.value}_history",
        summary=f"一个{spec.label}的完整经历：名单调整、指标修订与信息变更，按时间排序（游标分页）",
        description=(
            "The entity's roster adjustments, metric revisions (every revision kept) and field changes (the "
            "fields an audit event's before and after differ in) in the order they were recorded (`sort=-at` "
            "for newest first), paged by cursor. Readable by whoever may read the entity itself: 404 outside "
            "the caller's region scope, as `GET` of the record."
        ),
        responses={
            200: {"content": {"application/json": {"example": HISTORY_EXAMPLE}}},
            404: {"description": f"{spec.label}不存在或不在调用方辖区内"},
        },
    )
    async def get_history(id: uuid.UUID, svc: ServiceDep, filters: FiltersQuery) -> Page[HistoryEntry]:
        items, cursor = await svc.history(id, filters)
        return Page(items=items, next_cursor=cursor)


for _spec in KINDS.values():
    _mount(_spec)
