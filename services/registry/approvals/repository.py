"""Writes of one project approval. Returns nothing; never commits, never raises HTTP errors."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import ProjectApproval, table

A = table(ProjectApproval)
FIELDS = tuple(c.key for c in A.c if c.key not in ("project_id", "kind"))


class ApprovalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put(self, project_id: uuid.UUID, kind: str, values: Mapping[str, Any]) -> None:
        """Write the approval of `kind` as `values` (every field of it), adding it if the project has none."""
        row = {name: values.get(name) for name in FIELDS}
        stmt = insert(A).values(project_id=project_id, kind=kind, **row)
        stmt = stmt.on_conflict_do_update(
            index_elements=[A.c.project_id, A.c.kind], set_={name: stmt.excluded[name] for name in FIELDS}
        )
        await self.session.execute(stmt)
