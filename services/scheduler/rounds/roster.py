"""The roster a round opens with: the registry's listed entities in a plan's scope on a date.

Read only through `RegistryClient`, paged. A scope dimension holding exactly one value is passed to
the registry as a filter; the others (several levels, tiers, chains, ...) are applied to what comes
back. Each region of the scope is read with its descendants (the registry's `region=`); an entity
found under two of them is kept once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from shared.clients import RegistryClient, paginate
from shared.clients.registry import EntityRead as Entity
from shared.regions import covers, parent_city, region_level
from shared.schemas.common import Page
from shared.schemas.enums import EntityKind, RosterStatus
from shared.schemas.registry.responses.entities import ProjectRead
from shared.schemas.scheduler.actions.plans import PlanScope


def _single(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else None


def _matches(entity: Entity, scope: PlanScope) -> bool:
    return (
        (not scope.levels or entity.level in scope.levels)
        and (not scope.domains or entity.domain in scope.domains)
        and (not scope.tiers or entity.target_tier in scope.tiers)
        and (not scope.chains or bool(set(scope.chains) & set(entity.chain_ids)))
        and (not scope.parks or bool(set(scope.parks) & set(entity.park_ids)))
    )


def in_scope(entity: Entity, scope: PlanScope, plan_region: str) -> bool:
    """Whether a listed entity belongs to a round of a plan with `scope` and region `plan_region`: the
    rules `read_roster` applies, on one record (each of the scope's regions, else the plan's, with its
    descendants)."""
    return (
        entity.roster_status is RosterStatus.listed
        and entity.kind in scope.kinds
        and any(covers(region, entity.region_code) for region in scope.regions or [plan_region])
        and _matches(entity, scope)
    )


def _pages(
    registry: RegistryClient, kind: EntityKind, region: str, scope: PlanScope, on: dt.date
) -> Callable[[str | None], Awaitable[Page[Entity]]]:
    async def fetch(cursor: str | None) -> Page[Entity]:
        return await registry.list_entities(
            kind,
            limit=200,
            cursor=cursor,
            region=region,
            roster_status="listed",
            as_of=on,
            level=_single(scope.levels),
            domain=_single(scope.domains),
            tier=_single(scope.tiers),
            chain=_single(scope.chains),
            park=_single(scope.parks),
            sort="created_at",
        )

    return fetch


async def read_roster(registry: RegistryClient, scope: PlanScope, plan_region: str, on: dt.date) -> list[Entity]:
    """Every listed entity in `scope` on `on`, in the order the registry lists them, each once."""
    found: dict[uuid.UUID, Entity] = {}
    for kind in scope.kinds:
        for region in scope.regions or [plan_region]:
            async for entity in paginate(_pages(registry, kind, region, scope, on)):
                if entity.id not in found and _matches(entity, scope):
                    found[entity.id] = entity
    return list(found.values())


async def department_codes(registry: RegistryClient) -> dict[uuid.UUID, tuple[str, str]]:
    """Each department's id → (code, name): a task names its lead department by code, as tokens do."""
    out: dict[uuid.UUID, tuple[str, str]] = {}
    async for department in paginate(lambda cursor: registry.list_departments(limit=200, cursor=cursor)):
        out[department.id] = (department.code, department.name)
    return out


async def region_names(registry: RegistryClient) -> dict[str, str]:
    """Every region's code → name: summaries and circulars name units without calling the registry again."""
    return {region.code: region.name for region in (await registry.list_regions()).items}


def snapshot(
    entity: Entity, departments: dict[uuid.UUID, tuple[str, str]], regions: dict[str, str] | None = None
) -> dict[str, Any]:
    """The task columns that record the entity as the roster had it.

    `facts` holds what the summaries and supervision rules read: the names of the entity's region
    and city; for a project its total investment, stage, signing date and annual investment plans
    (`annual_plans`: year → 亿元, as decimal strings)."""
    department = departments.get(entity.lead_department_id) if entity.lead_department_id else None
    regions = regions or {}
    city = parent_city(entity.region_code)
    facts: dict[str, Any] = {
        "region_name": regions.get(entity.region_code),
        "city_name": regions.get(city) if region_level(entity.region_code) != "province" else None,
    }
    if isinstance(entity, ProjectRead):
        facts |= {
            "total_investment": str(entity.total_investment),
            "stage": entity.stage.value,
            "signed_on": entity.signed_on.isoformat() if entity.signed_on else None,
            "annual_plans": {str(p.year): str(p.planned_investment) for p in entity.annual_plans},
        }
    return {
        "entity_id": entity.id,
        "entity_kind": entity.kind.value,
        "entity_name": entity.name,
        "region_code": entity.region_code,
        "level": entity.level.value,
        "tier": entity.target_tier.value,
        "domain": entity.domain.value,
        "lead_department_id": entity.lead_department_id,
        "lead_department_code": department[0] if department else None,
        "lead_department_name": department[1] if department else None,
        "responsible_person": entity.persons[0].name[:100] if entity.persons else None,
        "facts": facts,
    }
