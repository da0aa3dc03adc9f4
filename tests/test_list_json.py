"""A list's page and a single record are written straight from their rows (`views.page_json`,
`views.item_json`); they must be, byte for byte, what the response models make of the same rows
(`render`, then `Page[…]` or the record dumped by pydantic), for every kind, for callers who see contacts
in full and masked, across pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from services.registry.entities.kinds import KINDS
from services.registry.entities.service import read_one, read_page
from services.registry.entities.views import render
from shared.auth import Principal, Role
from shared.schemas.common import Page
from shared.schemas.enums import EntityKind
from tests import factories
from tests.conftest import ADMIN
from tests.test_roster import create

CALLERS = [
    Principal("admin", Role.admin, "430000"),
    Principal("changsha", Role.city, "430100"),  # sees its own person in full, the Zhuzhou one masked
    Principal("furong", Role.county, "430102"),
    Principal("zhuzhou", Role.city, "430200"),
]


@pytest.fixture
async def records(client: httpx.AsyncClient) -> None:
    """Every shape a row takes: persons in two cities, links, a size with a standing, back-links, a
    project with plans, approvals (one overdue), the green channel, and bare records beside them."""
    changsha = await create(
        client, "persons", {"name": "列表甲", "region_code": "430100", "phone": "13800001111", "email": "a@hn.gov.cn"}
    )
    zhuzhou = await create(client, "persons", {"name": "列表乙", "region_code": "430200", "phone": "13900002222"})
    chains = (await client.get("/api/v1/chains?limit=2", headers=ADMIN)).json()["items"]
    province = await create(client, "industries", factories.industry(name="列表省级产业", person_ids=[changsha["id"]]))
    await create(
        client,
        "industries",
        factories.industry(
            name="列表市级产业",
            level="city",
            region_code="430100",
            target_tier="hundred_billion",
            parent_industry_id=province["id"],
        ),
    )
    owner = await create(
        client,
        "enterprises",
        factories.enterprise(
            8801,
            person_ids=[changsha["id"], zhuzhou["id"]],
            chain_ids=[c["id"] for c in chains],
            industry_ids=[province["id"]],
        ),
    )
    metric = {"entity_id": owner["id"], "metric": "revenue", "year": 2025, "value": "123.4500"}
    assert (await client.post("/api/v1/metrics", json=metric, headers=ADMIN)).status_code == 201
    await create(
        client, "enterprises", factories.enterprise(8802, level="county", region_code="430102", target_tier="billion")
    )
    await create(
        client,
        "projects",
        factories.project(
            8803,
            owner_enterprise_id=owner["id"],
            person_ids=[zhuzhou["id"]],
            annual_plans=[{"year": 2025, "planned_investment": "3.5"}, {"year": 2026, "planned_investment": "9"}],
            approvals=[
                {"kind": "land", "state": "in_progress", "committed_completion_on": "2020-01-31"},
                {
                    "kind": "eia",
                    "state": "approved",
                    "approved_on": "2024-03-01",
                    "document_no": "湘环评〔2024〕1号",
                },
            ],
            green_channel=True,
            green_channel_note="列表测试",
            signing_event="列表签约活动",
        ),
    )
    await create(client, "projects", factories.project(8804, region_code="430102", level="county"))


@pytest.mark.parametrize("kind", list(EntityKind))
@pytest.mark.parametrize("caller", CALLERS, ids=lambda p: p.sub)
async def test_a_page_from_rows_is_what_the_models_write(
    registry_app: Any, records: None, kind: EntityKind, caller: Principal
) -> None:
    spec = KINDS[kind]
    reader = registry_app.state.platform.state.reads.reader
    now = dt.datetime.now(dt.UTC)
    filters = spec.filters.model_validate({"limit": 1})
    pages = 0
    while True:
        page = await read_page(reader, spec, caller, filters, now, registry_app.state.platform.zone)
        models = [render(spec, row, page.access, page.today) for row in page.rows]  # the long way round
        expected = Page[spec.read](items=models, next_cursor=page.next_cursor)  # type: ignore[name-defined]
        assert page.json() == expected.model_dump_json().encode()
        pages += 1
        if page.next_cursor is None:
            break
        filters = spec.filters.model_validate({"limit": 1, "cursor": page.next_cursor})
    if caller.role is Role.admin:
        assert pages >= 2  # every kind has records on more than one page


@pytest.mark.parametrize("kind", list(EntityKind))
@pytest.mark.parametrize("caller", CALLERS, ids=lambda p: p.sub)
async def test_a_record_from_its_row_is_what_its_model_writes(
    registry_app: Any, records: None, kind: EntityKind, caller: Principal
) -> None:
    spec = KINDS[kind]
    reader = registry_app.state.platform.state.reads.reader
    now = dt.datetime.now(dt.UTC)
    page = await read_page(
        reader, spec, caller, spec.filters.model_validate({"limit": 100}), now, registry_app.state.platform.zone
    )
    assert page.rows or caller.role is not Role.admin
    for row in page.rows:
        record = await read_one(reader, spec, caller, row["id"], page.today)
        model = render(spec, record.row, record.access, record.today)  # the long way round
        assert record.json() == model.model_dump_json().encode()
        assert record.version == model.version  # type: ignore[attr-defined]
