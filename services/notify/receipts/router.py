"""HTTP for /receipts: the receipts still unsigned in the caller's units."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from services.notify.access import AccessDep
from services.notify.receipts.schemas import UnsignedFilters
from services.notify.receipts.service import ReceiptService
from shared.app import api_router
from shared.audit import AuditDep
from shared.context import ContextDep
from shared.db import SessionDep
from shared.schemas.common import Page
from shared.schemas.notify.responses.circulars import UnsignedReceiptRead

router = api_router(tags=["receipts"])


async def _service(session: SessionDep, access: AccessDep, audit: AuditDep) -> ReceiptService:
    return ReceiptService(session, access, audit)


@router.get(
    "/receipts",
    response_model=Page[UnsignedReceiptRead],
    summary="未签收记录（调用方可代签的单位；unsigned_for_days=N：发布满 N 天仍未签收）",
)
async def list_unsigned_receipts(
    svc: Annotated[ReceiptService, Depends(_service)], filters: Annotated[UnsignedFilters, Query()], ctx: ContextDep
) -> Page[UnsignedReceiptRead]:
    items, cursor = await svc.unsigned(filters, ctx.now)
    return Page(items=items, next_cursor=cursor)
