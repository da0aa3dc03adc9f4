"""notify's authorization matrix: every route × admin, the issuing department and another one, city,
county, viewer, another city, service and no token; each cell its own rolled-back test, and each
status it answers is one its OpenAPI operation documents.

The circular under test is issued by 省工业和信息化厅 (`gxt`, department `industry-it`) to the county
430104 岳麓区; the subscriber is owned by that county. So the city 430100 and the county cover them,
the city 430200 does not (404), and only the issuing department may issue as `gxt`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, auth
from tests.notify import factories

ROLES: dict[str, dict[str, str]] = {
    "admin": auth("admin", "430000"),
    "dept_issuer": auth("department", "430000", department="industry-it"),
    "dept_other": auth("department", "430000", department="commerce"),
    "city": auth("city", "430100"),
    "county": auth("county", "430104"),
    "viewer": auth("viewer", "430000"),
    "other_city": auth("city", "430200"),
    "service": auth("service", "430000"),
    "none": {},
}
CIRCULAR = factories.circular(issuer="gxt", audience={"regions": ["430104"]})
SUBSCRIBER = factories.subscriber("http://127.0.0.1:9/hook", region_code="430104")

Setup = Callable[[httpx.AsyncClient], Awaitable[dict[str, Any]]]


async def _nothing(_: httpx.AsyncClient) -> dict[str, Any]:
    return {}


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=ADMIN)
    assert response.status_code in (200, 201, 202), response.text
    created: dict[str, Any] = response.json()
    return created


async def _draft(client: httpx.AsyncClient) -> dict[str, Any]:
    return {"id": (await _post(client, "/api/v1/circulars", CIRCULAR))["id"]}


async def _published(client: httpx.AsyncClient) -> dict[str, Any]:
    return {"id": (await _post(client, "/api/v1/circulars", CIRCULAR | {"publish": True}))["id"]}


async def _subscriber(client: httpx.AsyncClient) -> dict[str, Any]:
    return {"id": (await _post(client, "/api/v1/subscribers", SUBSCRIBER))["id"]}


async def _delivery(client: httpx.AsyncClient) -> dict[str, Any]:
    subscriber = await _subscriber(client)
    return {"id": (await _post(client, f"/api/v1/subscribers/{subscriber['id']}/test"))["id"]}


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # the route's template; {id} is filled from the setup
    expected: dict[str, int]
    setup: Setup = _nothing
    body: dict[str, Any] | None = None
    if_match: bool = False


def _row(
    admin: int,
    dept_issuer: int,
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
        "dept_issuer": dept_issuer,
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
ISSUE = _row(201, 201, 403, 403, 403, 403, 403, 201)
DRAFT_PATCH = _row(200, 200, 404, 404, 404, 404, 404, 200)
DRAFT_DELETE = _row(204, 204, 404, 404, 404, 404, 404, 204)
ISSUED_ACTION = _row(200, 200, 403, 403, 403, 403, 404, 200)
REMIND = _row(201, 201, 403, 403, 403, 403, 404, 201)
SIGN = _row(200, 403, 403, 200, 200, 403, 404, 200)
SUBSCRIBER_CREATE = _row(201, 201, 201, 201, 201, 403, 403, 403)
SUBSCRIBER_WRITE = _row(200, 200, 200, 200, 200, 403, 404, 403)
SUBSCRIBER_DELETE = _row(204, 204, 204, 204, 204, 403, 404, 403)
SUBSCRIBER_TEST = _row(202, 202, 202, 202, 202, 403, 404, 403)
REDELIVER_PENDING = _row(409, 409, 409, 409, 409, 403, 404, 403)  # allowed through, then the state says no
ADMIN_ONLY = _row(200, 403, 403, 403, 403, 403, 403, 403)

CASES: dict[str, Case] = {
    "enums": Case("GET", "/api/v1/enums", READ_ALL),
    "audit": Case("GET", "/api/v1/audit-events", ADMIN_ONLY),
    "circulars.list": Case("GET", "/api/v1/circulars", READ_ALL),
    "circulars.create": Case("POST", "/api/v1/circulars", ISSUE, body=CIRCULAR),
    "circulars.get": Case("GET", "/api/v1/circulars/{id}", READ_SCOPED, setup=_published),
    "circulars.update": Case(
        "PATCH", "/api/v1/circulars/{id}", DRAFT_PATCH, setup=_draft, body={"title": "改"}, if_match=True
    ),
    "circulars.delete": Case("DELETE", "/api/v1/circulars/{id}", DRAFT_DELETE, setup=_draft, if_match=True),
    "circulars.publish": Case("POST", "/api/v1/circulars/{id}/publish", DRAFT_PATCH, setup=_draft),
    "circulars.revoke": Case(
        "POST", "/api/v1/circulars/{id}/revoke", ISSUED_ACTION, setup=_published, body={"reason": "有误"}
    ),
    "circulars.document": Case("GET", "/api/v1/circulars/{id}/document", READ_SCOPED, setup=_published),
    "receipts.summary": Case("GET", "/api/v1/circulars/{id}/receipts", READ_SCOPED, setup=_published),
    "receipts.sign": Case(
        "POST",
        "/api/v1/circulars/{id}/receipts",
        SIGN,
        setup=_published,
        body={"unit_type": "region", "unit_code": "430104"},
    ),
    "receipts.remind": Case("POST", "/api/v1/circulars/{id}/reminders", REMIND, setup=_published, body={}),
    "receipts.unsigned": Case("GET", "/api/v1/receipts", READ_ALL),
    "subscribers.list": Case("GET", "/api/v1/subscribers", READ_ALL),
    "subscribers.create": Case("POST", "/api/v1/subscribers", SUBSCRIBER_CREATE, body=SUBSCRIBER),
    "subscribers.get": Case("GET", "/api/v1/subscribers/{id}", READ_SCOPED, setup=_subscriber),
    "subscribers.update": Case(
        "PATCH", "/api/v1/subscribers/{id}", SUBSCRIBER_WRITE, setup=_subscriber, body={"topics": ["a"]}, if_match=True
    ),
    "subscribers.delete": Case(
        "DELETE", "/api/v1/subscribers/{id}", SUBSCRIBER_DELETE, setup=_subscriber, if_match=True
    ),
    "subscribers.rotate": Case(
        "POST", "/api/v1/subscribers/{id}/secret:rotate", SUBSCRIBER_WRITE, setup=_subscriber, body={}
    ),
    "subscribers.test": Case("POST", "/api/v1/subscribers/{id}/test", SUBSCRIBER_TEST, setup=_subscriber),
    "subscribers.replay": Case(
        "POST",
        "/api/v1/subscribers/{id}/deliveries:replay",
        SUBSCRIBER_WRITE,
        setup=_subscriber,
        body={"since": "2026-01-01T00:00:00+08:00"},
    ),
    "deliveries.list": Case("GET", "/api/v1/deliveries", READ_ALL),
    "deliveries.get": Case("GET", "/api/v1/deliveries/{id}", READ_SCOPED, setup=_delivery),
    "deliveries.attempts": Case("GET", "/api/v1/deliveries/{id}/attempts", READ_SCOPED, setup=_delivery),
    "deliveries.redeliver": Case("POST", "/api/v1/deliveries/{id}/redeliver", REDELIVER_PENDING, setup=_delivery),
}

MATRIX = [(name, role) for name, case in CASES.items() for role in case.expected]


@pytest.mark.parametrize(("case_name", "role"), MATRIX)
async def test_authorization_matrix(
    notify_client: httpx.AsyncClient, notify_app: Any, case_name: str, role: str
) -> None:
    case = CASES[case_name]
    ids = await case.setup(notify_client)
    headers = dict(ROLES[role]) | ({"If-Match": '"1"'} if case.if_match else {})
    response = await notify_client.request(case.method, case.path.format(**ids), json=case.body, headers=headers)
    assert response.status_code == case.expected[role], response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    operation = notify_app.openapi()["paths"][case.path][case.method.lower()]
    assert str(response.status_code) in operation["responses"], (
        f"{case.method} {case.path} omits {response.status_code}"
    )


def test_the_matrix_covers_every_notify_route(notify_app: Any) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in notify_app.openapi()["paths"].items()
        for method in operations
        if path.startswith("/api/v1/")
    }
    covered = {(case.method, case.path) for case in CASES.values()}
    assert documented - covered == {("GET", "/api/v1/events/stream")}  # a stream: see test_stream.py
    assert covered <= documented
