"""Reference data over HTTP: regions, departments, chains, parks and persons, with audit and change feed."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests import factories
from tests.conftest import ADMIN, auth

CITY_CS = auth("city", "430100")
COUNTY_ZZ = auth("county", "430202")
VIEWER = auth("viewer", "430000")


async def make_park(client: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    body = {"name": name, "grade": "provincial", "region_code": "430102"} | fields
    response = await client.post("/api/v1/parks", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def names(client: httpx.AsyncClient, query: str, headers: dict[str, str] = ADMIN) -> list[str]:
    response = await client.get(f"/api/v1/parks?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_regions_list_all_137_hunan_units(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/regions", headers=VIEWER)).json()
    levels = [r["level"] for r in body["items"]]
    assert (len(levels), levels.count("province"), levels.count("city"), levels.count("county")) == (137, 1, 14, 122)
    assert body["items"][0] == {
        "code": "430000",
        "name": "湖南省",
        "level": "province",
        "parent_code": None,
        "county_type": None,
    }
    assert body["next_cursor"] is None


async def test_region_detail_lists_its_direct_children(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions/430100", headers=ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["name"], body["level"], body["parent_code"]) == ("430100", "长沙市", "city", "430000")
    assert [c["code"] for c in body["children"]] == [
        "430102", "430103", "430104", "430105", "430111", "430112", "430121", "430181", "430182",
    ]  # fmt: skip
    assert {c["level"] for c in body["children"]} == {"county"}


async def test_unknown_region_is_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions/439999", headers=ADMIN)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "region_not_found"


async def test_ten_departments_are_seeded(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/departments?limit=200", headers=ADMIN)).json()
    assert len(body["items"]) == 10
    assert body["next_cursor"] is None
    industry = next(d for d in body["items"] if d["code"] == "industry-it")
    assert (industry["name"], industry["level"], industry["region_code"], industry["domains"]) == (
        "湖南省工业和信息化厅",
        "province",
        "430000",
        ["industry_it"],
    )


async def test_create_city_department_is_201_with_location_and_etag(client: httpx.AsyncClient) -> None:
    body = {"code": "cs-industry", "name": "长沙市工业和信息化局", "level": "city", "region_code": "430100"}
    response = await client.post("/api/v1/departments", json=body | {"domains": ["industry_it"]}, headers=CITY_CS)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/api/v1/departments/{created['id']}"
    assert response.headers["etag"] == '"1"'
    assert (created["code"], created["level"], created["domains"], created["version"]) == (
        "cs-industry",
        "city",
        ["industry_it"],
        1,
    )
    fetched = await client.get(response.headers["location"], headers=VIEWER)
    assert fetched.json() == created


async def test_duplicate_department_code_or_name_is_409_naming_existing(client: httpx.AsyncClient) -> None:
    listing = (await client.get("/api/v1/departments?q=工业和信息化厅", headers=ADMIN)).json()["items"]
    assert len(listing) == 1
    existing_id = listing[0]["id"]
    for clash in (
        {"code": "industry-it", "name": "另一个部门"},
        {"code": "other-dept", "name": "湖南省工业和信息化厅"},
    ):
        body = clash | {"level": "province", "region_code": "430000"}
        response = await client.post("/api/v1/departments", json=body, headers=ADMIN)
        assert response.status_code == 409
        assert response.json()["code"] == "department_duplicate"
        assert response.json()["existing_id"] == existing_id


async def test_department_level_region_mismatch_is_422_field_error(client: httpx.AsyncClient) -> None:
    body = {"code": "bad-level", "name": "错级部门", "level": "city", "region_code": "430102"}
    response = await client.post("/api/v1/departments", json=body, headers=ADMIN)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "level_region_mismatch"
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("region_code", "level_region_mismatch")]


async def test_department_in_unknown_region_is_422_region_unknown(client: httpx.AsyncClient) -> None:
    body = {"code": "nowhere", "name": "虚构县部门", "level": "county", "region_code": "439999"}
    response = await client.post("/api/v1/departments", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["code"] == "region_unknown"
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("region_code", "region_unknown")]


async def test_department_list_filters_by_level_and_region(client: httpx.AsyncClient) -> None:
    body = {"code": "zz-commerce", "name": "株洲市商务局", "level": "city", "region_code": "430200"}
    assert (await client.post("/api/v1/departments", json=body, headers=ADMIN)).status_code == 201
    for query, expected in (("level=city", 1), ("region=430200", 1), ("region=430100", 0), ("level=province", 10)):
        items = (await client.get(f"/api/v1/departments?{query}", headers=ADMIN)).json()["items"]
        assert len(items) == expected, query
    city = (await client.get("/api/v1/departments?level=city", headers=ADMIN)).json()["items"]
    assert [d["code"] for d in city] == ["zz-commerce"]


async def test_chain_writes_are_admin_only(client: httpx.AsyncClient) -> None:
    body = {"name": "测试产业链", "group_name": "测试分组"}
    denied = await client.post("/api/v1/chains", json=body, headers=CITY_CS)
    assert denied.status_code == 403
    assert denied.json()["code"] == "role_admin_required"
    created = await client.post("/api/v1/chains", json=body, headers=ADMIN)
    assert created.status_code == 201
    patch = await client.patch(
        f"/api/v1/chains/{created.json()['id']}", json={"leader_name": "某某"}, headers=CITY_CS | {"If-Match": '"1"'}
    )
    assert patch.status_code == 403
    assert patch.json()["code"] == "role_admin_required"


async def test_park_list_filters_by_grade_five_good_and_region_with_descendants(client: httpx.AsyncClient) -> None:
    await make_park(client, "长沙经开区", grade="national", five_good=True, region_code="430121")
    await make_park(client, "芙蓉园中园", grade="park_in_park", region_code="430102")
    await make_park(client, "长沙市工业集中区", grade="concentration_zone", region_code="430100")
    await make_park(client, "株洲高新区", grade="national", region_code="430211")
    assert sorted(await names(client, "grade=national")) == sorted(["长沙经开区", "株洲高新区"])
    assert await names(client, "five_good=true") == ["长沙经开区"]
    assert sorted(await names(client, "region=430100")) == sorted(["长沙经开区", "芙蓉园中园", "长沙市工业集中区"])
    assert await names(client, "region=430102") == ["芙蓉园中园"]
    assert await names(client, "region=430200&grade=national") == ["株洲高新区"]
    assert sorted(await names(client, "region=430000")) == sorted(
        ["长沙经开区", "芙蓉园中园", "长沙市工业集中区", "株洲高新区"]
    )


async def test_park_list_q_matches_chinese_substring(client: httpx.AsyncClient) -> None:
    await make_park(client, "湘江新区智能制造产业园")
    await make_park(client, "浏阳经开区", region_code="430181")
    assert await names(client, "q=智能制造") == ["湘江新区智能制造产业园"]
    assert await names(client, "q=经开") == ["浏阳经开区"]
    assert await names(client, "q=100%") == []


async def test_park_cursor_pages_are_stable_under_inserts(client: httpx.AsyncClient) -> None:
    for i in range(1, 6):
        await make_park(client, f"分页园区{i:02d}")
    first = (await client.get("/api/v1/parks?limit=2&q=分页园区", headers=ADMIN)).json()
    assert [p["name"] for p in first["items"]] == ["分页园区01", "分页园区02"]
    cursor = first["next_cursor"]
    await make_park(client, "分页园区00")
    second = (await client.get(f"/api/v1/parks?limit=2&q=分页园区&cursor={cursor}", headers=ADMIN)).json()
    assert [p["name"] for p in second["items"]] == ["分页园区03", "分页园区04"]
    again = (await client.get(f"/api/v1/parks?limit=2&q=分页园区&cursor={cursor}", headers=ADMIN)).json()
    assert again == second
    last = (await client.get(f"/api/v1/parks?limit=2&q=分页园区&cursor={second['next_cursor']}", headers=ADMIN)).json()
    assert [p["name"] for p in last["items"]] == ["分页园区05"]
    assert last["next_cursor"] is None


async def test_park_sort_descending_by_name_pages_backwards(client: httpx.AsyncClient) -> None:
    for i in range(1, 4):
        await make_park(client, f"倒序园区{i}")
    first = (await client.get("/api/v1/parks?sort=-name&limit=2&q=倒序园区", headers=ADMIN)).json()
    assert [p["name"] for p in first["items"]] == ["倒序园区3", "倒序园区2"]
    rest = f"/api/v1/parks?sort=-name&limit=2&q=倒序园区&cursor={first['next_cursor']}"
    assert [p["name"] for p in (await client.get(rest, headers=ADMIN)).json()["items"]] == ["倒序园区1"]
    wrong_sort = await client.get(f"/api/v1/parks?sort=name&cursor={first['next_cursor']}", headers=ADMIN)
    assert (wrong_sort.status_code, wrong_sort.json()["code"]) == (422, "cursor_invalid")


async def test_park_sort_on_unknown_field_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/parks?sort=grade", headers=ADMIN)
    assert (response.status_code, response.json()["code"]) == (422, "sort_invalid")


async def test_person_contacts_full_for_covering_scope_and_masked_outside(client: httpx.AsyncClient) -> None:
    body = {"name": "张三", "region_code": "430102", "phone": "13812345678", "email": "zhangsan@example.com"}
    created = await client.post("/api/v1/persons", json=body, headers=CITY_CS)
    assert created.status_code == 201, created.text
    url = f"/api/v1/persons/{created.json()['id']}"
    for headers in (ADMIN, CITY_CS, auth("county", "430102")):
        person = (await client.get(url, headers=headers)).json()
        assert (person["phone"], person["email"], person["masked"]) == ("13812345678", "zhangsan@example.com", False)
    # Outside its scope a caller meets the person only as responsible for a record it may read.
    project = factories.project(1, region_code="430202", person_ids=[created.json()["id"]])
    linked = await client.post("/api/v1/projects", json=project, headers=ADMIN)
    assert linked.status_code == 201, linked.text
    read = (await client.get(f"/api/v1/projects/{linked.json()['id']}", headers=COUNTY_ZZ)).json()
    [masked] = read["persons"]
    assert (masked["phone"], masked["email"], masked["masked"]) == ("138****5678", "z***@example.com", True)
    assert (await client.get(url, headers=COUNTY_ZZ)).status_code == 404


async def test_patch_without_if_match_is_428(client: httpx.AsyncClient) -> None:
    park = await make_park(client, "无条件园区")
    response = await client.patch(f"/api/v1/parks/{park['id']}", json={"five_good": True}, headers=ADMIN)
    assert response.status_code == 428
    assert response.json()["code"] == "precondition_required"


async def test_patch_with_stale_etag_is_412(client: httpx.AsyncClient) -> None:
    park = await make_park(client, "过期版本园区")
    url = f"/api/v1/parks/{park['id']}"
    assert (await client.patch(url, json={"five_good": True}, headers=ADMIN | {"If-Match": '"1"'})).status_code == 200
    response = await client.patch(url, json={"grade": "national"}, headers=ADMIN | {"If-Match": '"1"'})
    assert response.status_code == 412
    assert (response.json()["code"], response.json()["version"]) == ("precondition_failed", 2)
    assert (await client.get(url, headers=ADMIN)).json()["grade"] == "provincial"


async def test_patch_with_current_etag_changes_only_sent_fields_and_bumps_version(client: httpx.AsyncClient) -> None:
    park = await make_park(client, "待修改园区", grade="provincial", five_good=False)
    url = f"/api/v1/parks/{park['id']}"
    etag = (await client.get(url, headers=ADMIN)).headers["etag"]
    assert etag == '"1"'
    response = await client.patch(url, json={"grade": "national"}, headers=ADMIN | {"If-Match": etag})
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    changed = response.json()
    assert (changed["name"], changed["grade"], changed["five_good"], changed["version"]) == (
        "待修改园区",
        "national",
        False,
        2,
    )
    assert (await client.get(url, headers=ADMIN)).headers["etag"] == '"2"'


async def test_patch_with_null_for_required_field_is_422(client: httpx.AsyncClient) -> None:
    park = await make_park(client, "空值园区")
    url = f"/api/v1/parks/{park['id']}"
    response = await client.patch(url, json={"name": None}, headers=ADMIN | {"If-Match": '"1"'})
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("name", "null_not_allowed")]
    assert (await client.get(url, headers=ADMIN)).json()["name"] == "空值园区"


async def test_patch_to_a_taken_name_is_409_naming_existing(client: httpx.AsyncClient) -> None:
    first = await make_park(client, "先到园区")
    second = await make_park(client, "后到园区")
    url = f"/api/v1/parks/{second['id']}"
    response = await client.patch(url, json={"name": "先到园区"}, headers=ADMIN | {"If-Match": '"1"'})
    assert (response.status_code, response.json()["code"]) == (409, "park_duplicate")
    assert response.json()["existing_id"] == first["id"]
    stale = await client.patch(url, json={"name": "先到园区"}, headers=ADMIN | {"If-Match": '"5"'})
    assert (stale.status_code, stale.json()["code"]) == (412, "precondition_failed")


async def test_malformed_if_match_is_412_and_weak_etag_is_accepted(client: httpx.AsyncClient) -> None:
    park = await make_park(client, "标签园区")
    url = f"/api/v1/parks/{park['id']}"
    bad = await client.patch(url, json={"five_good": True}, headers=ADMIN | {"If-Match": "version-1"})
    assert (bad.status_code, bad.json()["code"]) == (412, "if_match_invalid")
    weak = await client.patch(url, json={"five_good": True}, headers=ADMIN | {"If-Match": 'W/"1"'})
    assert (weak.status_code, weak.headers["etag"]) == (200, '"2"')


async def test_person_in_unknown_department_is_422_department_unknown(client: httpx.AsyncClient) -> None:
    body = {"name": "李四", "region_code": "430100", "department_id": "00000000-0000-0000-0000-000000000001"}
    response = await client.post("/api/v1/persons", json=body, headers=ADMIN)
    assert (response.status_code, response.json()["code"]) == (422, "department_unknown")
    assert [e["field"] for e in response.json()["errors"]] == ["department_id"]


async def test_delete_with_if_match_is_204_then_get_is_404(client: httpx.AsyncClient) -> None:
    park = await make_park(client, "待删除园区")
    url = f"/api/v1/parks/{park['id']}"
    assert (await client.delete(url, headers=ADMIN)).status_code == 428
    assert (await client.delete(url, headers=ADMIN | {"If-Match": '"9"'})).status_code == 412
    response = await client.delete(url, headers=ADMIN | {"If-Match": '"1"'})
    assert response.status_code == 204
    assert response.content == b""
    gone = await client.get(url, headers=ADMIN)
    assert (gone.status_code, gone.json()["code"]) == (404, "park_not_found")


async def test_unknown_body_field_is_422_extra_forbidden(client: httpx.AsyncClient) -> None:
    body = {"name": "多字段园区", "grade": "national", "region_code": "430100", "colour": "red"}
    response = await client.post("/api/v1/parks", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "colour", "message": "不允许的字段", "code": "extra_forbidden"}]


async def test_nul_byte_in_name_is_422_string_nul_byte(client: httpx.AsyncClient) -> None:
    body = {"name": "园\x00区", "grade": "national", "region_code": "430100"}
    response = await client.post("/api/v1/parks", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["code"] == "string_nul_byte"
    assert response.json()["errors"] == [{"field": "name", "message": "不允许包含 NUL 字符", "code": "string_nul_byte"}]


async def test_over_long_name_is_422_string_too_long(client: httpx.AsyncClient) -> None:
    body = {"name": "园" * 201, "grade": "national", "region_code": "430100"}
    response = await client.post("/api/v1/parks", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "name", "message": "字符串过长（最多 200 个字符）", "code": "string_too_long"}
    ]


async def test_viewer_cannot_write(client: httpx.AsyncClient) -> None:
    park = await make_park(client, "只读园区")
    body = {"name": "观察员园区", "grade": "national", "region_code": "430100"}
    created = await client.post("/api/v1/parks", json=body, headers=VIEWER)
    patched = await client.patch(f"/api/v1/parks/{park['id']}", json={}, headers=VIEWER | {"If-Match": '"1"'})
    deleted = await client.delete(f"/api/v1/parks/{park['id']}", headers=VIEWER | {"If-Match": '"1"'})
    for response in (created, patched, deleted):
        assert (response.status_code, response.json()["code"]) == (403, "role_read_only")


async def test_operator_cannot_write_outside_its_region(client: httpx.AsyncClient) -> None:
    body = {"name": "越权园区", "grade": "national", "region_code": "430102"}
    response = await client.post("/api/v1/parks", json=body, headers=COUNTY_ZZ)
    assert (response.status_code, response.json()["code"]) == (403, "region_out_of_scope")
    assert await names(client, "q=越权园区") == []


async def test_each_park_write_is_audited_with_actor_and_request_id(client: httpx.AsyncClient) -> None:
    body = {"name": "审计园区", "grade": "provincial", "region_code": "430102"}
    created = (await client.post("/api/v1/parks", json=body, headers=CITY_CS | {"X-Request-ID": "req-c"})).json()
    url = f"/api/v1/parks/{created['id']}"
    await client.patch(url, json={"five_good": True}, headers=CITY_CS | {"If-Match": '"1"', "X-Request-ID": "req-u"})
    await client.delete(url, headers=CITY_CS | {"If-Match": '"2"', "X-Request-ID": "req-d"})
    query = f"/api/v1/audit-events?resource_type=park&resource_id={created['id']}"
    events = (await client.get(query, headers=ADMIN)).json()["items"]
    assert [(e["action"], e["request_id"]) for e in events] == [
        ("delete", "req-d"),
        ("update", "req-u"),
        ("create", "req-c"),
    ]
    assert {(e["actor_sub"], e["actor_role"], e["actor_region"]) for e in events} == {
        ("city-430100-x", "city", "430100")
    }
    delete, update, create = events
    assert create["before"] is None
    assert (create["after"]["name"], create["after"]["five_good"], create["after"]["version"]) == ("审计园区", False, 1)
    assert (update["before"]["five_good"], update["after"]["five_good"], update["after"]["version"]) == (False, True, 2)
    assert (delete["before"]["version"], delete["after"]) == (2, None)


async def test_audit_events_are_admin_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/audit-events", headers=CITY_CS)
    assert (response.status_code, response.json()["code"]) == (403, "role_admin_required")


async def test_reference_writes_append_to_the_change_feed(
    client: httpx.AsyncClient, db_session: async_sessionmaker[AsyncSession]
) -> None:
    park = await make_park(client, "变更园区")
    url = f"/api/v1/parks/{park['id']}"
    await client.patch(url, json={"grade": "national"}, headers=ADMIN | {"If-Match": '"1"'})
    await client.delete(url, headers=ADMIN | {"If-Match": '"2"'})
    async with db_session() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT resource_type, action, payload FROM registry.change_event"
                    " WHERE resource_id = :id ORDER BY id"
                ),
                {"id": park["id"]},
            )
        ).all()
    assert [(r.resource_type, r.action) for r in rows] == [
        ("park", "created"),
        ("park", "updated"),
        ("park", "deleted"),
    ]
    assert (rows[0].payload["name"], rows[0].payload["grade"]) == ("变更园区", "provincial")
    assert (rows[1].payload["grade"], rows[1].payload["version"]) == ("national", 2)
    assert rows[2].payload == {"id": park["id"]}
