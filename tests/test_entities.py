"""Industries, enterprises and projects through the API: create, read, change, delete, rules."""

from __future__ import annotations

from typing import Any

import httpx

from tests import factories
from tests.conftest import ADMIN, auth


async def create(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = await client.post(f"/api/v1/{path}", json=body, headers=headers or ADMIN)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_create_enterprise_returns_201_location_etag_and_normalised_uscc(client: httpx.AsyncClient) -> None:
    body = factories.enterprise(uscc=" 91430100ma4l7k3pxh ")
    response = await client.post("/api/v1/enterprises", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    data = response.json()
    assert response.headers["location"] == f"/api/v1/enterprises/{data['id']}"
    assert response.headers["etag"] == '"1"'
    assert data["uscc"] == "91430100MA4L7K3PXH"
    assert data["kind"] == "enterprise"
    assert data["roster_status"] == "listed"
    assert data["standing"] == {
        "metric": None,
        "year": None,
        "value": None,
        "actual_tier": None,
        "status": "no_data",
        "in_growth_band": False,
    }
    got = await client.get(f"/api/v1/enterprises/{data['id']}", headers=ADMIN)
    assert got.status_code == 200
    assert got.json() == data
    assert got.headers["etag"] == '"1"'


async def test_bad_uscc_check_character_is_422_and_creates_nothing(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/enterprises", json=factories.enterprise(uscc="91430100MA4L7K3PXJ"), headers=ADMIN
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "enterprise_uscc_invalid"
    assert problem["errors"] == [
        {"field": "uscc", "message": "统一社会信用代码校验位（第 18 位）错误", "code": "enterprise_uscc_invalid"}
    ]
    listing = await client.get("/api/v1/enterprises", headers=ADMIN)
    assert listing.json()["items"] == []


async def test_duplicate_uscc_is_409_naming_the_existing_record(client: httpx.AsyncClient) -> None:
    first = await create(client, "enterprises", factories.enterprise(1))
    response = await client.post("/api/v1/enterprises", json=factories.enterprise(1, name="另一家"), headers=ADMIN)
    assert response.status_code == 409
    assert response.json()["code"] == "enterprise_uscc_duplicate"
    assert response.json()["existing_id"] == first["id"]


async def test_level_region_mismatch_and_tier_not_allowed_are_field_errors(client: httpx.AsyncClient) -> None:
    body = factories.enterprise(level="city", region_code="430102", target_tier="trillion")
    response = await client.post("/api/v1/enterprises", json=body, headers=ADMIN)
    assert response.status_code == 422
    errors = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert errors == {"region_code": "level_region_mismatch", "target_tier": "tier_not_allowed"}


async def test_unknown_hunan_region_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/enterprises", json=factories.enterprise(region_code="439900"), headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "region_unknown"


async def test_non_hunan_region_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/enterprises", json=factories.enterprise(region_code="440100"), headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "level_region_mismatch"


async def test_province_echelon_tiers_are_allowed_for_province_industries(client: httpx.AsyncClient) -> None:
    data = await create(client, "industries", factories.industry(target_tier="eight_hundred_billion"))
    assert data["target_tier"] == "eight_hundred_billion"


async def test_parent_industry_must_be_of_a_higher_level(client: httpx.AsyncClient) -> None:
    province = await create(client, "industries", factories.industry())
    city = await create(
        client,
        "industries",
        factories.industry(
            name="长沙工程机械",
            level="city",
            region_code="430100",
            target_tier="hundred_billion",
            parent_industry_id=province["id"],
        ),
    )
    assert city["parent_industry_id"] == province["id"]
    bad = await client.post(
        "/api/v1/industries",
        json=factories.industry(name="另一个省级", parent_industry_id=city["id"]),
        headers=ADMIN,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["code"] == "parent_industry_not_above"


async def test_project_completion_before_start_is_422(client: httpx.AsyncClient) -> None:
    body = factories.project(actual_start_on="2024-05-01", actual_completion_on="2024-04-01")
    response = await client.post("/api/v1/projects", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "actual_completion_on",
        "message": "实际竣工日期不能早于实际开工日期",
        "code": "project_dates_order",
    }


async def test_negative_and_non_numeric_investment_are_422(client: httpx.AsyncClient) -> None:
    for value, code in (("-1", "greater_than_equal"), ("abc", "decimal_parsing"), (1.5e30, "decimal_max_digits")):
        response = await client.post("/api/v1/projects", json=factories.project(total_investment=value), headers=ADMIN)
        assert response.status_code == 422, value
        assert response.json()["errors"][0]["field"] == "total_investment"
        assert response.json()["errors"][0]["code"] == code


async def test_project_with_plans_and_approvals_round_trips(client: httpx.AsyncClient) -> None:
    body = factories.project(
        annual_plans=[{"year": 2024, "planned_investment": "3.5"}, {"year": 2025, "planned_investment": "9"}],
        approvals=[{"kind": "eia", "state": "approved", "applied_on": "2024-01-02", "approved_on": "2024-02-03"}],
        stage="under_construction",
        actual_start_on="2024-03-01",
        signing_event="中非经贸博览会",
        signed_on="2023-06-29",
    )
    data = await create(client, "projects", body)
    assert sorted((p["year"], p["planned_investment"]) for p in data["annual_plans"]) == [
        (2024, "3.5000"),
        (2025, "9.0000"),
    ]
    assert data["approvals"] == [
        {
            "kind": "eia",
            "state": "approved",
            "applied_on": "2024-01-02",
            "approved_on": "2024-02-03",
            "document_no": None,
            "committed_completion_on": None,
            "overdue": False,
        }
    ]
    assert data["total_investment"] == "12.5000"
    assert data["standing"]["actual_tier"] == "billion"
    assert data["standing"]["status"] == "achieved"


async def test_approvals_patched_with_and_without_dates_keep_every_date(client: httpx.AsyncClient) -> None:
    data = await create(client, "projects", factories.project())
    approvals = [
        {"kind": "approval_filing", "state": "approved"},
        {"kind": "eia", "state": "in_progress", "applied_on": "2024-01-02", "document_no": "长环评〔2024〕1号"},
    ]
    response = await client.patch(
        f"/api/v1/projects/{data['id']}", json={"approvals": approvals}, headers=ADMIN | {"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert [(a["kind"], a["applied_on"], a["document_no"]) for a in response.json()["approvals"]] == [
        ("approval_filing", None, None),
        ("eia", "2024-01-02", "长环评〔2024〕1号"),
    ]


async def test_unknown_field_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/industries", json=factories.industry(colour="red"), headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "colour", "message": "不允许的字段", "code": "extra_forbidden"}]


async def test_patch_changes_only_sent_fields_and_bumps_version(client: httpx.AsyncClient) -> None:
    data = await create(client, "enterprises", factories.enterprise())
    response = await client.patch(
        f"/api/v1/enterprises/{data['id']}", json={"labels": ["chain_master"]}, headers=ADMIN | {"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    assert response.json()["labels"] == ["chain_master"]
    assert response.json()["name"] == data["name"]
    stale = await client.patch(
        f"/api/v1/enterprises/{data['id']}", json={"name": "x"}, headers=ADMIN | {"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    missing = await client.patch(f"/api/v1/enterprises/{data['id']}", json={"name": "x"}, headers=ADMIN)
    assert missing.status_code == 428


async def test_out_of_scope_record_is_404_for_another_city(client: httpx.AsyncClient) -> None:
    data = await create(client, "enterprises", factories.enterprise())
    other_city = auth("city", "430200")
    assert (await client.get(f"/api/v1/enterprises/{data['id']}", headers=other_city)).status_code == 404
    own_city = auth("city", "430100")
    assert (await client.get(f"/api/v1/enterprises/{data['id']}", headers=own_city)).status_code == 200


async def test_list_filters_by_region_descendants_tier_label_and_chinese_name(client: httpx.AsyncClient) -> None:
    a = await create(client, "enterprises", factories.enterprise(1, name="长沙智能装备有限公司"))
    b = await create(
        client,
        "enterprises",
        factories.enterprise(
            2,
            name="岳麓智能科技有限公司",
            level="county",
            region_code="430104",
            target_tier="billion",
            labels=["leading"],
        ),
    )
    await create(
        client,
        "enterprises",
        factories.enterprise(
            3, name="株洲轨道装备有限公司", region_code="430200", uscc=factories.make_uscc(3, "430200")
        ),
    )

    async def ids(**params: str) -> list[str]:
        response = await client.get("/api/v1/enterprises", params=params | {"sort": "name"}, headers=ADMIN)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert set(await ids(region="430100")) == {a["id"], b["id"]}
    assert await ids(region="430100", tier="billion") == [b["id"]]
    assert await ids(label="leading") == [b["id"]]
    assert set(await ids(q="智能")) == {a["id"], b["id"]}
    assert await ids(q="轨道") == [(await ids(region="430200"))[0]]
    assert await ids(q="长") == [a["id"]]


async def test_unknown_list_filter_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/industries", params={"label": "leading"}, headers=ADMIN)
    assert response.status_code == 422


async def test_cursor_pages_cover_every_row_once(client: httpx.AsyncClient) -> None:
    created = {(await create(client, "enterprises", factories.enterprise(n)))["id"] for n in range(1, 8)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "3", "sort": "name"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/v1/enterprises", params=params, headers=ADMIN)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7
    assert set(seen) == created


async def test_delete_without_history_is_204(client: httpx.AsyncClient) -> None:
    data = await create(client, "projects", factories.project())
    response = await client.delete(f"/api/v1/projects/{data['id']}", headers=ADMIN | {"If-Match": '"1"'})
    assert response.status_code == 204
    assert (await client.get(f"/api/v1/projects/{data['id']}", headers=ADMIN)).status_code == 404


async def test_patch_null_on_a_required_field_is_422(client: httpx.AsyncClient) -> None:
    data = await create(client, "enterprises", factories.enterprise())
    response = await client.patch(
        f"/api/v1/enterprises/{data['id']}", json={"name": None, "labels": None}, headers=ADMIN | {"If-Match": '"1"'}
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"name", "labels"}
    cleared = await client.patch(
        f"/api/v1/enterprises/{data['id']}", json={"pathway": None}, headers=ADMIN | {"If-Match": '"1"'}
    )
    assert cleared.status_code == 200
    assert cleared.json()["pathway"] is None


async def test_listing_date_in_the_future_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/industries", json=factories.industry(listed_on="2999-01-01"), headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "listed_on_future"


async def test_backdated_listing_is_kept_as_the_inclusion_date(client: httpx.AsyncClient) -> None:
    data = await create(
        client, "industries", factories.industry(listed_on="2022-01-19", document_ref="湘政办发〔2022〕4号")
    )
    assert data["listed_on"] == "2022-01-19"
    history = await client.get("/api/v1/roster-adjustments", params={"entity_id": data["id"]}, headers=ADMIN)
    assert [(a["action"], a["effective_on"], a["document_ref"]) for a in history.json()["items"]] == [
        ("include", "2022-01-19", "湘政办发〔2022〕4号")
    ]


async def test_duplicate_uscc_held_outside_the_callers_scope_names_no_record(client: httpx.AsyncClient) -> None:
    zhuzhou = factories.enterprise(31, name="株洲保密企业", region_code="430200")
    assert (await client.post("/api/v1/enterprises", json=zhuzhou, headers=ADMIN)).status_code == 201
    county = factories.enterprise(32, level="county", region_code="430102", target_tier="billion")
    response = await client.post(
        "/api/v1/enterprises", json=county | {"uscc": zhuzhou["uscc"]}, headers=auth("county", "430102")
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "enterprise_uscc_duplicate"
    assert "existing_id" not in problem and "existing_name" not in problem
    assert "株洲保密企业" not in response.text


async def test_duplicate_project_code_held_outside_the_callers_scope_names_no_record(client: httpx.AsyncClient) -> None:
    hidden = factories.project(33, name="株洲保密项目", level="city", region_code="430200", target_tier="billion")
    assert (await client.post("/api/v1/projects", json=hidden, headers=ADMIN)).status_code == 201
    mine = factories.project(34, region_code="430102")
    created = await client.post("/api/v1/projects", json=mine, headers=auth("county", "430102"))
    assert created.status_code == 201, created.text
    response = await client.patch(
        f"/api/v1/projects/{created.json()['id']}",
        json={"project_code": hidden["project_code"]},
        headers=auth("county", "430102") | {"If-Match": '"1"'},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "project_code_duplicate"
    assert "existing_id" not in response.json() and "株洲保密项目" not in response.text


async def test_duplicate_uscc_inside_the_callers_scope_names_the_record(client: httpx.AsyncClient) -> None:
    first = await client.post("/api/v1/enterprises", json=factories.enterprise(35), headers=ADMIN)
    again = factories.enterprise(36) | {"uscc": factories.make_uscc(35)}
    response = await client.post("/api/v1/enterprises", json=again, headers=auth("city", "430100"))
    assert response.status_code == 409
    assert (response.json()["existing_id"], response.json()["existing_name"]) == (
        first.json()["id"],
        first.json()["name"],
    )
