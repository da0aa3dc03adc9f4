"""`GET /{kind}/{id}?as_of=`: one record as it stood on a date (its roster state and size then), as
the lists give it with the same `as_of`; without `as_of`, today's record from the read lane."""

from __future__ import annotations

from typing import Any

import httpx

from tests import factories
from tests.conftest import ADMIN, auth
from tests.test_roster import adjust, county_enterprise


async def _metric(client: httpx.AsyncClient, entity_id: str, year: int, value: str) -> None:
    body = {"entity_id": entity_id, "metric": "revenue", "year": year, "value": value}
    response = await client.post("/api/v1/metrics", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text


async def _as_of(client: httpx.AsyncClient, url: str, day: str, headers: dict[str, str] = ADMIN) -> httpx.Response:
    return await client.get(url, params={"as_of": day}, headers=headers)


def _state(item: dict[str, Any]) -> tuple[Any, ...]:
    return (item["level"], item["region_code"], item["target_tier"], item["roster_status"], item["standing"]["value"])


async def test_get_as_of_gives_the_roster_state_and_size_of_that_date(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/enterprises", json=county_enterprise(61), headers=ADMIN)
    eid = created.json()["id"]
    url = f"/api/v1/enterprises/{eid}"
    await _metric(client, eid, 2023, "5")
    assert (await adjust(client, eid, "promote", "2024-03-01")).status_code == 201
    await _metric(client, eid, 2024, "12")
    assert (await adjust(client, eid, "remove", "2024-09-01")).status_code == 201

    before = await _as_of(client, url, "2023-01-09")
    assert (before.status_code, before.json()["code"]) == (404, "enterprise_not_found")
    for day, expected in (
        ("2023-06-30", ("county", "430104", "billion", "listed", "5.0000")),
        ("2024-03-01", ("city", "430100", "ten_billion", "listed", "12.0000")),
        ("2024-10-01", ("city", "430100", "ten_billion", "removed", "12.0000")),
    ):
        response = await _as_of(client, url, day)
        assert response.status_code == 200, response.text
        assert _state(response.json()) == expected, day
        listed = await client.get(
            "/api/v1/enterprises", params={"as_of": day, "uscc": created.json()["uscc"]}, headers=ADMIN
        )
        assert response.json() == listed.json()["items"][0]
        assert response.headers["etag"] == f'"{response.json()["version"]}"'
    today = (await client.get(url, headers=ADMIN)).json()
    assert _state(today) == ("city", "430100", "ten_billion", "removed", "12.0000")


async def test_get_as_of_applies_the_scope_to_the_region_of_that_date(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/enterprises", json=county_enterprise(62), headers=ADMIN)
    url = f"/api/v1/enterprises/{created.json()['id']}"
    assert (await adjust(client, created.json()["id"], "promote", "2024-03-01")).status_code == 201
    county = auth("county", "430104")
    assert (await _as_of(client, url, "2023-06-30", county)).status_code == 200
    assert (await _as_of(client, url, "2024-06-30", county)).status_code == 404


async def test_get_as_of_serves_every_kind_and_refuses_a_bad_date(client: httpx.AsyncClient) -> None:
    for path, body in (
        ("industries", factories.industry(listed_on="2024-01-02")),
        ("projects", factories.project(63, listed_on="2024-01-02")),
    ):
        created = await client.post(f"/api/v1/{path}", json=body, headers=ADMIN)
        url = f"/api/v1/{path}/{created.json()['id']}"
        assert (await _as_of(client, url, "2024-01-01")).status_code == 404
        assert (await _as_of(client, url, "2024-01-02")).json() == created.json()
        bad = await _as_of(client, url, "2024-13-01")
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "as_of")
