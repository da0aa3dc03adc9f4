"""Contract tests of the RegistryClient methods the scheduler added (entity lists by kind, a project's
stage and approvals), run against the real registry app, and of the roster a round is opened with
(`stream_roster`)."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from services.scheduler.rounds.roster import read_roster
from shared.clients import RegistryClient
from shared.errors import PreconditionFailed
from shared.schemas.enums import ApprovalKind, ApprovalState, EntityKind, Level, ProjectStage, Tier
from shared.schemas.registry.actions.projects import ApprovalWrite, ProjectProgressUpdate
from shared.schemas.registry.responses.entities import IndustryRead, ProjectRead
from shared.schemas.scheduler.actions.plans import PlanScope
from tests import factories
from tests.conftest import ADMIN, FAST_RETRY, token


async def _create(client: httpx.AsyncClient, path: str, body: dict[str, object]) -> uuid.UUID:
    response = await client.post(f"/api/v1/{path}", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def test_contract_list_industries_filters_and_pages(
    client: httpx.AsyncClient, registry_client: RegistryClient
) -> None:
    first = await _create(client, "industries", factories.industry(name="先进制造一"))
    second = await _create(client, "industries", factories.industry(name="先进制造二"))
    page = await registry_client.list_industries(level=Level.province, limit=1, sort="created_at")
    rest = await registry_client.list_industries(
        level=Level.province, limit=1, sort="created_at", cursor=page.next_cursor
    )
    assert all(isinstance(i, IndustryRead) for i in page.items + rest.items)
    assert sorted(i.id for i in page.items + rest.items) == sorted([first, second])
    assert rest.next_cursor is None


async def test_contract_list_projects_by_region(client: httpx.AsyncClient, registry_client: RegistryClient) -> None:
    project = await _create(client, "projects", factories.project(1))
    here = await registry_client.list_projects(region="430100")
    elsewhere = await registry_client.list_projects(region="430200")
    assert [(p.id, type(p)) for p in here.items] == [(project, ProjectRead)]
    assert elsewhere.items == []


async def test_contract_list_entities_dispatches_on_kind(
    client: httpx.AsyncClient, registry_client: RegistryClient
) -> None:
    enterprise = await _create(client, "enterprises", factories.enterprise(1))
    project = await _create(client, "projects", factories.project(1))
    enterprises = await registry_client.list_entities(EntityKind.enterprise)
    projects = await registry_client.list_entities(EntityKind.project, roster_status="listed")
    assert [(e.id, e.kind) for e in enterprises.items] == [(enterprise, EntityKind.enterprise)]
    assert [(p.id, p.kind) for p in projects.items] == [(project, EntityKind.project)]


async def test_roster_is_the_listed_entities_in_scope_on_the_date(
    client: httpx.AsyncClient, registry_client: RegistryClient
) -> None:
    county = {"level": "county", "region_code": "430104", "target_tier": "billion", "listed_on": "2024-01-10"}
    ids = [
        await _create(client, "enterprises", factories.enterprise(n, **county, uscc=factories.make_uscc(n, "430104")))
        for n in range(1, 4)
    ]
    await _create(client, "enterprises", factories.enterprise(9, listed_on="2024-01-10"))  # city level
    late = await _create(
        client,
        "enterprises",
        factories.enterprise(8, **county | {"listed_on": "2025-06-01"}, uscc=factories.make_uscc(8, "430104")),
    )
    scope = PlanScope(kinds=[EntityKind.enterprise], levels=[Level.county], tiers=[Tier.billion, Tier.ten_billion])
    on_date = await read_roster(registry_client, scope, "430100", dt.date(2025, 1, 31))
    today = await read_roster(registry_client, scope, "430100", dt.date(2025, 12, 31))
    # Rows made in one test transaction share created_at, so the order among them is the id's: compare sets.
    assert sorted(e.id for e in on_date) == sorted(ids)
    assert sorted(e.id for e in today) == sorted([*ids, late])


async def test_roster_over_overlapping_regions_and_several_values_lists_each_entity_once(
    client: httpx.AsyncClient, registry_client: RegistryClient
) -> None:
    county = {"level": "county", "region_code": "430104", "target_tier": "billion", "listed_on": "2024-01-10"}
    in_county = await _create(
        client, "enterprises", factories.enterprise(1, **county, uscc=factories.make_uscc(1, "430104"))
    )
    in_city = await _create(client, "enterprises", factories.enterprise(2, listed_on="2024-01-10"))
    project = await _create(client, "projects", factories.project(1, listed_on="2024-01-10"))
    await _create(client, "enterprises", factories.enterprise(3, region_code="430200", listed_on="2024-01-10"))
    scope = PlanScope(
        kinds=[EntityKind.enterprise, EntityKind.project],
        levels=[Level.city, Level.county],
        regions=["430100", "430104"],
    )
    entries = await read_roster(registry_client, scope, "430000", dt.date(2025, 1, 31))
    assert [e.id for e in entries] == sorted([in_county, in_city, project])
    assert [e.project is not None for e in entries] == [e.id == project for e in entries]


async def test_contract_update_project_stage_and_approvals_as_a_service(
    client: httpx.AsyncClient, registry_app: object
) -> None:
    project = await _create(client, "projects", factories.project(1))
    transport = httpx.ASGITransport(app=registry_app)  # type: ignore[arg-type]
    async with RegistryClient("http://registry", token=token("service"), transport=transport, retry=FAST_RETRY) as svc:
        body = ProjectProgressUpdate(
            stage=ProjectStage.under_construction,
            approvals=[ApprovalWrite(kind=ApprovalKind.eia, state=ApprovalState.approved)],
        )
        updated = await svc.update_project(project, body, 1)
        with pytest.raises(PreconditionFailed) as stale:
            await svc.update_project(project, ProjectProgressUpdate(stage=ProjectStage.completed), 1)
        renamed = await client.patch(
            f"/api/v1/projects/{project}",
            json={"name": "改名"},
            headers={"Authorization": f"Bearer {token('service')}", "If-Match": '"2"'},
        )
    assert isinstance(updated, ProjectRead)
    assert (updated.stage, updated.version) == (ProjectStage.under_construction, 2)
    assert [(a.kind, a.state) for a in updated.approvals] == [(ApprovalKind.eia, ApprovalState.approved)]
    assert (stale.value.code, stale.value.extra["version"]) == ("precondition_failed", 2)
    assert (renamed.status_code, renamed.json()["code"]) == (403, "role_read_only")
    assert (await stage_of(client, project)) == "under_construction"


async def stage_of(client: httpx.AsyncClient, project: uuid.UUID) -> str:
    stage: str = (await client.get(f"/api/v1/projects/{project}", headers=ADMIN)).json()["stage"]
    return stage
