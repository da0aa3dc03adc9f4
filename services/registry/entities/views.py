"""Rows of the read query in their API shape (a model, or a list's page written as JSON straight from
the rows): standing derived, contacts masked per caller."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from services.registry.access import Access
from services.registry.approvals import rules as approval_rules
from services.registry.entities.kinds import KindSpec
from services.registry.reference.resources import person_read, person_values
from shared.reads import rows_json
from shared.schemas.enums import ApprovalState, EntityKind, Level, MetricKind, Standing, Tier
from shared.schemas.registry.responses.entities import StandingRead
from shared.tiers import achieves, in_growth_band, tier_reached


def standing_values(kind: EntityKind, level: str, target_tier: str, row: Mapping[Any, Any]) -> dict[str, Any]:
    """The actual tier reached, against the target (projects by total investment, others by metric), as
    `StandingRead`'s fields."""
    if kind is EntityKind.project:
        value: Decimal | None = row["total_investment"]
        metric = None
        year = None
    else:
        value = row["standing_value"]
        metric = MetricKind(row["standing_metric"]) if row["standing_metric"] else None
        year = row["standing_year"]
    if value is None:
        return {
            "metric": metric,
            "year": year,
            "value": None,
            "actual_tier": None,
            "status": Standing.no_data,
            "in_growth_band": False,
        }
    return {
        "metric": metric,
        "year": year,
        "value": value,
        "actual_tier": tier_reached(value, kind),
        "status": Standing.achieved if achieves(value, Tier(target_tier)) else Standing.below,
        "in_growth_band": in_growth_band(value, kind, Level(level)),
    }


def standing(kind: EntityKind, level: str, target_tier: str, row: Mapping[Any, Any]) -> StandingRead:
    return StandingRead(**standing_values(kind, level, target_tier, row))


def render(spec: KindSpec, row: Mapping[Any, Any], access: Access, today: dt.date | None = None) -> BaseModel:
    """The row as the API shows it to the caller of `access`.

    `today` (the programme's date) flags a project's overdue approvals; without it none is flagged,
    which suits only what `feed_payload` makes of the record (it leaves the flag out)."""
    data: dict[str, Any] = dict(row)
    data["persons"] = [person_read(p, access) for p in (row["persons"] or [])]
    data["standing"] = standing(spec.kind, row["level"], row["target_tier"], row)
    if spec.kind is EntityKind.project and today is not None:
        data["approvals"] = [_flagged(a, today) for a in row["approvals"] or []]
    return spec.read.model_validate(data)


def _flagged(approval: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    committed = approval.get("committed_completion_on")
    if isinstance(committed, str):  # a date inside the row's JSON
        committed = dt.date.fromisoformat(committed)
    overdue = approval_rules.is_overdue(ApprovalState(approval["state"]), committed, today)
    return {**approval, "overdue": overdue}


@functools.lru_cache(maxsize=8)
def _fields(spec: KindSpec) -> tuple[str, ...]:
    """The kind's response fields in order: each a column of the read statement, but `standing`."""
    return tuple(spec.read.model_fields)


def _item(spec: KindSpec, row: Mapping[Any, Any], access: Access, today: dt.date) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name in _fields(spec):
        if name == "persons":
            item[name] = [person_values(p, access) for p in row["persons"] or []]
        elif name == "standing":
            item[name] = standing_values(spec.kind, row["level"], row["target_tier"], row)
        elif name == "approvals":
            item[name] = [_flagged(a, today) for a in row["approvals"] or []]
        else:
            item[name] = row[name]
    return item


def item_json(spec: KindSpec, row: Mapping[Any, Any], access: Access, today: dt.date) -> bytes:
    """One record as `spec.read` writes it, straight from its row, as `page_json` writes each of a page's."""
    return rows_json(_item(spec, row, access, today))


def page_json(
    spec: KindSpec, rows: Sequence[Mapping[Any, Any]], next_cursor: str | None, access: Access, today: dt.date
) -> bytes:
    """A list's page as `Page[spec.read]` writes it, straight from the rows: field for field what `render`
    and pydantic make of each (a test holds the two to the same bytes), without 50 models validated
    and dumped. The rows come from the read statement, whose columns the models' fields name."""
    items = [_item(spec, row, access, today) for row in rows]
    return rows_json({"items": items, "next_cursor": next_cursor})


# Derived from the clock rather than recorded (the approvals' `overdue`), or from other records and
# counted within the reader's scope (the back-links): neither is part of the record itself, so no
# event carries them.
BACKLINK_FIELDS = frozenset(
    f"{name}_{part}" for name in ("project", "enterprise", "child_industry") for part in ("count", "ids")
)
_NOT_IN_FEED: dict[str, Any] = {"persons": True, "approvals": {"__all__": {"overdue"}}} | {
    name: True for name in BACKLINK_FIELDS
}


def feed_payload(model: BaseModel) -> dict[str, Any]:
    """What the change feed and the audit log carry: the record without responsible persons' contact
    details, the approvals' `overdue` flag, nor the back-links other records make."""
    exclude = {k: v for k, v in _NOT_IN_FEED.items() if k in type(model).model_fields}
    payload: dict[str, Any] = model.model_dump(mode="json", exclude=exclude)
    payload["person_ids"] = [str(p.id) for p in getattr(model, "persons", [])]
    return payload
