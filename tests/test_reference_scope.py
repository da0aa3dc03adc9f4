"""Which reference data every caller reads, and which only callers whose scope covers its region.

Province-wide: regions, departments and chains (every caller names them in its writes). Scoped: parks
and persons, which belong to a region: a city or county caller lists only those of its regions and
gets 404 for the others' by id, as for entities; a clash with one it cannot see names no record.
"""

from __future__ import annotations

import httpx

from tests import factories
from tests.conftest import ADMIN, auth

CITY_CS = auth("city", "430100")
COUNTY_FR = auth("county", "430102")


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, object]) -> str:
    response = await client.post(f"/api/v1/{path}", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_parks_are_listed_and_read_only_within_the_callers_scope(client: httpx.AsyncClient) -> None:
    ours = await _post(client, "parks", {"name": "芙蓉园区", "grade": "provincial", "region_code": "430102"})
    theirs = await _post(client, "parks", {"name": "株洲园区", "grade": "provincial", "region_code": "430202"})
    for headers, expected in ((ADMIN, {ours, theirs}), (CITY_CS, {ours}), (COUNTY_FR, {ours})):
        listed = (await client.get("/api/v1/parks", headers=headers)).json()["items"]
        assert {p["id"] for p in listed} == expected
    hidden = await client.get(f"/api/v1/parks/{theirs}", headers=CITY_CS)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "park_not_found")
    assert (await client.get(f"/api/v1/parks/{ours}", headers=COUNTY_FR)).status_code == 200
    assert (await client.get(f"/api/v1/parks/{theirs}", headers=auth("viewer", "430000"))).status_code == 200


async def test_persons_are_listed_and_read_only_within_the_callers_scope(client: httpx.AsyncClient) -> None:
    ours = await _post(client, "persons", {"name": "李四", "region_code": "430100"})
    theirs = await _post(client, "persons", {"name": "王五", "region_code": "430200"})
    listed = (await client.get("/api/v1/persons", headers=CITY_CS)).json()["items"]
    assert [p["id"] for p in listed] == [ours]
    hidden = await client.get(f"/api/v1/persons/{theirs}", headers=CITY_CS)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "person_not_found")
    county = (await client.get("/api/v1/persons", headers=COUNTY_FR)).json()["items"]
    assert county == []  # a city's person lies above the county, outside its scope


async def test_out_of_scope_park_answers_404_to_writes_too(client: httpx.AsyncClient) -> None:
    theirs = await _post(client, "parks", {"name": "株洲写园区", "grade": "provincial", "region_code": "430202"})
    headers = CITY_CS | {"If-Match": '"1"'}
    patched = await client.patch(f"/api/v1/parks/{theirs}", json={"five_good": True}, headers=headers)
    deleted = await client.delete(f"/api/v1/parks/{theirs}", headers=headers)
    assert [(r.status_code, r.json()["code"]) for r in (patched, deleted)] == [(404, "park_not_found")] * 2


async def test_a_park_name_taken_outside_the_callers_scope_names_no_record(client: httpx.AsyncClient) -> None:
    await _post(client, "parks", {"name": "同名园区", "grade": "provincial", "region_code": "430202"})
    body = {"name": "同名园区", "grade": "provincial", "region_code": "430102"}
    clash = await client.post("/api/v1/parks", json=body, headers=CITY_CS)
    assert (clash.status_code, clash.json()["code"]) == (409, "park_duplicate")
    assert "existing_id" not in clash.json()


async def test_regions_departments_and_chains_are_province_wide(client: httpx.AsyncClient) -> None:
    chain = await _post(client, "chains", {"name": "全省可见产业链"})
    department = await _post(
        client, "departments", {"code": "zz-dept", "name": "株洲某局", "level": "city", "region_code": "430200"}
    )
    assert (await client.get(f"/api/v1/chains/{chain}", headers=COUNTY_FR)).status_code == 200
    assert (await client.get(f"/api/v1/departments/{department}", headers=COUNTY_FR)).status_code == 200
    departments = (await client.get("/api/v1/departments?region=430200", headers=COUNTY_FR)).json()["items"]
    assert [d["id"] for d in departments] == [department]
    assert (await client.get("/api/v1/regions/430200", headers=COUNTY_FR)).status_code == 200
    regions = (await client.get("/api/v1/regions", headers=COUNTY_FR)).json()["items"]
    assert len(regions) == 137


async def test_a_write_may_link_only_the_parks_and_persons_its_caller_can_see(client: httpx.AsyncClient) -> None:
    own_park = await _post(client, "parks", {"name": "长沙链接园区", "grade": "provincial", "region_code": "430102"})
    their_park = await _post(client, "parks", {"name": "株洲链接园区", "grade": "provincial", "region_code": "430202"})
    their_person = await _post(client, "persons", {"name": "赵六", "region_code": "430200"})
    body = factories.enterprise(71, park_ids=[their_park], person_ids=[their_person])
    refused = await client.post("/api/v1/enterprises", json=body, headers=CITY_CS)
    assert refused.status_code == 422, refused.text
    assert {(e["field"], e["code"]) for e in refused.json()["errors"]} == {
        ("park_ids", "park_unknown"),
        ("person_ids", "person_unknown"),
    }
    listed = (await client.get("/api/v1/enterprises", headers=ADMIN)).json()["items"]
    assert body["uscc"] not in {e["uscc"] for e in listed}
    created = await client.post(
        "/api/v1/enterprises", json=factories.enterprise(72, park_ids=[own_park]), headers=CITY_CS
    )
    assert created.status_code == 201, created.text
    assert created.json()["park_ids"] == [own_park]
    # The office sees every park and may link any.
    linked = await client.post(
        "/api/v1/enterprises", json=factories.enterprise(73, park_ids=[their_park]), headers=ADMIN
    )
    assert linked.status_code == 201, linked.text
