"""Bulk roster adjustments: all or nothing, each on its own, the single POST's rules, audit and feed."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from services.registry.roster.schemas import MAX_BATCH_ITEMS
from tests.conftest import ADMIN, auth, feed_end
from tests.test_roster import adjustment, city_enterprise, county_enterprise, create, enterprise_state

URL = "/api/v1/roster-adjustments:batch"


async def batch(
    client: httpx.AsyncClient, items: list[dict[str, Any]], mode: str | None = None, headers: dict[str, str] = ADMIN
) -> httpx.Response:
    body: dict[str, Any] = {"items": items} | ({"mode": mode} if mode else {})
    return await client.post(URL, json=body, headers=headers)


async def adjustments_of(client: httpx.AsyncClient, entity_id: str) -> list[str]:
    page = (await client.get("/api/v1/roster-adjustments", params={"entity_id": entity_id}, headers=ADMIN)).json()
    return [a["action"] for a in page["items"]]


async def test_all_or_nothing_applies_every_item_in_order(client: httpx.AsyncClient) -> None:
    first = await create(client, "enterprises", county_enterprise(1))
    second = await create(client, "enterprises", city_enterprise(2))
    response = await batch(
        client,
        [
            adjustment(first["id"], "promote"),
            adjustment(second["id"], "remove"),
            # the same entity again: judged on the state the first item left (now city level)
            adjustment(first["id"], "retier", "2024-03-02", to_region_code="430200"),
        ],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["mode"], body["applied"], body["refused"]) == ("all_or_nothing", 3, 0)
    assert [(i["index"], i["status"], i["problem"]) for i in body["items"]] == [
        (0, 201, None),
        (1, 201, None),
        (2, 201, None),
    ]
    assert [(i["adjustment"]["entity_id"], i["adjustment"]["action"]) for i in body["items"]] == [
        (first["id"], "promote"),
        (second["id"], "remove"),
        (first["id"], "retier"),
    ]
    third = body["items"][2]["adjustment"]
    assert (third["from_level"], third["from_region_code"], third["to_region_code"]) == ("city", "430100", "430200")
    assert await enterprise_state(client, first["id"]) == ("city", "430200", "ten_billion", "listed", 3)
    assert await enterprise_state(client, second["id"]) == ("city", "430100", "ten_billion", "removed", 2)


async def test_all_or_nothing_refusal_is_422_listing_every_refused_item_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    good = await create(client, "enterprises", county_enterprise(1))
    removed = await create(client, "enterprises", city_enterprise(2))
    assert (await batch(client, [adjustment(removed["id"], "remove")])).status_code == 200
    cursor = await feed_end(client)
    missing = str(uuid.uuid4())

    response = await batch(
        client,
        [
            adjustment(good["id"], "promote"),
            adjustment(removed["id"], "promote"),
            adjustment(missing, "remove"),
        ],
        mode="all_or_nothing",
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "roster_batch_refused"
    assert problem["detail"] == "共 3 项，其中 2 项不符合规则，整批未作任何调整"
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("items.1.action", "roster_entity_removed"),
        ("items.2.entity_id", "entity_not_found"),
    ]
    assert [(i["index"], i["status"], i["problem"]["code"]) for i in problem["items"]] == [
        (1, 422, "roster_entity_removed"),
        (2, 404, "entity_not_found"),
    ]
    # nothing changed: not even the good item, no feed events
    assert await enterprise_state(client, good["id"]) == ("county", "430104", "billion", "listed", 1)
    assert await adjustments_of(client, good["id"]) == ["include"]
    events = (await client.get("/api/v1/events", params={"after": cursor}, headers=ADMIN)).json()["items"]
    assert events == []


async def test_each_mode_applies_the_good_items_and_reports_the_others(client: httpx.AsyncClient) -> None:
    good = await create(client, "enterprises", county_enterprise(1))
    other = await create(client, "enterprises", city_enterprise(2))
    missing = str(uuid.uuid4())
    response = await batch(
        client,
        [
            adjustment(good["id"], "promote"),
            adjustment(missing, "remove"),
            adjustment(other["id"], "promote", to_level="county", to_region_code="430104"),
            adjustment(other["id"], "remove"),
        ],
        mode="each",
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["mode"], body["applied"], body["refused"]) == ("each", 2, 2)
    assert [(i["index"], i["status"]) for i in body["items"]] == [(0, 201), (1, 404), (2, 422), (3, 201)]
    assert body["items"][1]["adjustment"] is None
    assert body["items"][1]["problem"]["code"] == "entity_not_found"
    assert [(e["field"], e["code"]) for e in body["items"][2]["problem"]["errors"]] == [
        ("to_level", "roster_level_not_higher")
    ]
    assert await enterprise_state(client, good["id"]) == ("city", "430100", "ten_billion", "listed", 2)
    assert await enterprise_state(client, other["id"]) == ("city", "430100", "ten_billion", "removed", 2)
    assert await adjustments_of(client, other["id"]) == ["include", "remove"]


async def test_each_applied_item_is_audited_and_in_the_change_feed(client: httpx.AsyncClient) -> None:
    first = await create(client, "enterprises", county_enterprise(1))
    second = await create(client, "enterprises", city_enterprise(2))
    cursor = await feed_end(client)
    body = (
        await batch(
            client,
            [
                adjustment(first["id"], "promote"),
                adjustment(str(uuid.uuid4()), "remove"),
                adjustment(second["id"], "remove"),
            ],
            mode="each",
        )
    ).json()
    promoted, removed = body["items"][0]["adjustment"], body["items"][2]["adjustment"]

    events = (await client.get("/api/v1/events", params={"after": cursor}, headers=ADMIN)).json()["items"]
    assert [(e["resource_type"], e["resource_id"], e["action"]) for e in events] == [
        ("enterprise", first["id"], "updated"),
        ("roster_adjustment", promoted["id"], "created"),
        ("enterprise", second["id"], "updated"),
        ("roster_adjustment", removed["id"], "created"),
    ]
    assert events[1]["payload"] == promoted
    for entity, adj, action in ((first, promoted, "roster_promote"), (second, removed, "roster_remove")):
        audit = (await client.get("/api/v1/audit-events", params={"resource_id": entity["id"]}, headers=ADMIN)).json()
        assert [e["action"] for e in audit["items"]].count(action) == 1
        record = (await client.get("/api/v1/audit-events", params={"resource_id": adj["id"]}, headers=ADMIN)).json()
        assert [(e["action"], e["after"]) for e in record["items"]] == [("create", adj)]


async def test_items_outside_the_caller_s_scope_are_404_and_outside_its_writes_403(client: httpx.AsyncClient) -> None:
    own = await create(client, "enterprises", county_enterprise(1))
    elsewhere = await create(client, "enterprises", city_enterprise(2, region_code="430200"))
    county = auth("county", "430104")
    response = await batch(
        client,
        [
            adjustment(own["id"], "promote"),  # to the city: beyond a county operator's writes
            adjustment(elsewhere["id"], "remove"),
            adjustment(own["id"], "remove"),
        ],
        mode="each",
        headers=county,
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["status"], (i["problem"] or {}).get("code")) for i in items] == [
        (403, "region_out_of_scope"),
        (404, "entity_not_found"),
        (201, None),
    ]
    assert await enterprise_state(client, elsewhere["id"]) == ("city", "430200", "ten_billion", "listed", 1)


async def test_read_only_roles_are_refused_as_a_whole(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", city_enterprise(1))
    for role in ("viewer", "service"):
        response = await batch(client, [adjustment(entity["id"], "remove")], headers=auth(role, "430000"))
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "role_read_only"
    assert await enterprise_state(client, entity["id"]) == ("city", "430100", "ten_billion", "listed", 1)


async def test_idempotency_key_replays_the_batch_without_applying_it_again(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", county_enterprise(1))
    headers = ADMIN | {"Idempotency-Key": "batch-once-1"}
    body = {"mode": "each", "items": [adjustment(entity["id"], "promote")]}
    first = await client.post(URL, json=body, headers=headers)
    again = await client.post(URL, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert await adjustments_of(client, entity["id"]) == ["include", "promote"]
    other = await client.post(URL, json=body | {"mode": "all_or_nothing"}, headers=headers)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")


async def test_batch_size_is_bounded(client: httpx.AsyncClient) -> None:
    item = adjustment(str(uuid.uuid4()), "remove")
    too_many = await batch(client, [item] * (MAX_BATCH_ITEMS + 1))
    empty = await batch(client, [])
    assert (too_many.status_code, empty.status_code) == (422, 422)
    assert [e["field"] for e in too_many.json()["errors"]] == ["items"]
    assert [e["field"] for e in empty.json()["errors"]] == ["items"]


async def test_a_bad_item_body_is_422_before_anything_is_tried(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", city_enterprise(1))
    response = await batch(client, [adjustment(entity["id"], "remove"), {"entity_id": entity["id"], "action": "x"}])
    assert response.status_code == 422, response.text
    assert response.json()["code"] != "roster_batch_refused"
    assert await enterprise_state(client, entity["id"]) == ("city", "430100", "ten_billion", "listed", 1)
