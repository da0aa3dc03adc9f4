"""Metrics per entity and period: revisions, idempotent recording, scope, standing, races."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests import factories
from tests.conftest import ADMIN, auth, feed_end

URL = "/api/v1/metrics"


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/{path}", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def record(
    client: httpx.AsyncClient, entity_id: str, value: str, headers: dict[str, str] | None = None, **extra: Any
) -> httpx.Response:
    body = {"entity_id": entity_id, "metric": "revenue", "year": 2024, "value": value} | extra
    return await client.post(URL, json=body, headers=headers or ADMIN)


async def history(client: httpx.AsyncClient, entity_id: str, **params: str) -> list[tuple[Any, ...]]:
    response = await client.get(URL, params={"entity_id": entity_id, "history": "true"} | params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return [(m["metric"], m["year"], m["month"], m["revision"], m["value"]) for m in response.json()["items"]]


async def standing(client: httpx.AsyncClient, entity_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/enterprises/{entity_id}", headers=ADMIN)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["standing"]
    return result


@pytest.fixture
async def enterprise(client: httpx.AsyncClient) -> dict[str, Any]:
    """A city (长沙) enterprise targeting 百亿级."""
    return await create(client, "enterprises", factories.enterprise())


# ---- recording and revisions ------------------------------------------------------------------


async def test_first_value_of_a_period_is_revision_1_with_location(
    client: httpx.AsyncClient, enterprise: dict[str, Any]
) -> None:
    response = await record(client, enterprise["id"], "120")
    assert response.status_code == 201, response.text
    data = response.json()
    assert response.headers["location"] == f"{URL}/{data['id']}"
    assert {k: v for k, v in data.items() if k not in ("id", "recorded_at")} == {
        "entity_id": enterprise["id"],
        "metric": "revenue",
        "year": 2024,
        "month": None,
        "value": "120.0000",
        "revision": 1,
        "source": "manual",
        "source_ref": None,
        "recorded_by": "admin-430000-x",
    }
    got = await client.get(response.headers["location"], headers=ADMIN)
    assert (got.status_code, got.json()) == (200, data)


async def test_same_value_again_writes_nothing_and_answers_200_with_the_latest_revision(
    client: httpx.AsyncClient, enterprise: dict[str, Any]
) -> None:
    first = await record(client, enterprise["id"], "120")
    again = await record(client, enterprise["id"], "120.00")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert "location" not in again.headers
    assert await history(client, enterprise["id"]) == [("revenue", 2024, None, 1, "120.0000")]


async def test_a_different_value_appends_a_revision_and_the_list_shows_only_the_latest(
    client: httpx.AsyncClient, enterprise: dict[str, Any]
) -> None:
    for value in ("100", "110", "100"):
        assert (await record(client, enterprise["id"], value)).status_code == 201
    assert await history(client, enterprise["id"]) == [
        ("revenue", 2024, None, 1, "100.0000"),
        ("revenue", 2024, None, 2, "110.0000"),
        ("revenue", 2024, None, 3, "100.0000"),
    ]
    assert await history(client, enterprise["id"], history="false") == [("revenue", 2024, None, 3, "100.0000")]


async def test_same_value_from_another_source_is_a_new_revision(
    client: httpx.AsyncClient, enterprise: dict[str, Any]
) -> None:
    assert (await record(client, enterprise["id"], "100")).status_code == 201
    from_report = await record(client, enterprise["id"], "100", source="report", source_ref="round-2024-q4")
    assert (from_report.status_code, from_report.json()["revision"]) == (201, 2)
    repeat = await record(client, enterprise["id"], "100", source="report", source_ref="round-2024-q4")
    assert (repeat.status_code, repeat.json()["id"]) == (200, from_report.json()["id"])
    other_round = await record(client, enterprise["id"], "100", source="report", source_ref="round-2025-q1")
    assert (other_round.status_code, other_round.json()["revision"]) == (201, 3)


async def test_monthly_and_annual_values_are_separate_periods(
    client: httpx.AsyncClient, enterprise: dict[str, Any]
) -> None:
    assert (await record(client, enterprise["id"], "10", month=3)).status_code == 201
    assert (await record(client, enterprise["id"], "120")).status_code == 201
    assert (await record(client, enterprise["id"], "30", metric="output", month=3)).status_code == 201
    assert (await record(client, enterprise["id"], "90", year=2023)).status_code == 201
    assert await history(client, enterprise["id"], year="2024") == [
        ("revenue", 2024, 3, 1, "10.0000"),
        ("revenue", 2024, None, 1, "120.0000"),
        ("output", 2024, 3, 1, "30.0000"),
    ]
    assert await history(client, enterprise["id"], metric="output") == [("output", 2024, 3, 1, "30.0000")]


async def test_idempotency_key_replays_the_first_answer_even_after_the_period_changed(
    client: httpx.AsyncClient, enterprise: dict[str, Any]
) -> None:
    keyed = ADMIN | {"Idempotency-Key": "metric-2024-revenue-1"}
    first = await record(client, enterprise["id"], "100", headers=keyed)
    assert (await record(client, enterprise["id"], "110")).status_code == 201
    retry = await record(client, enterprise["id"], "100", headers=keyed)
    assert (retry.status_code, retry.json(), retry.headers["idempotent-replayed"]) == (201, first.json(), "true")
    assert [r[3:] for r in await history(client, enterprise["id"])] == [(1, "100.0000"), (2, "110.0000")]


# ---- rules ------------------------------------------------------------------------------------


async def test_metric_of_another_kind_is_422(client: httpx.AsyncClient, enterprise: dict[str, Any]) -> None:
    wrong = await record(client, enterprise["id"], "5", metric="investment_completed")
    assert wrong.status_code == 422
    assert wrong.json()["errors"] == [
        {
            "field": "metric",
            "message": "企业的指标只能是：revenue（营业收入）、output（产值）",
            "code": "metric_not_for_kind",
        }
    ]
    project = await create(client, "projects", factories.project())
    revenue = await record(client, project["id"], "5")
    assert (revenue.status_code, revenue.json()["code"]) == (422, "metric_not_for_kind")
    investment = await record(client, project["id"], "5", metric="investment_completed", month=6)
    assert investment.status_code == 201, investment.text


async def test_period_not_yet_begun_in_shanghai_is_422(
    client: httpx.AsyncClient, enterprise: dict[str, Any], fixed_now: Callable[[dt.datetime], None]
) -> None:
    fixed_now(dt.datetime(2024, 6, 30, 16, 30, tzinfo=dt.UTC))  # 2024-07-01 00:30 in Asia/Shanghai
    next_year = await record(client, enterprise["id"], "1", year=2025)
    assert [(e["field"], e["code"]) for e in next_year.json()["errors"]] == [("year", "metric_period_in_future")]
    august = await record(client, enterprise["id"], "1", month=8)
    assert [(e["field"], e["code"]) for e in august.json()["errors"]] == [("month", "metric_period_in_future")]
    assert (await record(client, enterprise["id"], "1", month=7)).status_code == 201
    assert (await record(client, enterprise["id"], "1")).status_code == 201


async def test_month_outside_1_to_12_is_422(client: httpx.AsyncClient, enterprise: dict[str, Any]) -> None:
    for month in (0, 13):
        response = await record(client, enterprise["id"], "1", month=month)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["month"]


async def test_admin_writers_and_platform_services_may_record_others_may_not(
    client: httpx.AsyncClient, enterprise: dict[str, Any]
) -> None:
    eid = enterprise["id"]
    service = await record(client, eid, "1", headers=auth("service"), source="report", source_ref="r-1")
    assert (service.status_code, service.json()["recorded_by"]) == (201, "service-430000-x")
    assert (await record(client, eid, "2", headers=auth("city", "430100"))).status_code == 201
    led = await record(client, eid, "3", headers=auth("department", "430000", "industry-it"))
    assert led.status_code == 201
    for headers, status, code in (
        (auth("viewer", "430000"), 403, "role_read_only"),
        (auth("department", "430000", "commerce"), 403, "domain_not_led"),
        (auth("city", "430200"), 404, "entity_not_found"),
    ):
        response = await record(client, eid, "4", headers=headers)
        assert (response.status_code, response.json()["code"]) == (status, code)
    unknown = await record(client, str(uuid.uuid4()), "4")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "entity_not_found")
    assert [r[3] for r in await history(client, eid)] == [1, 2, 3]


async def test_reads_are_region_scoped(client: httpx.AsyncClient, enterprise: dict[str, Any]) -> None:
    zhuzhou = await create(
        client, "enterprises", factories.enterprise(2, region_code="430200", uscc=factories.make_uscc(2, "430200"))
    )
    mine = (await record(client, enterprise["id"], "7", year=2022)).json()
    theirs = (await record(client, zhuzhou["id"], "8", year=2022)).json()
    changsha = auth("city", "430100")

    async def ids(headers: dict[str, str], **params: str) -> list[int]:
        response = await client.get(URL, params={"year": "2022"} | params, headers=headers)
        assert response.status_code == 200, response.text
        return [m["id"] for m in response.json()["items"]]

    assert await ids(ADMIN) == [mine["id"], theirs["id"]]
    assert await ids(changsha) == [mine["id"]]
    assert await ids(changsha, entity_id=enterprise["id"]) == [mine["id"]]
    other = await client.get(URL, params={"entity_id": zhuzhou["id"]}, headers=changsha)
    assert (other.status_code, other.json()["code"]) == (404, "entity_not_found")
    one = await client.get(f"{URL}/{theirs['id']}", headers=changsha)
    assert (one.status_code, one.json()["code"]) == (404, "metric_not_found")

    first = (await client.get(URL, params={"year": "2022", "limit": "1"}, headers=ADMIN)).json()
    params = {"year": "2022", "limit": "1", "cursor": first["next_cursor"]}
    second = (await client.get(URL, params=params, headers=ADMIN)).json()
    assert [m["id"] for m in first["items"] + second["items"]] == [mine["id"], theirs["id"]]
    assert second["next_cursor"] is None


async def test_unknown_list_parameter_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get(URL, params={"region": "430100"}, headers=ADMIN)
    assert (response.status_code, response.json()["errors"][0]["code"]) == (422, "extra_forbidden")


async def test_a_new_revision_writes_audit_and_feed_events_and_a_repeat_writes_none(
    client: httpx.AsyncClient, enterprise: dict[str, Any]
) -> None:
    cursor = await feed_end(client)
    first = (await record(client, enterprise["id"], "100")).json()
    assert (await record(client, enterprise["id"], "100")).status_code == 200
    second = (await record(client, enterprise["id"], "105")).json()

    events = (await client.get("/api/v1/events", params={"after": cursor}, headers=ADMIN)).json()["items"]
    assert [(e["resource_type"], e["resource_id"], e["action"], e["payload"]) for e in events] == [
        ("metric", str(first["id"]), "created", first),
        ("metric", str(second["id"]), "created", second),
    ]
    audit = (await client.get("/api/v1/audit-events", params={"resource_type": "metric"}, headers=ADMIN)).json()
    mine = [e for e in audit["items"] if e["resource_id"] in (str(first["id"]), str(second["id"]))]
    assert [(e["action"], e["resource_id"], e["before"], e["after"]) for e in mine] == [
        ("create", str(second["id"]), first, second),
        ("create", str(first["id"]), None, first),
    ]


# ---- the standing the entity read derives from the latest annual value -----------------------


async def test_city_enterprise_at_120_yi_has_achieved_its_ten_billion_tier(
    client: httpx.AsyncClient, enterprise: dict[str, Any]
) -> None:
    assert (await record(client, enterprise["id"], "120")).status_code == 201
    assert await standing(client, enterprise["id"]) == {
        "metric": "revenue",
        "year": 2024,
        "value": "120.0000",
        "actual_tier": "ten_billion",
        "status": "achieved",
        "in_growth_band": False,
    }


async def test_city_enterprise_at_50_yi_is_below_and_in_the_growth_band(
    client: httpx.AsyncClient, enterprise: dict[str, Any]
) -> None:
    assert (await record(client, enterprise["id"], "50")).status_code == 201
    assert await standing(client, enterprise["id"]) == {
        "metric": "revenue",
        "year": 2024,
        "value": "50.0000",
        "actual_tier": "billion",
        "status": "below",
        "in_growth_band": True,
    }


async def test_a_newer_revision_changes_the_standing_and_monthly_values_do_not_count(
    client: httpx.AsyncClient, enterprise: dict[str, Any]
) -> None:
    assert (await record(client, enterprise["id"], "500", month=5)).status_code == 201
    assert (await standing(client, enterprise["id"]))["status"] == "no_data"
    assert (await record(client, enterprise["id"], "50")).status_code == 201
    assert (await standing(client, enterprise["id"]))["status"] == "below"
    assert (await record(client, enterprise["id"], "120")).status_code == 201
    now = await standing(client, enterprise["id"])
    assert (now["value"], now["actual_tier"], now["status"], now["in_growth_band"]) == (
        "120.0000",
        "ten_billion",
        "achieved",
        False,
    )


# ---- races ------------------------------------------------------------------------------------


@pytest.fixture
async def committed_enterprise(committing_client: httpx.AsyncClient, committed_entities: list[str]) -> str:
    """A committed enterprise, deleted afterwards with its metrics and their change-feed rows."""
    created = await committing_client.post("/api/v1/enterprises", json=factories.enterprise(940_001), headers=ADMIN)
    assert created.status_code == 201, created.text
    eid: str = created.json()["id"]
    committed_entities.append(eid)
    return eid


async def test_concurrent_different_values_of_one_period_get_distinct_revisions(
    committing_client: httpx.AsyncClient, committed_enterprise: str
) -> None:
    responses = await asyncio.gather(*(record(committing_client, committed_enterprise, str(v)) for v in range(1, 9)))
    assert [r.status_code for r in responses] == [201] * 8
    assert sorted(r.json()["revision"] for r in responses) == list(range(1, 9))
    assert [r[3] for r in await history(committing_client, committed_enterprise)] == list(range(1, 9))


async def test_concurrent_identical_values_of_one_period_write_one_revision(
    committing_client: httpx.AsyncClient, committed_enterprise: str
) -> None:
    responses = await asyncio.gather(*(record(committing_client, committed_enterprise, "42") for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert {r.json()["id"] for r in responses} == {responses[0].json()["id"]}
    assert await history(committing_client, committed_enterprise) == [("revenue", 2024, None, 1, "42.0000")]
