"""Roster adjustments (名单动态调整): the rules of each action, scope, history, as_of lists, races."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests import factories
from tests.conftest import ADMIN, auth, feed_end

URL = "/api/v1/roster-adjustments"


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/{path}", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def county_enterprise(n: int = 1, **overrides: Any) -> dict[str, Any]:
    return (
        factories.enterprise(n, level="county", region_code="430104", target_tier="billion", listed_on="2023-01-10")
        | overrides
    )


def city_enterprise(n: int = 1, **overrides: Any) -> dict[str, Any]:
    return factories.enterprise(n, listed_on="2023-01-10") | overrides


def adjustment(entity_id: str, action: str, effective_on: str = "2024-03-01", **extra: Any) -> dict[str, Any]:
    return {"entity_id": entity_id, "action": action, "reason": "名单动态调整", "effective_on": effective_on} | extra


async def adjust(
    client: httpx.AsyncClient, entity_id: str, action: str, effective_on: str = "2024-03-01", **extra: Any
) -> httpx.Response:
    headers = extra.pop("headers", ADMIN)
    return await client.post(URL, json=adjustment(entity_id, action, effective_on, **extra), headers=headers)


def assert_invalid(response: httpx.Response, field: str, code: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == code
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, code)]


async def enterprise_state(client: httpx.AsyncClient, entity_id: str) -> tuple[str, str, str, str, int]:
    data = (await client.get(f"/api/v1/enterprises/{entity_id}", headers=ADMIN)).json()
    return data["level"], data["region_code"], data["target_tier"], data["roster_status"], data["version"]


async def department_id(client: httpx.AsyncClient, name: str) -> str:
    page = (await client.get("/api/v1/departments", params={"q": name}, headers=ADMIN)).json()
    [department] = page["items"]
    return str(department["id"])


# ---- the actions ------------------------------------------------------------------------------


async def test_promote_county_enterprise_defaults_to_its_city_and_the_city_tier(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", county_enterprise())
    approver = await department_id(client, "工业和信息化厅")
    response = await adjust(
        client,
        entity["id"],
        "promote",
        reason="营业收入连续两年超过百亿元",
        approving_department_id=approver,
        document_ref="湘工信〔2024〕12号",
    )
    assert response.status_code == 201, response.text
    data = response.json()
    assert response.headers["location"] == f"{URL}/{data['id']}"
    assert {k: v for k, v in data.items() if k not in ("id", "seq", "created_at")} == {
        "entity_id": entity["id"],
        "entity_kind": "enterprise",
        "action": "promote",
        "reason": "营业收入连续两年超过百亿元",
        "effective_on": "2024-03-01",
        "approving_department_id": approver,
        "document_ref": "湘工信〔2024〕12号",
        "actor_sub": "admin-430000-x",
        "actor_name": "admin-430000-x",
        "from_level": "county",
        "to_level": "city",
        "from_region_code": "430104",
        "to_region_code": "430100",
        "from_tier": "billion",
        "to_tier": "ten_billion",
        "status_after": "listed",
    }
    assert await enterprise_state(client, entity["id"]) == ("city", "430100", "ten_billion", "listed", 2)
    got = await client.get(f"{URL}/{data['id']}", headers=ADMIN)
    assert got.status_code == 200
    assert got.json() == data


async def test_promote_to_province_goes_to_430000_with_the_province_tier_or_a_named_echelon(
    client: httpx.AsyncClient,
) -> None:
    default = await create(client, "enterprises", city_enterprise(1))
    response = await adjust(client, default["id"], "promote")
    assert response.status_code == 201, response.text
    assert await enterprise_state(client, default["id"]) == ("province", "430000", "hundred_billion", "listed", 2)

    echelon = await create(client, "enterprises", county_enterprise(2))
    response = await adjust(client, echelon["id"], "promote", to_level="province", to_tier="fifty_billion")
    assert response.status_code == 201, response.text
    assert (response.json()["to_region_code"], response.json()["to_tier"]) == ("430000", "fifty_billion")


async def test_promote_that_does_not_go_higher_is_422(client: httpx.AsyncClient) -> None:
    province = await create(client, "industries", factories.industry(listed_on="2023-01-10"))
    assert_invalid(await adjust(client, province["id"], "promote"), "to_level", "roster_level_not_higher")
    city = await create(client, "enterprises", city_enterprise())
    for level in ("city", "county"):
        response = await adjust(client, city["id"], "promote", to_level=level)
        assert_invalid(response, "to_level", "roster_level_not_higher")
    assert await enterprise_state(client, city["id"]) == ("city", "430100", "ten_billion", "listed", 1)


async def test_promote_to_a_region_that_does_not_contain_the_old_one_is_422(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", county_enterprise())
    other_city = await adjust(client, entity["id"], "promote", to_region_code="430200")
    assert_invalid(other_city, "to_region_code", "roster_region_outside")
    county_code = await adjust(client, entity["id"], "promote", to_region_code="430102")
    assert_invalid(county_code, "to_region_code", "level_region_mismatch")
    own_city = await adjust(client, entity["id"], "promote", to_region_code="430100")
    assert own_city.status_code == 201, own_city.text


async def test_demote_needs_an_explicit_region_of_the_new_level_within_the_old_one(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", city_enterprise())
    assert_invalid(await adjust(client, entity["id"], "demote"), "to_region_code", "roster_region_required")
    outside = await adjust(client, entity["id"], "demote", to_region_code="430202")
    assert_invalid(outside, "to_region_code", "roster_region_outside")
    wrong_level = await adjust(client, entity["id"], "demote", to_region_code="430100")
    assert_invalid(wrong_level, "to_region_code", "level_region_mismatch")
    unknown = await adjust(client, entity["id"], "demote", to_region_code="430199")
    assert_invalid(unknown, "to_region_code", "region_unknown")
    response = await adjust(client, entity["id"], "demote", to_region_code="430104")
    assert response.status_code == 201, response.text
    assert await enterprise_state(client, entity["id"]) == ("county", "430104", "billion", "listed", 2)


async def test_demote_from_province_to_a_named_city(client: httpx.AsyncClient) -> None:
    industry = await create(client, "industries", factories.industry(listed_on="2023-01-10"))
    response = await adjust(client, industry["id"], "demote", to_level="city", to_region_code="430300")
    assert response.status_code == 201, response.text
    data = response.json()
    assert (data["to_level"], data["to_region_code"], data["to_tier"]) == ("city", "430300", "hundred_billion")


async def test_demote_that_does_not_go_lower_is_422(client: httpx.AsyncClient) -> None:
    county = await create(client, "enterprises", county_enterprise())
    assert_invalid(await adjust(client, county["id"], "demote"), "to_level", "roster_level_not_lower")
    city = await create(client, "enterprises", city_enterprise(2))
    response = await adjust(client, city["id"], "demote", to_level="province", to_region_code="430000")
    assert_invalid(response, "to_level", "roster_level_not_lower")


async def test_tier_not_allowed_at_the_new_level_is_422(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", county_enterprise())
    response = await adjust(client, entity["id"], "promote", to_tier="hundred_billion")
    assert_invalid(response, "to_tier", "tier_not_allowed")
    assert response.json()["detail"] == "市级企业的目标层级只能是：ten_billion（百亿级）"


async def test_retier_changes_tier_or_region_but_never_the_level(client: httpx.AsyncClient) -> None:
    industry = await create(client, "industries", factories.industry(listed_on="2023-01-10"))
    iid = industry["id"]
    assert_invalid(await adjust(client, iid, "retier"), "to_tier", "roster_tier_required")
    assert_invalid(await adjust(client, iid, "retier", to_tier="trillion"), "to_tier", "roster_tier_unchanged")
    assert_invalid(await adjust(client, iid, "retier", to_tier="ten_billion"), "to_tier", "tier_not_allowed")
    moved = await adjust(client, iid, "retier", to_tier="eight_hundred_billion", to_level="city")
    assert_invalid(moved, "to_level", "roster_retier_moves")
    response = await adjust(client, iid, "retier", to_tier="eight_hundred_billion", to_level="province")
    assert response.status_code == 201, response.text
    data = (await client.get(f"/api/v1/industries/{iid}", headers=ADMIN)).json()
    assert (data["level"], data["region_code"], data["target_tier"], data["version"]) == (
        "province",
        "430000",
        "eight_hundred_billion",
        2,
    )


async def test_retier_relocates_within_the_level_and_the_history_explains_it(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", county_enterprise())
    eid = entity["id"]
    wrong_level = await adjust(client, eid, "retier", to_region_code="430100")
    assert_invalid(wrong_level, "to_region_code", "level_region_mismatch")
    response = await adjust(client, eid, "retier", "2024-03-02", to_region_code="430203")
    assert response.status_code == 201, response.text
    assert (response.json()["from_region_code"], response.json()["to_region_code"]) == ("430104", "430203")
    state = await enterprise_state(client, eid)
    assert state[:3] == ("county", "430203", "billion")
    before = await client.get("/api/v1/enterprises", params={"as_of": "2024-03-01", "region": "430104"}, headers=ADMIN)
    assert [i["id"] for i in before.json()["items"]] == [eid]


async def test_patch_cannot_change_the_region_any_more(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", county_enterprise())
    response = await client.patch(
        f"/api/v1/enterprises/{entity['id']}", json={"region_code": "430203"}, headers=ADMIN | {"If-Match": '"1"'}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "region_code",
        "message": "不允许的字段",
        "code": "extra_forbidden",
    }


async def test_remove_and_include_toggle_the_roster_status_once_each(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", city_enterprise())
    eid = entity["id"]
    assert_invalid(await adjust(client, eid, "include"), "action", "roster_already_listed")
    with_tier = await adjust(client, eid, "remove", to_tier="ten_billion")
    assert_invalid(with_tier, "to_tier", "roster_field_not_applicable")

    removed = await adjust(client, eid, "remove", "2024-03-01")
    assert removed.status_code == 201, removed.text
    assert removed.json()["status_after"] == "removed"
    assert await enterprise_state(client, eid) == ("city", "430100", "ten_billion", "removed", 2)
    assert_invalid(await adjust(client, eid, "remove", "2024-03-02"), "action", "roster_already_removed")
    promote = await adjust(client, eid, "promote", "2024-03-02")
    assert_invalid(promote, "action", "roster_entity_removed")

    wrong_tier = await adjust(client, eid, "include", "2024-06-01", to_tier="billion")
    assert_invalid(wrong_tier, "to_tier", "tier_not_allowed")
    moved = await adjust(client, eid, "include", "2024-06-01", to_level="county")
    assert_invalid(moved, "to_level", "roster_field_not_applicable")
    included = await adjust(client, eid, "include", "2024-06-01")
    assert included.status_code == 201, included.text
    data = (await client.get(f"/api/v1/enterprises/{eid}", headers=ADMIN)).json()
    assert (data["roster_status"], data["listed_on"], data["version"]) == ("listed", "2024-06-01", 3)


async def test_effective_on_may_be_today_in_shanghai_but_not_later(
    client: httpx.AsyncClient, fixed_now: Callable[[dt.datetime], None]
) -> None:
    entity = await create(client, "enterprises", city_enterprise())
    fixed_now(dt.datetime(2024, 6, 30, 16, 30, tzinfo=dt.UTC))  # 2024-07-01 00:30 in Asia/Shanghai
    tomorrow = await adjust(client, entity["id"], "remove", "2024-07-02")
    assert_invalid(tomorrow, "effective_on", "roster_effective_in_future")
    assert tomorrow.json()["detail"] == "生效日期不能晚于今天（2024-07-01）"
    today = await adjust(client, entity["id"], "remove", "2024-07-01")
    assert today.status_code == 201, today.text


async def test_effective_on_before_the_latest_adjustment_is_422(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", county_enterprise())
    before_listing = await adjust(client, entity["id"], "promote", "2023-01-09")
    assert_invalid(before_listing, "effective_on", "roster_effective_before_latest")
    assert (await adjust(client, entity["id"], "promote", "2024-05-01")).status_code == 201
    earlier = await adjust(client, entity["id"], "remove", "2024-04-30")
    assert_invalid(earlier, "effective_on", "roster_effective_before_latest")
    same_day = await adjust(client, entity["id"], "remove", "2024-05-01")
    assert same_day.status_code == 201, same_day.text


async def test_unknown_approving_department_is_422(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", city_enterprise())
    response = await adjust(client, entity["id"], "remove", approving_department_id=str(uuid.uuid4()))
    assert_invalid(response, "approving_department_id", "department_unknown")


# ---- who may adjust ---------------------------------------------------------------------------


async def test_unknown_or_out_of_scope_entity_is_404(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", city_enterprise())
    unknown = await adjust(client, str(uuid.uuid4()), "remove")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "entity_not_found")
    other_city = await adjust(client, entity["id"], "remove", headers=auth("city", "430200"))
    assert (other_city.status_code, other_city.json()["code"]) == (404, "entity_not_found")


async def test_writer_needs_write_access_to_the_old_and_the_new_region(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", city_enterprise())
    changsha = auth("city", "430100")
    to_province = await adjust(client, entity["id"], "promote", headers=changsha)
    assert (to_province.status_code, to_province.json()["code"]) == (403, "region_out_of_scope")
    viewer = await adjust(client, entity["id"], "remove", headers=auth("viewer", "430000"))
    assert (viewer.status_code, viewer.json()["code"]) == (403, "role_read_only")
    not_led = await adjust(client, entity["id"], "remove", headers=auth("department", "430000", "commerce"))
    assert (not_led.status_code, not_led.json()["code"]) == (403, "domain_not_led")
    assert await enterprise_state(client, entity["id"]) == ("city", "430100", "ten_billion", "listed", 1)

    within = await adjust(client, entity["id"], "demote", to_region_code="430104", headers=changsha)
    assert within.status_code == 201, within.text
    county_up = await adjust(client, entity["id"], "promote", "2024-03-02", headers=auth("county", "430104"))
    assert (county_up.status_code, county_up.json()["code"]) == (403, "region_out_of_scope")
    led = await adjust(
        client, entity["id"], "promote", "2024-03-02", headers=auth("department", "430000", "industry-it")
    )
    assert led.status_code == 201, led.text


# ---- records written with an adjustment -------------------------------------------------------


async def test_adjustment_writes_audit_events_and_feed_events_for_both_records(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", county_enterprise())
    cursor = await feed_end(client)
    adj = (await adjust(client, entity["id"], "promote")).json()

    events = (await client.get("/api/v1/events", params={"after": cursor}, headers=ADMIN)).json()["items"]
    assert [(e["resource_type"], e["resource_id"], e["action"]) for e in events] == [
        ("enterprise", entity["id"], "updated"),
        ("roster_adjustment", adj["id"], "created"),
    ]
    assert (events[0]["payload"]["level"], events[0]["payload"]["version"]) == ("city", 2)
    assert events[1]["payload"] == adj

    audit = (await client.get("/api/v1/audit-events", params={"resource_id": entity["id"]}, headers=ADMIN)).json()
    [promote] = [e for e in audit["items"] if e["action"] == "roster_promote"]
    assert (promote["resource_type"], promote["before"]["level"], promote["after"]["level"]) == (
        "enterprise",
        "county",
        "city",
    )
    record = (await client.get("/api/v1/audit-events", params={"resource_id": adj["id"]}, headers=ADMIN)).json()
    assert [(e["action"], e["resource_type"], e["after"]) for e in record["items"]] == [
        ("create", "roster_adjustment", adj)
    ]


async def test_idempotency_key_replays_the_first_adjustment(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", county_enterprise())
    headers = ADMIN | {"Idempotency-Key": "promote-once-1"}
    body = adjustment(entity["id"], "promote")
    first = await client.post(URL, json=body, headers=headers)
    again = await client.post(URL, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    history = (await client.get(URL, params={"entity_id": entity["id"]}, headers=ADMIN)).json()["items"]
    assert [a["action"] for a in history] == ["include", "promote"]


# ---- reading the history ----------------------------------------------------------------------


async def test_entity_history_lists_every_adjustment_in_order_with_filters_and_pages(
    client: httpx.AsyncClient,
) -> None:
    entity = await create(client, "enterprises", county_enterprise())
    eid = entity["id"]
    assert (await adjust(client, eid, "promote", "2024-03-01")).status_code == 201
    assert (await adjust(client, eid, "remove", "2024-09-01")).status_code == 201

    async def listed(**params: str) -> list[tuple[str, str]]:
        response = await client.get(URL, params={"entity_id": eid} | params, headers=ADMIN)
        assert response.status_code == 200, response.text
        return [(a["action"], a["effective_on"]) for a in response.json()["items"]]

    full = [("include", "2023-01-10"), ("promote", "2024-03-01"), ("remove", "2024-09-01")]
    assert await listed() == full
    assert await listed(sort="-seq") == full[::-1]
    assert await listed(action="promote") == [("promote", "2024-03-01")]
    assert await listed(since="2024-03-01", until="2024-09-01") == full[1:]
    assert await listed(until="2024-02-29") == full[:1]
    assert await listed(kind="enterprise") == full
    assert await listed(kind="project") == []

    first = (await client.get(URL, params={"entity_id": eid, "limit": 2}, headers=ADMIN)).json()
    rest = (
        await client.get(URL, params={"entity_id": eid, "limit": 2, "cursor": first["next_cursor"]}, headers=ADMIN)
    ).json()
    assert [a["action"] for a in first["items"]] == ["include", "promote"]
    assert [a["action"] for a in rest["items"]] == ["remove"]
    assert rest["next_cursor"] is None


async def test_history_is_visible_where_an_adjustment_moved_from_or_to(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", city_enterprise())
    eid = entity["id"]
    promote = (await adjust(client, eid, "promote", "2024-03-01")).json()
    retier = (await adjust(client, eid, "retier", "2024-04-01", to_tier="eighty_billion")).json()

    async def seen(headers: dict[str, str]) -> list[str]:
        response = await client.get(URL, params={"entity_id": eid}, headers=headers)
        return [a["action"] for a in response.json()["items"]]

    assert await seen(ADMIN) == ["include", "promote", "retier"]
    assert await seen(auth("city", "430100")) == ["include", "promote"]
    assert await seen(auth("city", "430200")) == []
    assert (await client.get(f"{URL}/{promote['id']}", headers=auth("city", "430100"))).status_code == 200
    hidden = await client.get(f"{URL}/{retier['id']}", headers=auth("city", "430100"))
    assert (hidden.status_code, hidden.json()["code"]) == (404, "roster_adjustment_not_found")


async def test_unknown_adjustment_and_bad_list_parameters(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"{URL}/{uuid.uuid4()}", headers=ADMIN)
    assert (missing.status_code, missing.json()["code"]) == (404, "roster_adjustment_not_found")
    unknown = await client.get(URL, params={"region": "430100"}, headers=ADMIN)
    assert (unknown.status_code, unknown.json()["errors"][0]["code"]) == (422, "extra_forbidden")
    backwards = await client.get(URL, params={"since": "2024-05-01", "until": "2024-04-01"}, headers=ADMIN)
    assert (backwards.status_code, backwards.json()["code"]) == (422, "date_range_invalid")
    bad_sort = await client.get(URL, params={"sort": "effective_on"}, headers=ADMIN)
    assert (bad_sort.status_code, bad_sort.json()["code"]) == (422, "sort_invalid")


# ---- the lists as of a date -------------------------------------------------------------------


async def test_as_of_lists_show_the_roster_state_on_each_date(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", county_enterprise(7))
    eid, uscc = entity["id"], entity["uscc"]
    assert (await adjust(client, eid, "promote", "2024-03-01")).status_code == 201
    assert (await adjust(client, eid, "remove", "2024-09-01")).status_code == 201

    async def as_of(day: str, **filters: str) -> list[tuple[str, str, str, str]]:
        params = {"as_of": day, "uscc": uscc} | filters
        response = await client.get("/api/v1/enterprises", params=params, headers=ADMIN)
        assert response.status_code == 200, response.text
        return [(i["level"], i["region_code"], i["target_tier"], i["roster_status"]) for i in response.json()["items"]]

    assert await as_of("2023-01-09") == []
    assert await as_of("2023-01-10") == [("county", "430104", "billion", "listed")]
    assert await as_of("2024-02-29") == [("county", "430104", "billion", "listed")]
    assert await as_of("2024-03-01") == [("city", "430100", "ten_billion", "listed")]
    assert await as_of("2024-08-31") == [("city", "430100", "ten_billion", "listed")]
    assert await as_of("2024-09-01") == [("city", "430100", "ten_billion", "removed")]
    assert await as_of("2024-02-29", level="city") == []
    assert await as_of("2024-02-29", level="county", region="430104") == [("county", "430104", "billion", "listed")]
    assert await as_of("2024-06-01", roster_status="removed") == []
    assert await as_of("2024-10-01", roster_status="removed") == [("city", "430100", "ten_billion", "removed")]


# ---- races ------------------------------------------------------------------------------------


async def test_concurrent_removals_of_one_entity_apply_exactly_once(
    committing_client: httpx.AsyncClient, committed_entities: list[str]
) -> None:
    created = await committing_client.post("/api/v1/enterprises", json=city_enterprise(930_001), headers=ADMIN)
    assert created.status_code == 201, created.text
    eid = created.json()["id"]
    committed_entities.append(eid)

    responses = await asyncio.gather(*(adjust(committing_client, eid, "remove") for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [201] + [422] * 5
    assert {r.json()["code"] for r in responses if r.status_code == 422} == {"roster_already_removed"}
    history = (await committing_client.get(URL, params={"entity_id": eid}, headers=ADMIN)).json()["items"]
    assert [a["action"] for a in history] == ["include", "remove"]
    assert (await enterprise_state(committing_client, eid))[3:] == ("removed", 2)
