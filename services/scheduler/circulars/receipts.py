"""Reading back from notify which receipts (签收) of the scheduler's circulars are still unsigned.

`refresh_unsigned_receipts` is a step of the supervision loop, run before the sweep: if notify has
issued any circular at the scheduler's request, it pages through notify's unsigned receipts
(`NotifyClient.list_unsigned_receipts`, outside any transaction), then replaces the stored set
(`unsigned_receipt`) with those of the scheduler's own circulars, in one transaction. Only receipts
published at least `yellow_after_days - 2` whole days ago are asked for: a local calendar day
difference of `yellow_after_days` always spans more than that many 24-hour days, daylight saving
included, so nothing the rule could colour is missed. If notify cannot be read the stored set stays
as it was (and the sweep judges it as of the last complete read), and the next pass tries again.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scheduler.circulars.compose import NOTIFY, REQUEST_CIRCULAR
from services.scheduler.circulars.repository import ReceiptRepository
from services.scheduler.findings.parameters import CIRCULAR_UNSIGNED, signing_params
from services.scheduler.findings.rule_repository import RuleRepository
from shared.clients import NotifyClient, paginate
from shared.errors import AppError
from shared.schemas.notify.responses.circulars import UnsignedReceiptRead

log = logging.getLogger("wanqianbai.scheduler.receipts")
PAGE = 200


def receipts(session: AsyncSession) -> ReceiptRepository:
    return ReceiptRepository(session, peer=NOTIFY, operation=REQUEST_CIRCULAR)


async def refresh_unsigned_receipts(
    sessionmaker: async_sessionmaker[AsyncSession], notify: NotifyClient, now: dt.datetime
) -> int | None:
    """The receipts now stored, or None when there was nothing to ask or notify could not be read."""
    async with sessionmaker.begin() as session:
        rule = (await RuleRepository(session).active()).get(CIRCULAR_UNSIGNED)
        if rule is None or not await receipts(session).any_requested():
            return None
        params = signing_params(rule["version"], rule["parameters"])
    days = max(params.yellow_after_days - 2, 0)
    found: list[UnsignedReceiptRead] = []
    try:
        async for receipt in paginate(
            lambda cursor: notify.list_unsigned_receipts(unsigned_for_days=days, limit=PAGE, cursor=cursor)
        ):
            found.append(receipt)
    except AppError as exc:
        log.warning("unsigned receipts not read; the stored set stays", extra={"code": exc.code})
        return None
    async with sessionmaker.begin() as session:
        return await receipts(session).replace_unsigned(found, now)
