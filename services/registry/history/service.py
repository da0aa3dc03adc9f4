"""One entity's story in one call: its roster adjustments, metric revisions and field changes in time order.

Readable by whoever may read the entity (its region now, as `GET /{kind}/{id}`): the history of a record
outside the caller's scope does not exist for them, whoever wrote it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.access import Access
from services.registry.entities.kinds import KindSpec
from services.registry.history.repository import HistoryRepository
from services.registry.history.schemas import FieldChange, HistoryEntry, HistoryFilters
from services.registry.metrics.service import metric_read
from services.registry.roster.schemas import RosterAdjustmentRead
from shared.errors import NotFound
from shared.pagination import PageRequest, cut_page
from shared.schemas.enums import HistoryEntryType

# What a change of the record does not consist of: its identity, bookkeeping, and what is derived from
# other records (standing follows metrics, which have entries of their own).
NOT_CHANGES = frozenset({"id", "kind", "version", "created_at", "updated_at", "standing"})


def field_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[FieldChange]:
    """The fields an audit event's before and after differ in, by field name (the log keeps JSONB, which
    does not keep a record's field order).

    A creation (no before) lists the fields it filled in; a value that is empty (null, "", [], {})
    was not filled in."""
    old, new = before or {}, after or {}
    changes = []
    for field in sorted({*old, *new}):
        if field in NOT_CHANGES:
            continue
        was, now = old.get(field), new.get(field)
        if before is None and now in (None, "", [], {}):
            continue
        if was != now:
            changes.append(FieldChange(field=field, before=was, after=now))
    return changes


class HistoryService:
    def __init__(self, session: AsyncSession, spec: KindSpec, access: Access) -> None:
        self.spec = spec
        self.access = access
        self.repo = HistoryRepository(session)

    async def history(self, entity_id: uuid.UUID, filters: HistoryFilters) -> tuple[list[HistoryEntry], str | None]:
        """One page of the entity's history; 404 when it is absent, of another kind or out of scope."""
        region = await self.repo.entity_region(self.spec.kind, entity_id)
        if region is None or not self.access.can_read(region):
            raise NotFound(f"{self.spec.label}不存在", code=f"{self.spec.kind.value}_not_found")
        page = PageRequest(limit=filters.limit, cursor=filters.cursor, sort=filters.sort)
        rows, key = await self.repo.page(entity_id, self.spec.kind, filters.type, page)
        items, cursor = cut_page(rows, page, key, "at")
        by_type: dict[str, list[str]] = {t.value: [] for t in HistoryEntryType}
        for row in items:
            by_type[row["type"]].append(row["id"])
        adjustments = await self.repo.adjustments(by_type[HistoryEntryType.roster_adjustment.value])
        metrics = await self.repo.metrics(by_type[HistoryEntryType.metric_revision.value])
        events = await self.repo.audit_events(by_type[HistoryEntryType.field_change.value])
        entries = []
        for row in items:
            entry_type = HistoryEntryType(row["type"])
            number = int(row["id"].split(":", 1)[1])
            if entry_type is HistoryEntryType.roster_adjustment:
                entries.append(self._adjustment(row, adjustments[number]))
            elif entry_type is HistoryEntryType.metric_revision:
                metric = metric_read(metrics[number])
                entries.append(
                    HistoryEntry(
                        id=row["id"],
                        type=entry_type,
                        at=row["at"],
                        actor_sub=metric.recorded_by,
                        actor_name=None,
                        metric=metric,
                    )
                )
            else:
                event = events[number]
                entries.append(
                    HistoryEntry(
                        id=row["id"],
                        type=entry_type,
                        at=row["at"],
                        actor_sub=event["actor_sub"],
                        actor_name=event["actor_name"],
                        action=event["action"],
                        changes=field_changes(event["before"], event["after"]),
                    )
                )
        return entries, cursor

    def _adjustment(self, row: RowMapping, record: RowMapping) -> HistoryEntry:
        adjustment = RosterAdjustmentRead.model_validate(dict(record) | {"entity_kind": self.spec.kind})
        return HistoryEntry(
            id=row["id"],
            type=HistoryEntryType.roster_adjustment,
            at=row["at"],
            actor_sub=adjustment.actor_sub,
            actor_name=adjustment.actor_name,
            roster_adjustment=adjustment,
        )
