"""HTTP for /roster-adjustments: apply a roster adjustment, list and read the history."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from services.registry.access import AccessDep
from services.registry.roster.schemas import RosterAdjustmentCreate, RosterAdjustmentRead
from services.registry.roster.service import RosterFilters, RosterService
from shared.app import api_router
from shared.audit import AuditDep
from shared.context import ContextDep
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.schemas.common import Page

router = api_router(tags=["roster-adjustments"])


async def _service(session: SessionDep, access: AccessDep, audit: AuditDep) -> RosterService:
    return RosterService(session, access, audit)


RosterServiceDep = Annotated[RosterService, Depends(_service)]
FiltersQuery = Annotated[RosterFilters, Query()]


@router.post(
    "/roster-adjustments",
    response_model=RosterAdjustmentRead,
    status_code=201,
    summary="名单调整：纳入、升级、降级、调整目标层级、移出（支持 Idempotency-Key）",
    description=(
        "Applies one adjustment to an industry, enterprise or project and records it, atomically. "
        "`promote` moves to a higher level (region defaults to the one above), `demote` to a lower one "
        "(`to_region_code` required, within the old region), `retier` changes the target tier at the same "
        "level, `remove` takes the entity off the list and `include` re-lists a removed one. `effective_on` "
        "may not be in the future (Asia/Shanghai) nor before the entity's latest adjustment."
    ),
    responses={
        403: {"description": "无权修改原地区或新地区的对象"},
        404: {"description": "对象不存在或不在调用方辖区内"},
        422: {"description": "违反调整规则，code 说明原因（如 roster_level_not_higher）"},
    },
)
async def create_roster_adjustment(
    body: RosterAdjustmentCreate, svc: RosterServiceDep, ctx: ContextDep, idem: IdempotencyDep
) -> Response:
    return await idem.run(lambda: svc.create(ctx, body), location=lambda r: f"/api/v1/roster-adjustments/{r.id}")


@router.get(
    "/roster-adjustments",
    response_model=Page[RosterAdjustmentRead],
    summary="名单调整记录（按对象、动作、类别、生效日期筛选；游标分页）",
)
async def list_roster_adjustments(svc: RosterServiceDep, filters: FiltersQuery) -> Page[RosterAdjustmentRead]:
    items, cursor = await svc.list(filters)
    return Page(items=items, next_cursor=cursor)


@router.get("/roster-adjustments/{id}", response_model=RosterAdjustmentRead, summary="一条名单调整记录")
async def get_roster_adjustment(id: uuid.UUID, svc: RosterServiceDep) -> RosterAdjustmentRead:
    return await svc.get(id)
