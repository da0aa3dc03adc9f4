"""HTTP for /roster-adjustments (apply a roster adjustment, list and read the history) and /roster (the
roster on a date, streamed)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from services.registry.access import AccessDep
from services.registry.roster.batch import RosterBatch
from services.registry.roster.listing import NDJSONLines, NDJSONResponse, RosterStream
from services.registry.roster.schemas import (
    MAX_BATCH_ITEMS,
    RosterAdjustmentCreate,
    RosterAdjustmentRead,
    RosterBatchCreate,
    RosterBatchRead,
    RosterListing,
)
from services.registry.roster.service import RosterFilters, RosterService
from shared.app import api_router
from shared.audit import AuditDep
from shared.context import ContextDep, PrincipalDep
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.schemas.common import Page
from shared.schemas.registry.responses.roster import RosterEntry

router = api_router(tags=["roster-adjustments"])
listing_router = api_router(tags=["roster"])


async def _service(session: SessionDep, access: AccessDep, audit: AuditDep) -> RosterService:
    return RosterService(session, access, audit)


RosterServiceDep = Annotated[RosterService, Depends(_service)]
FiltersQuery = Annotated[RosterFilters, Query()]
ListingQuery = Annotated[RosterListing, Query()]

ROSTER_DESCRIPTION = """
The whole roster in scope in one response, for services that read rosters of tens of thousands of
entities (a dispatch round opening): no paging. The body is NDJSON (`application/x-ndjson`), one JSON
object per line, in entity id order: one `RosterEntry` per entity on the roster, then a last line
`{"end": true, "count": <entries>, "as_of": <date or null>}`. A body without that line was cut short
(the connection failed mid-way) and must not be used as the roster.

Only entities on the roster (status `listed`) on `as_of` (default: today's roster), with their level,
region and target tier of that date. Every parameter may be repeated: its values are alternatives
(`?level=city&level=county`), the parameters narrow one another, and `region` covers each region and
everything below it. The caller's own region scope applies, as on the entity lists. Responsible persons
are given by id and name only. Errors (a refused parameter, a database that cannot be reached) are
answered as problem+json before any line is sent.
"""


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


@router.post(
    "/roster-adjustments:batch",
    response_model=RosterBatchRead,
    status_code=200,
    summary=f"批量名单调整（至多 {MAX_BATCH_ITEMS} 项；整批生效或逐项生效；支持 Idempotency-Key）",
    description=(
        "Applies the items in order, each by the same rules, scope checks, audit records and change-feed "
        "events as `POST /roster-adjustments`; an item sees the state the items before it left. "
        "`mode=all_or_nothing` (default): when any item is refused, nothing is changed and the answer is 422 "
        "`roster_batch_refused`, whose `errors` name each refused item's fields as `items.<index>.<field>` and "
        "whose `items` carry each refused item's index, status and problem. `mode=each`: every item is applied "
        "or refused on its own and the answer is 200 with one result per item (201 with the adjustment, or "
        "403/404/422 with the problem the item alone would have had). Viewers and services are refused "
        "as a whole (403 `role_read_only`)."
    ),
    responses={
        403: {"description": "当前角色不能修改名单对象（role_read_only）"},
        422: {"description": "请求体不合规，或 all_or_nothing 模式下有项被拒绝（roster_batch_refused，逐项列出）"},
    },
)
async def create_roster_adjustment_batch(
    body: RosterBatchCreate, svc: RosterServiceDep, ctx: ContextDep, idem: IdempotencyDep
) -> Response:
    return await idem.run(lambda: RosterBatch(svc).apply(ctx, body), status_code=200)


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


@listing_router.get(
    "/roster",
    response_class=NDJSONLines,
    response_model=RosterEntry,
    name="list_roster",
    summary="名单（流式 NDJSON，不分页）：某日在名单上的全部对象，按类别、级别、地区、领域、层级、产业链、园区筛选",
    description=ROSTER_DESCRIPTION,
    responses={200: {"description": "每行一个 RosterEntry，最后一行为结束标记 RosterEnd（含条数）"}},
)
async def list_roster(request: Request, principal: PrincipalDep, listing: ListingQuery) -> NDJSONResponse:
    stream = RosterStream(request.app.state.platform.sessionmaker, listing, principal)
    return NDJSONResponse(await stream.start())
