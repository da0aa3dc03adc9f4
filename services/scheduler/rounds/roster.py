"""The roster a round opens with: the registry's listed entities in a plan's scope on a date.

Read through `RegistryClient.stream_roster`: one request for the whole roster, every scope dimension
(kinds, levels, regions with their descendants, domains, tiers, chains, parks) and the date passed to
the registry, which answers each entity once however many of the scope's regions cover it. The roster
is collected whole before anything is written: a stream that breaks off raises, and no round opens
with part of its roster.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from shared.clients import RegistryClient, paginate
from shared.clients.registry import EntityRead as Entity
from shared.regions import covers, parent_city, region_level
from shared.schemas.enums import RosterStatus
from shared.schemas.registry.responses.entities import ProjectRead
from shared.schemas.registry.responses.roster import RosterEntry
from shared.schemas.scheduler.actions.plans import PlanScope


def in_scope(entity: Entity, scope: PlanScope, plan_region: str) -> bool:
    """Whether a listed entity belongs to a round of a plan with `scope` and region `plan_region`: the
    rules `read_roster` asks the registry to apply, on one record read by id (each of the scope's
    regions, else the plan's, with its descendants)."""
    return (
        entity.roster_status is RosterStatus.listed
        and entity.kind in scope.kinds
        and any(covers(region, entity.region_code) for region in scope.regions or [plan_region])
        and (not scope.levels or entity.level in scope.levels)
        and (not scope.domains or entity.domain in scope.domains)
        and (not scope.tiers or entity.target_tier in scope.tiers)
        and (not scope.chains or bool(set(scope.chains) & set(entity.chain_ids)))
        and (not scope.parks or bool(set(scope.parks) & set(entity.park_ids)))
    )


async def read_roster(registry: RegistryClient, scope: PlanScope, plan_region: str, on: dt.date) -> list[RosterEntry]:
    """Every entity on the roster on `on` in `scope` (its regions, else the plan's), in id order, each once."""
    return [
        entry
        async for entry in registry.stream_roster(
            kinds=scope.kinds,
            levels=scope.levels,
            regions=scope.regions or [plan_region],
            domains=scope.domains,
            tiers=scope.tiers,
            chains=scope.chains,
            parks=scope.parks,
            as_of=on,
        )
    ]


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
    entity: RosterEntry | Entity,
    departments: dict[uuid.UUID, tuple[str, str]],
    regions: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The task columns that record the entity as the roster had it (a roster line when a round opens,
    the record read by id when it joins an open round later).

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
    project = entity.project if isinstance(entity, RosterEntry) else entity if isinstance(entity, ProjectRead) else None
    if project is not None:
        facts |= {
            "total_investment": str(project.total_investment),
            "stage": project.stage.value,
            "signed_on": project.signed_on.isoformat() if project.signed_on else None,
            "annual_plans": {str(p.year): str(p.planned_investment) for p in project.annual_plans},
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
