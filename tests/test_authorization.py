"""The authorization matrix: every route × admin, department (led and not led domain), city, county,
viewer, another region, service and no token. Each cell is its own test, in a rolled-back transaction.

The record under test is a county-level (430104 岳麓区) industry/IT entity, so: the city 430100 and
the county 430104 cover it, the city 430200 does not (404 on reads of it, 403 on creating there),
the industry department leads its domain and the agriculture department does not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests import factories
from tests.conftest import ADMIN, auth

ROLES: dict[str, dict[str, str]] = {
    "admin": auth("admin", "430000"),
    "dept_led": auth("department", "430000", department="industry-it"),
    "dept_other": auth("department", "430000", department="agriculture-rural"),
    "city": auth("city", "430100"),
    "county": auth("county", "430104"),
    "viewer": auth("viewer", "430000"),
    "other_city": auth("city", "430200"),
    "service": auth("service", "430000"),
    "none": {},
}

Setup = Callable[[httpx.AsyncClient], Awaitable[dict[str, Any]]]


async def _nothing(_: httpx.AsyncClient) -> dict[str, Any]:
    return {}


def _entity_setup(path: str, body: dict[str, Any]) -> Setup:
    async def setup(client: httpx.AsyncClient) -> dict[str, Any]:
        response = await client.post(f"/api/v1/{path}", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        return {"id": response.json()["id"]}

    return setup


async def _park(client: httpx.AsyncClient) -> dict[str, Any]:
    body = {"name": "岳麓山大学科技城", "grade": "provincial", "region_code": "430104"}
    response = await client.post("/api/v1/parks", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return {"id": response.json()["id"]}


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # may name {id} from the setup
    expected: dict[str, int]
    setup: Setup = _nothing
    body: dict[str, Any] | None = None
    if_match: bool = False

    def payload(self, ids: dict[str, Any]) -> dict[str, Any] | None:
        """The body, with `{id}` placeholders filled from the setup (in nested items too)."""
        if self.body is None:
            return None
        filled: dict[str, Any] = _fill(self.body, ids)
        return filled


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _row(
    admin: int,
    dept_led: int,
    dept_other: int,
    city: int,
    county: int,
    viewer: int,
    other_city: int,
    service: int,
    none: int = 401,
) -> dict[str, int]:
    return {
        "admin": admin,
        "dept_led": dept_led,
        "dept_other": dept_other,
        "city": city,
        "county": county,
        "viewer": viewer,
        "other_city": other_city,
        "service": service,
        "none": none,
    }


READ_ALL = _row(200, 200, 200, 200, 200, 200, 200, 200)
READ_SCOPED = _row(200, 200, 200, 200, 200, 200, 404, 200)
ENTITY_CREATE = _row(201, 201, 403, 201, 201, 403, 403, 403)
ENTITY_PATCH = _row(200, 200, 403, 200, 200, 403, 404, 403)
ENTITY_DELETE = _row(204, 204, 403, 204, 204, 403, 404, 403)
REGION_CREATE = _row(201, 201, 201, 201, 201, 403, 403, 403)
# Parks and persons are seen only within the caller's scope: another city's is absent for it (404).
REGION_PATCH = _row(200, 200, 200, 200, 200, 403, 404, 403)
ADMIN_ONLY_CREATE = _row(201, 403, 403, 403, 403, 403, 403, 403)
ADMIN_ONLY_READ = _row(200, 403, 403, 403, 403, 403, 403, 403)
FEED = _row(200, 403, 403, 403, 403, 403, 403, 200)

COUNTY_ENTERPRISE = factories.enterprise(
    7,
    level="county",
    region_code="430104",
    target_tier="billion",
    uscc=factories.make_uscc(7, "430104"),
    listed_on="2023-01-10",
)
COUNTY_INDUSTRY = factories.industry(level="county", region_code="430104", target_tier="ten_billion")
COUNTY_PROJECT = factories.project(7)

CASES: dict[str, Case] = {
    "regions.list": Case("GET", "/api/v1/regions", READ_ALL),
    "regions.get": Case("GET", "/api/v1/regions/430104", READ_ALL),
    "enums": Case("GET", "/api/v1/enums", READ_ALL),
    "departments.list": Case("GET", "/api/v1/departments", READ_ALL),
    "chains.create": Case(
        "POST", "/api/v1/chains", ADMIN_ONLY_CREATE, body={"name": "先进储能材料", "group_name": "测试"}
    ),
    "parks.create": Case(
        "POST",
        "/api/v1/parks",
        REGION_CREATE,
        body={"name": "岳麓高新区", "grade": "provincial", "region_code": "430104"},
    ),
    "parks.get": Case("GET", "/api/v1/parks/{id}", READ_SCOPED, setup=_park),
    "parks.update": Case(
        "PATCH", "/api/v1/parks/{id}", REGION_PATCH, setup=_park, body={"five_good": True}, if_match=True
    ),
    "audit.list": Case("GET", "/api/v1/audit-events", ADMIN_ONLY_READ),
    "events.list": Case("GET", "/api/v1/events", FEED),
}
for path, body in (("enterprises", COUNTY_ENTERPRISE), ("industries", COUNTY_INDUSTRY), ("projects", COUNTY_PROJECT)):
    setup = _entity_setup(path, body)
    CASES |= {
        f"{path}.list": Case("GET", f"/api/v1/{path}", READ_ALL),
        f"{path}.get": Case("GET", f"/api/v1/{path}/{{id}}", READ_SCOPED, setup=setup),
        f"{path}.create": Case("POST", f"/api/v1/{path}", ENTITY_CREATE, body=body),
        f"{path}.update": Case(
            "PATCH", f"/api/v1/{path}/{{id}}", ENTITY_PATCH, setup=setup, body={"name": "改名"}, if_match=True
        ),
        f"{path}.delete": Case("DELETE", f"/api/v1/{path}/{{id}}", ENTITY_DELETE, setup=setup, if_match=True),
        f"{path}.history": Case("GET", f"/api/v1/{path}/{{id}}/history", READ_SCOPED, setup=setup),
    }
CASES["projects.approvals.update"] = Case(
    "PATCH",
    "/api/v1/projects/{id}/approvals/eia",
    ENTITY_PATCH,
    setup=_entity_setup("projects", COUNTY_PROJECT),
    body={"state": "in_progress", "committed_completion_on": "2027-03-31"},
    if_match=True,
)

ENTERPRISE_SETUP = _entity_setup("enterprises", COUNTY_ENTERPRISE)
# Promoting the county enterprise to its city: the county operator cannot write the city level.
ROSTER_CREATE = _row(201, 201, 403, 201, 403, 403, 404, 403)
# The same promotion in a batch (all or nothing): a caller who may not apply it alone gets the batch's
# 422 naming the item (its 403 or 404 inside); read-only roles are refused as a whole.
ROSTER_BATCH = _row(200, 200, 422, 200, 422, 403, 422, 403)
METRIC_CREATE = _row(201, 201, 403, 201, 201, 403, 404, 201)
CASES |= {
    "roster.create": Case(
        "POST",
        "/api/v1/roster-adjustments",
        ROSTER_CREATE,
        setup=ENTERPRISE_SETUP,
        body={"entity_id": "{id}", "action": "promote", "reason": "营收突破百亿", "effective_on": "2024-03-01"},
    ),
    "roster.batch": Case(
        "POST",
        "/api/v1/roster-adjustments:batch",
        ROSTER_BATCH,
        setup=ENTERPRISE_SETUP,
        body={
            "items": [
                {"entity_id": "{id}", "action": "promote", "reason": "营收突破百亿", "effective_on": "2024-03-01"}
            ]
        },
    ),
    "roster.list": Case("GET", "/api/v1/roster-adjustments", READ_ALL),
    "roster.stream": Case("GET", "/api/v1/roster?kind=enterprise", READ_ALL),
    "metrics.create": Case(
        "POST",
        "/api/v1/metrics",
        METRIC_CREATE,
        setup=ENTERPRISE_SETUP,
        body={"entity_id": "{id}", "metric": "revenue", "year": 2023, "value": "12.5"},
    ),
    "metrics.list": Case("GET", "/api/v1/metrics?entity_id={id}", READ_SCOPED, setup=ENTERPRISE_SETUP),
    "targets.list": Case("GET", "/api/v1/targets", READ_ALL),
    "targets.create": Case(
        "POST",
        "/api/v1/targets",
        ADMIN_ONLY_CREATE,
        body={
            "horizon": "2026",
            "year": 2026,
            "kind": "enterprise",
            "level": "city",
            "tier": "ten_billion",
            "min_count": 3,
        },
    ),
    "progress": Case("GET", "/api/v1/progress", READ_ALL),
    "search": Case("GET", "/api/v1/search?q=测试", READ_ALL),  # each caller finds only its scope's records
    "exports.enterprises": Case("GET", "/api/v1/exports/enterprises?format=csv", READ_ALL),
    "imports.list": Case("GET", "/api/v1/imports", READ_ALL),  # each caller sees its own jobs
}

MATRIX = [(name, role) for name, case in CASES.items() for role in case.expected]


@pytest.mark.parametrize(("case_name", "role"), MATRIX)
async def test_authorization_matrix(client: httpx.AsyncClient, case_name: str, role: str) -> None:
    case = CASES[case_name]
    ids = await case.setup(client)
    headers = dict(ROLES[role]) | ({"If-Match": '"1"'} if case.if_match else {})
    response = await client.request(case.method, case.path.format(**ids), json=case.payload(ids), headers=headers)
    assert response.status_code == case.expected[role], response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"


async def test_other_region_list_sees_none_of_the_record(client: httpx.AsyncClient) -> None:
    await _entity_setup("enterprises", COUNTY_ENTERPRISE)(client)
    own = await client.get("/api/v1/enterprises", headers=ROLES["county"])
    other = await client.get("/api/v1/enterprises", headers=ROLES["other_city"])
    assert len(own.json()["items"]) == 1
    assert other.json()["items"] == []
