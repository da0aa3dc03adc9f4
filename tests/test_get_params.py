"""GET by id reads its id, `as_of` and `known_at` from the request (`shared.params.RequestParams`):
the values, the 422 problems and the OpenAPI parameters are those FastAPI gives for the declaration."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Query
from fastapi.dependencies.utils import get_dependant, request_params_to_args
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request

from services.registry.entities.kinds import KINDS
from services.registry.entities.router import AsOfQuery, KnownAtQuery
from shared.params import RequestParams
from shared.schemas.enums import EntityKind
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


# ---- lists: the filters' model validates the query itself ----------------------------------------

LIST_QUERIES = [
    "",
    "limit=50&region=430100&tier=ten_billion",
    "level=city&domain=industry_it&q=%E6%B9%96%E5%8D%97&sort=-name&as_of=2025-01-31",
    "roster_status=listed&known_at=2026-01-10T09:00:00%2B08:00&as_of=2026-01-01",
    "label=little_giant&uscc=91430100MA4L0P1X0Q",
    "limit=0",
    "limit=abc&tier=nope",
    "region=&q=",
    "as_of=2024-13-01",
    "tier=billion&tier=ten_billion",  # named twice: FastAPI's way decides
    "chain=not-a-uuid&park=00000000-0000-0000-0000-000000000000",
]


def _request(path: str, query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": []})


@pytest.mark.parametrize("query", LIST_QUERIES)
def test_list_filters_read_from_the_request_are_what_fastapi_makes_of_them(query: str) -> None:
    spec = KINDS[EntityKind.enterprise]

    def declared(filters: Annotated[spec.filters, Query()]) -> None:  # type: ignore[name-defined]
        """The list's declaration."""

    params = RequestParams("/api/v1/enterprises", declared, shared_schemas=True)
    dependant = get_dependant(path="/api/v1/enterprises", call=declared)
    expected, errors = request_params_to_args(dependant.query_params, _request("/", query).query_params)
    if errors:
        with pytest.raises(RequestValidationError) as refused:
            params.parse(_request("/", query))
        assert list(refused.value.errors()) == errors
    else:
        assert params.parse(_request("/", query)) == expected


async def test_a_list_refuses_bad_filters_with_the_problems_fastapi_gave(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/enterprises?limit=abc&tier=nope", headers=ADMIN)
    assert response.status_code == 422, response.text
    assert _fields(response.json()) == [("tier", "enum"), ("limit", "int_parsing")]
    unknown = await client.get("/api/v1/enterprises?tier=billion&colour=red", headers=ADMIN)
    assert (unknown.status_code, _fields(unknown.json())) == (422, [("colour", "extra_forbidden")])
    assert (await client.get("/api/v1/enterprises?limit=abc")).status_code == 401  # the caller first, as before
