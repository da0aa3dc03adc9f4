"""Queries over receipts (签收). Never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, String, and_, cast, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.access import NotifyAccess
from services.notify.models import Circular, Receipt, table
from shared.auth import Role
from shared.pagination import PageRequest, Sorting
from shared.regions import code_range
from shared.schemas.notify.enums import CircularStatus, ReceiptStatus, UnitType

R = table(Receipt)
C = table(Circular)
# One receipt is one (circular, unit): that triple, as text, breaks ties between the circular's units.
KEY = func.concat(cast(R.c.circular_id, String), ":", R.c.unit_type, ":", R.c.unit_code).label("id")
SORTING = Sorting(columns={"published_at": C.c.published_at}, tiebreak=KEY, default="published_at")


def actable(access: NotifyAccess) -> ColumnElement[bool] | None:
    """Receipts of units the caller may sign for; None: every unit."""
    p = access.principal
    if p.role in (Role.admin, Role.service):
        return None
    clauses: list[ColumnElement[bool]] = []
    if p.role in (Role.city, Role.county):
        low, high = code_range(p.region)
        clauses.append(and_(R.c.unit_type == UnitType.region.value, R.c.unit_code.between(low, high)))
    if p.role is Role.department and p.department:
        clauses.append(and_(R.c.unit_type == UnitType.department.value, R.c.unit_code == p.department))
    return or_(*clauses) if clauses else R.c.unit_code.is_(None)


class ReceiptRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_for(self, circular_id: uuid.UUID, units: Sequence[tuple[UnitType, str]], now: dt.datetime) -> None:
        if units:
            rows = [
                {"circular_id": circular_id, "unit_type": t.value, "unit_code": code, "created_at": now}
                for t, code in units
            ]
            await self.session.execute(insert(R), rows)

    async def of_circular(self, circular_id: uuid.UUID) -> Sequence[RowMapping]:
        stmt = select(R).where(R.c.circular_id == circular_id).order_by(R.c.unit_type.desc(), R.c.unit_code)
        return (await self.session.execute(stmt)).mappings().all()

    async def lock(self, circular_id: uuid.UUID, unit_type: UnitType, unit_code: str) -> RowMapping | None:
        stmt = (
            select(R)
            .where(R.c.circular_id == circular_id, R.c.unit_type == unit_type.value, R.c.unit_code == unit_code)
            .with_for_update()
        )
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def act(
        self, circular_id: uuid.UUID, unit_type: UnitType, unit_code: str, values: dict[str, Any]
    ) -> RowMapping:
        stmt = (
            update(R)
            .where(
                R.c.circular_id == circular_id,
                R.c.unit_type == unit_type.value,
                R.c.unit_code == unit_code,
                R.c.status == ReceiptStatus.pending.value,
            )
            .values(**values)
            .returning(*R.c)
        )
        return (await self.session.execute(stmt)).mappings().one()

    async def unsigned(
        self, access: NotifyAccess, published_before: dt.datetime, page: PageRequest
    ) -> tuple[Sequence[RowMapping], str]:
        """Pending receipts of circulars published before `published_before`, in the caller's units."""
        stmt = (
            select(*R.c, C.c.title, C.c.document_number, C.c.published_at, C.c.reply_deadline, KEY)
            .select_from(R.join(C, C.c.id == R.c.circular_id))
            .where(
                R.c.status == ReceiptStatus.pending.value,
                C.c.status == CircularStatus.published.value,
                C.c.published_at <= published_before,
            )
        )
        if (scope := actable(access)) is not None:
            stmt = stmt.where(scope)
        stmt, key, _ = SORTING.apply(stmt, page)
        return (await self.session.execute(stmt)).mappings().all(), key
