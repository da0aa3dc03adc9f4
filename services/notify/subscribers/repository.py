"""Queries over subscribers. Never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, RowMapping, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.access import NotifyAccess
from services.notify.models import Subscriber, table
from shared.pagination import PageRequest, Sorting
from shared.regions import code_range
from shared.repository import VersionedRepository
from shared.schemas.notify.enums import SubscriberStatus

S = table(Subscriber)
SORTING = Sorting(columns={"created_at": S.c.created_at, "name": S.c.name}, tiebreak=S.c.id, default="created_at")


@dataclass(frozen=True, slots=True)
class SubscriberQuery:
    status: SubscriberStatus | None = None
    region: str | None = None
    topic: str | None = None


def readable(access: NotifyAccess) -> ColumnElement[bool] | None:
    if access.reads_everything:
        return None
    low, high = code_range(access.principal.region)
    clauses: list[ColumnElement[bool]] = [S.c.region_code.between(low, high)]
    if access.principal.department:
        clauses.append(S.c.department == access.principal.department)
    return or_(*clauses)


class SubscriberRepository(VersionedRepository):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, S)

    async def by_name(self, name: str) -> RowMapping | None:
        row: RowMapping | None = (await self.session.execute(select(S).where(S.c.name == name))).mappings().first()
        return row

    async def lock(self, subscriber_id: uuid.UUID) -> RowMapping | None:
        stmt = select(S).where(S.c.id == subscriber_id).with_for_update()
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def find(
        self, query: SubscriberQuery, page: PageRequest, access: NotifyAccess
    ) -> tuple[Sequence[RowMapping], str]:
        stmt = select(S)
        if (scope := readable(access)) is not None:
            stmt = stmt.where(scope)
        if query.status is not None:
            stmt = stmt.where(S.c.status == query.status.value)
        if query.region is not None:
            low, high = code_range(query.region)
            stmt = stmt.where(S.c.region_code.between(low, high))
        if query.topic is not None:
            stmt = stmt.where(S.c.topics.any_() == query.topic)
        stmt, key, _ = SORTING.apply(stmt, page)
        return (await self.session.execute(stmt)).mappings().all(), key

    async def ids_in_scope(self, access: NotifyAccess) -> list[uuid.UUID] | None:
        """The subscribers the caller may read; None: all of them."""
        scope = readable(access)
        if scope is None:
            return None
        return list((await self.session.execute(select(S.c.id).where(scope))).scalars())

    async def set_failing_since(self, subscriber_id: uuid.UUID, since: dt.datetime | None) -> None:
        await self.session.execute(update(S).where(S.c.id == subscriber_id).values(failing_since=since))

    async def disable(self, subscriber_id: uuid.UUID, reason: str, now: dt.datetime) -> bool:
        """Disable an active subscriber; False when it was not active (already disabled)."""
        stmt = (
            update(S)
            .where(S.c.id == subscriber_id, S.c.status == SubscriberStatus.active.value)
            .values(
                status=SubscriberStatus.disabled.value,
                disabled_reason=reason,
                disabled_at=now,
                version=S.c.version + 1,
                updated_at=now,
            )
            .returning(S.c.id)
        )
        return (await self.session.execute(stmt)).first() is not None
