"""Queries over the calendar's overrides and completed years. Returns rows or None; never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.calendar import BusinessCalendar
from services.scheduler.models import CalendarOverride, CalendarYear, table

OV = table(CalendarOverride)
Y = table(CalendarYear)


class CalendarRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def calendar(self) -> BusinessCalendar:
        """Every override and completed year: the calendar every round is computed on."""
        days = (await self.session.execute(select(OV.c.day, OV.c.working))).all()
        years = (await self.session.execute(select(Y.c.year))).scalars().all()
        return BusinessCalendar({day: working for day, working in days}, frozenset(years))

    async def list_overrides(self, since: dt.date | None, until: dt.date | None) -> Sequence[RowMapping]:
        stmt = select(OV).order_by(OV.c.day)
        if since is not None:
            stmt = stmt.where(OV.c.day >= since)
        if until is not None:
            stmt = stmt.where(OV.c.day <= until)
        return (await self.session.execute(stmt)).mappings().all()

    async def get_override(self, day: dt.date) -> RowMapping | None:
        row: RowMapping | None = (await self.session.execute(select(OV).where(OV.c.day == day))).mappings().first()
        return row

    async def insert_override(self, values: dict[str, Any]) -> RowMapping | None:
        """The new row, or None when the date already has an override."""
        stmt = insert(OV).values(**values).on_conflict_do_nothing(index_elements=["day"]).returning(*OV.c)
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def update_override(self, day: dt.date, version: int, values: dict[str, Any]) -> RowMapping | None:
        stmt = (
            update(OV)
            .where(OV.c.day == day, OV.c.version == version)
            .values(**values, version=OV.c.version + 1, updated_at=func.now())
            .returning(*OV.c)
        )
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def delete_override(self, day: dt.date, version: int) -> bool:
        stmt = delete(OV).where(OV.c.day == day, OV.c.version == version).returning(OV.c.day)
        return (await self.session.execute(stmt)).first() is not None

    async def list_years(self) -> Sequence[RowMapping]:
        return (await self.session.execute(select(Y).order_by(Y.c.year))).mappings().all()

    async def insert_year(self, values: dict[str, Any]) -> RowMapping | None:
        stmt = insert(Y).values(**values).on_conflict_do_nothing(index_elements=["year"]).returning(*Y.c)
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def delete_year(self, year: int) -> bool:
        return (await self.session.execute(delete(Y).where(Y.c.year == year).returning(Y.c.year))).first() is not None
