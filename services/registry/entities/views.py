"""Rows of the read query turned into API models: standing derived, contacts masked per caller."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from services.registry.access import Access
from services.registry.entities.kinds import KindSpec
from services.registry.reference.resources import person_read
from shared.schemas.enums import EntityKind, Level, MetricKind, Standing, Tier
from shared.schemas.registry.responses.entities import StandingRead
from shared.tiers import achieves, in_growth_band, tier_reached


def standing(kind: EntityKind, level: str, target_tier: str, row: Mapping[Any, Any]) -> StandingRead:
    """The actual tier reached, against the target (projects by total investment, others by metric)."""
    lvl, target = Level(level), Tier(target_tier)
    if kind is EntityKind.project:
        value: Decimal | None = row["total_investment"]
        metric = None
        year = None
    else:
        value = row["standing_value"]
        metric = MetricKind(row["standing_metric"]) if row["standing_metric"] else None
        year = row["standing_year"]
    if value is None:
        return StandingRead(metric=metric, year=year)
    return StandingRead(
        metric=metric,
        year=year,
        value=value,
        actual_tier=tier_reached(value, kind),
        status=Standing.achieved if achieves(value, target) else Standing.below,
        in_growth_band=in_growth_band(value, kind, lvl),
    )


def render(spec: KindSpec, row: Mapping[Any, Any], access: Access) -> BaseModel:
    data: dict[str, Any] = dict(row)
    data["persons"] = [person_read(p, access) for p in (row["persons"] or [])]
    data["standing"] = standing(spec.kind, row["level"], row["target_tier"], row)
    return spec.read.model_validate(data)


# Derived from other records and counted within the reader's scope: not part of the record itself.
BACKLINK_FIELDS = frozenset(
    f"{name}_{part}" for name in ("project", "enterprise", "child_industry") for part in ("count", "ids")
)


def feed_payload(model: BaseModel) -> dict[str, Any]:
    """What the change feed (and the audit log) carries: the record without responsible persons' contact
    details, nor the back-links other records make (they change with those records, counted per reader)."""
    payload: dict[str, Any] = model.model_dump(mode="json", exclude={"persons", *BACKLINK_FIELDS})
    payload["person_ids"] = [str(p.id) for p in getattr(model, "persons", [])]
    return payload
