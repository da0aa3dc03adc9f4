"""GET by id reads its id, `as_of` and `known_at` from the request (`shared.params.RequestParams`):
the values, the 422 problems and the OpenAPI parameters are those FastAPI gives for the declaration."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from services.registry.entities.router import AsOfQuery, KnownAtQuery
from tests import factories
from tests.conftest import ADMIN

# What the route answered when FastAPI solved `id: uuid.UUID, as_of: AsOfQuery, known_at: KnownAtQuery`.
REFUSED: list[tuple[str, list[tuple[str, str]]]] = [
    ("/not-a-uuid", [("id", "uuid_parsing")]),
    ("/0123456789abcdef0123456789abcdeg", [("id", "uuid_parsing")]),
    ("/{id}?as_of=2024-13-01", [("as_of", "date_from_datetime_parsing")]),
    ("/{id}?as_of=", [("as_of", "date_from_datetime_parsing")]),
    ("/{id}?known_at=2024-01-01T00:00:00", [("known_at", "timezone_aware")]),
    ("/{id}?known_at=yesterday", [("known_at", "datetime_from_date_parsing")]),
    (
        "/nope?as_of=x&known_at=y",
        [("id", "uuid_parsing"), ("as_of", "date_from_datetime_parsing"), ("known_at", "datetime_from_date_parsing")],
    ),
    ("/{id}?as_of=2024-01-02&unknown=1", [("unknown", "extra_forbidden")]),
    ("/nope?unknown=1", [("unknown", "extra_forbidden")]),
]


def _fields(problem: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in problem["errors"]]


async def test_get_refuses_bad_parameters_with_the_problems_fastapi_gave(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/enterprises", json=factories.enterprise(71), headers=ADMIN)
    for url, expected in REFUSED:
        response = await client.get("/api/v1/enterprises" + url.format(id=created.json()["id"]), headers=ADMIN)
        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert _fields(response.json()) == expected, url
    # Parameters are checked before the caller, as when FastAPI solved them before the endpoint ran.
    anonymous = await client.get("/api/v1/enterprises/not-a-uuid")
    assert (anonymous.status_code, _fields(anonymous.json())) == (422, [("id", "uuid_parsing")])
    assert (await client.get(f"/api/v1/enterprises/{created.json()['id']}")).status_code == 401


async def test_get_takes_every_spelling_of_an_id_pydantic_takes(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/enterprises", json=factories.enterprise(72), headers=ADMIN)
    record = created.json()
    eid = uuid.UUID(record["id"])
    for spelling in (str(eid), str(eid).upper(), eid.hex, f"urn:uuid:{eid}"):
        response = await client.get(f"/api/v1/enterprises/{spelling}", headers=ADMIN)
        assert (response.status_code, response.json()) == (200, record), spelling
    listed_on = record["listed_on"]
    dated = await client.get(f"/api/v1/enterprises/{eid}", params={"as_of": listed_on}, headers=ADMIN)
    assert (dated.status_code, dated.json()) == (200, record)


async def test_get_documents_the_parameters_fastapi_would(registry_app: FastAPI) -> None:
    reference = FastAPI()

    @reference.get("/api/v1/enterprises/{id}")
    async def declared(id: uuid.UUID, as_of: AsOfQuery = None, known_at: KnownAtQuery = None) -> None:
        """The signature GET by id had when FastAPI solved its parameters."""

    expected = reference.openapi()["paths"]["/api/v1/enterprises/{id}"]["get"]["parameters"]
    for path in ("enterprises", "industries", "projects"):
        assert registry_app.openapi()["paths"][f"/api/v1/{path}/{{id}}"]["get"]["parameters"] == expected
