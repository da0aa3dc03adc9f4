"""GET /{kind}/{id}/history: roster adjustments, metric revisions and field changes in time order, scoped
like the record, paged."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.registry.history.schemas import HISTORY_EXAMPLE, FieldChange, HistoryEntry
from services.registry.history.service import field_changes
from shared.schemas.common import Page
from tests import factories
from tests.conftest import ADMIN, auth

OPERATOR = auth("county", "430104", sub="yuelu-op", name="岳麓区李四")


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/{path}", json=body, headers=OPERATOR)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def history(
    client: httpx.AsyncClient, path: str, entity_id: str, headers: dict[str, str] = ADMIN, **params: Any
) -> dict[str, Any]:
    response = await client.get(f"/api/v1/{path}/{entity_id}/history", params=params, headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def all_entries(client: httpx.AsyncClient, path: str, entity_id: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await history(client, path, entity_id, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_field_changes_list_what_differs_by_field_name() -> None:
    before = {
        "id": "x",
        "name": "甲",
        "labels": ["a"],
        "version": 1,
        "standing": {"status": "no_data"},
        "pathway": None,
    }
    after = {
        "id": "x",
        "name": "乙",
        "labels": ["a"],
        "version": 2,
        "standing": {"status": "below"},
        "pathway": "nurture",
    }
    assert field_changes(before, after) == [
        FieldChange(field="name", before="甲", after="乙"),
        FieldChange(field="pathway", before=None, after="nurture"),
    ]
    assert field_changes(before, before) == []


def test_a_creation_lists_the_fields_it_filled_in() -> None:
    after: dict[str, Any] = {
        "id": "x",
        "name": "甲",
        "pathway": None,
        "labels": [],
        "roadmap": "",
        "version": 1,
        "level": "city",
    }
    assert field_changes(None, after) == [
        FieldChange(field="level", before=None, after="city"),
        FieldChange(field="name", before=None, after="甲"),
    ]


def test_the_documented_example_is_a_valid_page() -> None:
    page = Page[HistoryEntry].model_validate(HISTORY_EXAMPLE)
    assert [e.type.value for e in page.items] == ["field_change", "metric_revision", "roster_adjustment"]


async def test_an_enterprise_s_story_has_each_kind_of_entry(client: httpx.AsyncClient) -> None:
    body = factories.enterprise(1, level="county", region_code="430104", target_tier="billion", listed_on="2023-01-10")
    body["uscc"] = factories.make_uscc(1, "430104")
    enterprise = await create(client, "enterprises", body)
    eid = enterprise["id"]
    renamed = await client.patch(
        f"/api/v1/enterprises/{eid}", json={"name": "湖南新名字有限公司"}, headers=OPERATOR | {"If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    for value in ("8.5", "9.25"):
        metric = {"entity_id": eid, "metric": "revenue", "year": 2023, "value": value}
        assert (await client.post("/api/v1/metrics", json=metric, headers=OPERATOR)).status_code == 201
    removal = {"entity_id": eid, "action": "remove", "reason": "企业迁出", "effective_on": "2024-02-01"}
    assert (await client.post("/api/v1/roster-adjustments", json=removal, headers=OPERATOR)).status_code == 201

    changes = await all_entries(client, "enterprises", eid, type="field_change")
    assert [(e["action"], e["actor_sub"], e["actor_name"]) for e in changes] == [
        ("create", "yuelu-op", "岳麓区李四"),
        ("update", "yuelu-op", "岳麓区李四"),
    ]
    created = {c["field"]: c["after"] for c in changes[0]["changes"]}
    assert created["name"] == "湖南测试企业1号有限公司"
    assert created["uscc"] == body["uscc"]
    assert "version" not in created and "standing" not in created
    assert changes[1]["changes"] == [
        {"field": "name", "before": "湖南测试企业1号有限公司", "after": "湖南新名字有限公司"}
    ]

    metrics = await all_entries(client, "enterprises", eid, type="metric_revision")
    assert [(m["metric"]["revision"], m["metric"]["value"], m["actor_sub"]) for m in metrics] == [
        (1, "8.5000", "yuelu-op"),
        (2, "9.2500", "yuelu-op"),
    ]

    roster = await all_entries(client, "enterprises", eid, type="roster_adjustment")
    assert [(r["roster_adjustment"]["action"], r["roster_adjustment"]["status_after"]) for r in roster] == [
        ("include", "listed"),
        ("remove", "removed"),
    ]
    assert roster[1]["actor_name"] == "岳麓区李四"

    everything = await all_entries(client, "enterprises", eid)
    assert sorted(e["id"] for e in everything) == sorted(e["id"] for e in changes + metrics + roster)
    assert [e["at"] for e in everything] == sorted(e["at"] for e in everything)


@pytest.mark.parametrize("limit", [1, 2, 4])
async def test_pages_join_into_the_whole_history_both_ways(client: httpx.AsyncClient, limit: int) -> None:
    project = await create(client, "projects", factories.project(1))
    pid = project["id"]
    for version, name in enumerate(("二", "三", "四"), start=1):
        response = await client.patch(
            f"/api/v1/projects/{pid}", json={"name": f"测试项目{name}"}, headers=OPERATOR | {"If-Match": f'"{version}"'}
        )
        assert response.status_code == 200, response.text
    whole = (await history(client, "projects", pid, limit=200))["items"]
    assert len(whole) == 5  # created, included, three renames
    assert await all_entries(client, "projects", pid, limit=limit) == whole
    newest_first = await all_entries(client, "projects", pid, limit=limit, sort="-at")
    assert newest_first == whole[::-1]
    renames = [e["changes"][0]["after"] for e in whole if e["action"] == "update"]
    assert renames == ["测试项目二", "测试项目三", "测试项目四"]


async def test_the_green_channel_and_an_approval_are_field_changes(client: httpx.AsyncClient) -> None:
    project = await create(client, "projects", factories.project(1))
    pid = project["id"]
    entered = await client.patch(
        f"/api/v1/projects/{pid}",
        json={"green_channel": True, "green_channel_note": "省重点"},
        headers=OPERATOR | {"If-Match": '"1"'},
    )
    assert entered.status_code == 200, entered.text
    approval = await client.patch(
        f"/api/v1/projects/{pid}/approvals/eia",
        json={"state": "in_progress", "committed_completion_on": "2026-03-31"},
        headers=OPERATOR | {"If-Match": '"2"'},
    )
    assert approval.status_code == 200, approval.text
    updates = [e for e in await all_entries(client, "projects", pid, type="field_change") if e["action"] == "update"]
    assert [c["field"] for c in updates[0]["changes"]] == [
        "green_channel",
        "green_channel_at",
        "green_channel_by",
        "green_channel_by_name",
        "green_channel_note",
    ]
    assert updates[0]["changes"][0] == {"field": "green_channel", "before": False, "after": True}
    assert updates[1]["changes"] == [
        {
            "field": "approvals",
            "before": [],
            "after": [
                {
                    "kind": "eia",
                    "state": "in_progress",
                    "applied_on": None,
                    "approved_on": None,
                    "document_no": None,
                    "committed_completion_on": "2026-03-31",
                }
            ],
        }
    ]


async def test_history_is_scoped_like_the_record(client: httpx.AsyncClient) -> None:
    industry = await create(
        client, "industries", factories.industry(level="county", region_code="430104", target_tier="ten_billion")
    )
    path = f"/api/v1/industries/{industry['id']}/history"
    for headers, status in (
        (auth("county", "430104"), 200),
        (auth("city", "430100"), 200),
        (auth("viewer", "430000"), 200),
        (auth("county", "430102"), 404),
        (auth("city", "430200"), 404),
        ({}, 401),
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == status, (headers, response.text)
    hidden = await client.get(path, headers=auth("county", "430102"))
    assert hidden.json()["code"] == "industry_not_found"


async def test_history_follows_the_record_s_region_after_a_move(client: httpx.AsyncClient) -> None:
    project = await create(client, "projects", factories.project(1, listed_on="2024-01-01"))
    moved = {
        "entity_id": project["id"],
        "action": "retier",
        "reason": "项目迁至芙蓉区",
        "effective_on": "2024-05-01",
        "to_region_code": "430102",
    }
    assert (await client.post("/api/v1/roster-adjustments", json=moved, headers=ADMIN)).status_code == 201
    path = f"/api/v1/projects/{project['id']}/history"
    assert (await client.get(path, headers=auth("county", "430104"))).status_code == 404
    assert (await client.get(path, headers=auth("county", "430102"))).status_code == 200


async def test_history_of_another_kind_or_of_nothing_is_404(client: httpx.AsyncClient) -> None:
    project = await create(client, "projects", factories.project(1))
    wrong_kind = await client.get(f"/api/v1/enterprises/{project['id']}/history", headers=ADMIN)
    assert (wrong_kind.status_code, wrong_kind.json()["code"]) == (404, "enterprise_not_found")
    missing = await client.get("/api/v1/projects/00000000-0000-4000-8000-000000000000/history", headers=ADMIN)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJhdCIsWyIyMDI2LTAxLTAxIiwiXHUwMDAwIl1d"}, "cursor"),
        ({"type": "gossip"}, "type"),
        ({"sort": "name"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_hostile_history_queries_are_422(client: httpx.AsyncClient, params: dict[str, str], field: str) -> None:
    project = await create(client, "projects", factories.project(1))
    response = await client.get(f"/api/v1/projects/{project['id']}/history", params=params, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"].endswith(field)


async def test_a_malformed_id_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/projects/not-a-uuid/history", headers=ADMIN)
    assert response.status_code == 422


async def test_requests_interleave_in_recorded_order(
    committing_client: httpx.AsyncClient, committed_entities: list[str]
) -> None:
    """Each request commits on its own, so entries of different requests carry their own times."""
    project = await create(committing_client, "projects", factories.project(990001, listed_on="2024-01-01"))
    pid = project["id"]
    committed_entities.append(pid)
    headers = OPERATOR | {"If-Match": '"1"'}
    assert (
        await committing_client.patch(f"/api/v1/projects/{pid}", json={"stage": "under_construction"}, headers=headers)
    ).status_code == 200
    metric = {"entity_id": pid, "metric": "investment_completed", "year": 2024, "month": 3, "value": "1.5"}
    assert (await committing_client.post("/api/v1/metrics", json=metric, headers=OPERATOR)).status_code == 201
    removal = {"entity_id": pid, "action": "remove", "reason": "项目终止", "effective_on": "2024-06-01"}
    assert (
        await committing_client.post("/api/v1/roster-adjustments", json=removal, headers=OPERATOR)
    ).status_code == 201
    entries = (await history(committing_client, "projects", pid))["items"]
    kinds = [(e["type"], e["action"] or (e["roster_adjustment"] or {}).get("action")) for e in entries]
    assert sorted(kinds[:2]) == [("field_change", "create"), ("roster_adjustment", "include")]
    assert kinds[2:] == [("field_change", "update"), ("metric_revision", None), ("roster_adjustment", "remove")]
