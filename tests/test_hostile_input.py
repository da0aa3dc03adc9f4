"""Input the database would refuse, or that cannot be parsed, answers 4xx problem+json and changes nothing."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN

PARK = "/api/v1/parks"
NO_PARK = "/api/v1/parks/00000000-0000-0000-0000-000000000000"


def cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CASES: list[tuple[str, str, dict[str, Any], int, str]] = [
    (
        "POST",
        PARK,
        {"content": b'{"name": "\xff\xfe"}', "headers": {"content-type": "application/json"}},
        400,
        "request_malformed",
    ),
    (
        "POST",
        "/api/v1/imports",
        {
            "content": b'--b\r\nContent-Disposition: form-data; name="file"',
            "headers": {"content-type": "multipart/form-data; boundary=b"},
        },
        422,
        "validation_failed",
    ),
    ("GET", "/api/v1/enterprises?q=%00", {}, 422, "string_nul_byte"),
    ("GET", "/api/v1/regions/43%0000", {}, 422, "string_nul_byte"),
    ("GET", "/api/v1/exports/enterprises?q=a%00b", {}, 422, "string_nul_byte"),
    ("GET", "/api/v1/roster?region=4301%000", {}, 422, "string_nul_byte"),
    ("GET", "/api/v1/roster?as_of=99999-01-01", {}, 422, "validation_failed"),
    ("GET", "/api/v1/roster?chain=" + "9" * 5000, {}, 422, "validation_failed"),
    (
        "GET",
        "/api/v1/enterprises?cursor=" + cursor(b'["name", ["\\u0000", "00000000-0000-0000-0000-000000000000"]]'),
        {},
        422,
        "cursor_invalid",
    ),
    ("GET", "/api/v1/events?after=99999999999999999999", {}, 422, "validation_failed"),
    (
        "PATCH",
        NO_PARK,
        {"json": {"grade": "national"}, "headers": {"If-Match": '"99999999999999999999"'}},
        412,
        "precondition_failed",
    ),
    (
        "PATCH",
        NO_PARK,
        {"json": {"grade": "national"}, "headers": {"If-Match": '"' + "9" * 5000 + '"'}},
        412,
        "precondition_failed",
    ),
    ("DELETE", NO_PARK, {"headers": {"If-Match": '"' + "9" * 5000 + '"'}}, 412, "precondition_failed"),
    ("GET", "/api/v1/audit-events?since=9999-12-31T23:59:59-23:59", {}, 422, "datetime_out_of_range"),
    (
        "POST",
        PARK,
        {
            "content": b'{"name": ' + b"[" * 600 + b"]" * 600 + b"}",
            "headers": {"content-type": "application/json", "Idempotency-Key": "deep"},
        },
        422,
        "validation_failed",
    ),
    (
        "POST",
        PARK,
        {"content": b"[" * 100_000, "headers": {"content-type": "application/json"}},
        400,
        "request_malformed",
    ),
]


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status", "code"), CASES, ids=[f"{c[0]} {c[1][:40]} {c[4]}" for c in CASES]
)
async def test_hostile_input_is_a_4xx_problem_and_changes_nothing(
    client: httpx.AsyncClient, method: str, url: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    headers = ADMIN | kwargs.get("headers", {})
    response = await client.request(method, url, headers=headers, **{k: v for k, v in kwargs.items() if k != "headers"})
    assert (response.status_code, response.headers["content-type"], response.json()["code"]) == (
        status,
        "application/problem+json",
        code,
    )
    assert (await client.get(PARK, headers=ADMIN)).json()["items"] == []


async def test_a_nul_in_the_query_names_the_parameter(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/enterprises?q=ok&name=a%00", headers=ADMIN)
    assert response.json()["errors"] == [
        {"field": "name", "message": "参数中不能包含空字符（NUL）", "code": "string_nul_byte"}
    ]


async def test_a_value_the_database_refuses_as_data_is_422_not_500(client: httpx.AsyncClient) -> None:
    # A cursor for the name sort whose value holds a NUL only once decoded: refused before the query.
    response = await client.get(
        "/api/v1/parks?sort=name&cursor=" + cursor(b'["name", ["a\\u0000", "00000000-0000-0000-0000-000000000000"]]'),
        headers=ADMIN,
    )
    assert (response.status_code, response.json()["code"]) == (422, "cursor_invalid")
