"""Queries over circulars, their document numbers and their PDFs. Returns rows or None; never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, and_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.access import NotifyAccess
from services.notify.models import Circular, CircularDocument, DocumentCounter, table
from services.notify.scope import any_between, reaches
from shared.pagination import PageRequest, Sorting
from shared.regions import code_range
from shared.repository import VersionedRepository
from shared.schemas.notify.enums import CircularKind, CircularStatus, Issuer

C = table(Circular)
N = table(DocumentCounter)
P = table(CircularDocument)
SORTING = Sorting(
    columns={"created_at": C.c.created_at, "updated_at": C.c.updated_at},
    tiebreak=C.c.id,
    default="-created_at",
)


@dataclass(frozen=True, slots=True)
class CircularQuery:
    status: CircularStatus | None = None
    kind: CircularKind | None = None
    issuer: Issuer | None = None
    region: str | None = None
    source_type: str | None = None
    source_id: str | None = None
    published_since: dt.datetime | None = None


def visible(access: NotifyAccess) -> Any:
    """Drafts of the issuers the caller may issue as; other circulars addressed to its scope."""
    if access.reads_everything:
        return None
    drafts = and_(C.c.status == CircularStatus.draft.value, C.c.issuer.in_(access.own_issuers()))
    issued = and_(
        C.c.status != CircularStatus.draft.value, reaches(access, C.c.audience_regions, C.c.audience_departments)
    )
    return or_(drafts, issued)


class CircularRepository(VersionedRepository):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, C)

    async def lock(self, circular_id: uuid.UUID) -> RowMapping | None:
        stmt = select(C).where(C.c.id == circular_id).with_for_update()
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def by_source(self, source_type: str, source_id: str) -> RowMapping | None:
        stmt = select(C).where(C.c.source_type == source_type, C.c.source_id == source_id)
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def find(
        self, query: CircularQuery, page: PageRequest, access: NotifyAccess
    ) -> tuple[Sequence[RowMapping], str]:
        stmt = select(C)
        if (scope := visible(access)) is not None:
            stmt = stmt.where(scope)
        for column, value in (
            (C.c.status, query.status),
            (C.c.kind, query.kind),
            (C.c.issuer, query.issuer),
            (C.c.source_type, query.source_type),
            (C.c.source_id, query.source_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if query.region is not None:
            stmt = stmt.where(any_between(C.c.audience_regions, *code_range(query.region)))
        if query.published_since is not None:
            stmt = stmt.where(C.c.published_at >= query.published_since)
        stmt, key, _ = SORTING.apply(stmt, page)
        return (await self.session.execute(stmt)).mappings().all(), key

    async def next_sequence(self, issuer: str, kind: str, year: int) -> int:
        """The next 文号 sequence of (issuer, kind, year): one statement that creates the counter or
        increments it, holding its row lock until this transaction ends, so concurrent publishers
        queue on it and a rolled-back publish gives its number back."""
        upsert = insert(N).values(issuer=issuer, kind=kind, year=year, last_sequence=1)
        stmt = upsert.on_conflict_do_update(
            index_elements=[N.c.issuer, N.c.kind, N.c.year], set_={"last_sequence": N.c.last_sequence + 1}
        ).returning(N.c.last_sequence)
        return int((await self.session.execute(stmt)).scalar_one())

    async def set_state(self, circular_id: uuid.UUID, values: dict[str, Any]) -> RowMapping:
        """Apply a state change to a row this transaction has locked; bumps version and updated_at."""
        row = await self.update_versioned(circular_id, values.pop("expected_version"), values)
        if row is None:  # unreachable while the row lock is held
            raise RuntimeError("circular changed under its row lock")
        return row

    async def store_document(self, circular_id: uuid.UUID, pdf: bytes, now: dt.datetime) -> None:
        await self.session.execute(insert(P).values(circular_id=circular_id, pdf=pdf, rendered_at=now))

    async def document(self, circular_id: uuid.UUID) -> bytes | None:
        pdf: bytes | None = await self.session.scalar(select(P.c.pdf).where(P.c.circular_id == circular_id))
        return pdf
