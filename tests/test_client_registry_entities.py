"""Contract tests of RegistryClient for the registry endpoints that land with the entities work:
industries, enterprises, projects, metrics, progress and the change feed.

Each runs the real client against the real registry app.
Records the client has no method to create are made through the plain HTTP `client` fixture.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.registry.entities.schemas import EnterpriseCreate, IndustryCreate, ProjectCreate
from shared.clients import RegistryClient
from shared.errors import NotFound
from shared.schemas.enums import Domain, EntityKind, Level, MetricKind, ParkGrade, Tier
from shared.schemas.registry.actions.metrics import MetricCreate
from shared.schemas.registry.actions.reference import ParkCreate
from shared.schemas.registry.responses.entities import EnterpriseRead
from tests.conftest import ADMIN

USCC = "91430100MA4L7K3PXH"


async def create(client: httpx.AsyncClient, path: str, body: Any) -> uuid.UUID:
    response = await client.post(f"/api/v1/{path}", json=body.model_dump(mode="json"), headers=ADMIN)
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


def enterprise_body(name: str = "湖南契约测试科技有限公司") -> EnterpriseCreate:
    return EnterpriseCreate(
        name=name,
        level=Level.city,
        region_code="430100",
        domain=Domain.industry_it,
        target_tier=Tier.ten_billion,
        uscc=USCC,
    )


async def test_contract_get_enterprise(client: httpx.AsyncClient, registry_client: RegistryClient) -> None:
    enterprise_id = await create(client, "enterprises", enterprise_body())
    enterprise = await registry_client.get_enterprise(enterprise_id)
    assert isinstance(enterprise, EnterpriseRead)
    assert (enterprise.id, enterprise.kind, enterprise.uscc, enterprise.target_tier) == (
        enterprise_id,
        EntityKind.enterprise,
        USCC,
        Tier.ten_billion,
    )


async def test_contract_missing_enterprise_is_not_found(registry_client: RegistryClient) -> None:
    with pytest.raises(NotFound) as caught:
        await registry_client.get_enterprise(uuid.UUID(int=0))
    assert caught.value.status == 404


async def test_contract_list_enterprises_with_filters(
    client: httpx.AsyncClient, registry_client: RegistryClient
) -> None:
    enterprise_id = await create(client, "enterprises", enterprise_body())
    matching = await registry_client.list_enterprises(level=Level.city, region="430100", domain=Domain.industry_it)
    assert [e.id for e in matching.items] == [enterprise_id]
    other_level = await registry_client.list_enterprises(level=Level.province)
    assert other_level.items == []


async def test_contract_get_industry(client: httpx.AsyncClient, registry_client: RegistryClient) -> None:
    body = IndustryCreate(
        name="契约测试产业",
        level=Level.city,
        region_code="430100",
        domain=Domain.industry_it,
        target_tier=Tier.hundred_billion,
    )
    industry_id = await create(client, "industries", body)
    industry = await registry_client.get_industry(industry_id)
    assert (industry.id, industry.kind, industry.name) == (industry_id, EntityKind.industry, "契约测试产业")


async def test_contract_get_project(client: httpx.AsyncClient, registry_client: RegistryClient) -> None:
    body = ProjectCreate(
        name="契约测试项目",
        level=Level.city,
        region_code="430100",
        domain=Domain.industry_it,
        target_tier=Tier.billion,
        total_investment=Decimal("12.5"),
    )
    project_id = await create(client, "projects", body)
    project = await registry_client.get_project(project_id)
    assert (project.id, project.kind, project.total_investment) == (project_id, EntityKind.project, Decimal("12.5"))


async def test_contract_record_metric_replays_with_the_same_key(
    client: httpx.AsyncClient, registry_client: RegistryClient
) -> None:
    enterprise_id = await create(client, "enterprises", enterprise_body())
    body = MetricCreate(entity_id=enterprise_id, metric=MetricKind.revenue, year=2024, value=Decimal("150.5"))
    first = await registry_client.record_metric(body, idempotency_key="contract-metric-1")
    assert (first.entity_id, first.metric, first.year, first.value, first.revision) == (
        enterprise_id,
        MetricKind.revenue,
        2024,
        Decimal("150.5"),
        1,
    )
    # Another value in between: without the replay, the retry would be a third revision.
    changed = await client.post("/api/v1/metrics", json=body.model_dump(mode="json") | {"value": "160"}, headers=ADMIN)
    assert (changed.status_code, changed.json()["revision"]) == (201, 2)
    again = await registry_client.record_metric(body, idempotency_key="contract-metric-1")
    assert again == first


async def test_contract_get_progress_counts_the_listed_enterprise(
    client: httpx.AsyncClient, registry_client: RegistryClient
) -> None:
    await create(client, "enterprises", enterprise_body())
    progress = await registry_client.get_progress()
    counts = [
        c for c in progress.tiers if (c.kind, c.level, c.tier) == (EntityKind.enterprise, Level.city, Tier.ten_billion)
    ]
    assert [(c.listed, c.achieved) for c in counts] == [(1, 0)]


async def test_contract_read_events_follows_the_change_feed(registry_client: RegistryClient) -> None:
    tail: str | int = 0
    while (page := await registry_client.read_events(after=tail, limit=1000)).items:
        tail = page.next_cursor
    park = await registry_client.create_park(
        ParkCreate(name="事件流契约园区", grade=ParkGrade.provincial, region_code="430100")
    )
    page = await registry_client.read_events(after=tail)
    assert [(e.resource_type, e.resource_id, e.action) for e in page.items] == [("park", str(park.id), "created")]
    assert page.next_cursor == str(page.items[0].id)
    empty = await registry_client.read_events(after=page.next_cursor)
    assert (empty.items, empty.next_cursor) == ([], page.next_cursor)
