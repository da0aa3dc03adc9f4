"""`Idempotency-Key` on creating POSTs: replay, reuse with another body, caller scope, TTL, races."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.conftest import ADMIN, auth

CALLER_A = auth(sub="idem-caller-a")
CALLER_B = auth(sub="idem-caller-b")


def park(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "grade": "national", "region_code": "430100"} | fields


async def post_park(
    client: httpx.AsyncClient, body: dict[str, Any], key: str, headers: dict[str, str] = ADMIN
) -> httpx.Response:
    return await client.post("/api/v1/parks", json=body, headers=headers | {"Idempotency-Key": key})


async def count_parks(client: httpx.AsyncClient, name: str) -> int:
    items = (await client.get("/api/v1/parks", params={"q": name}, headers=ADMIN)).json()["items"]
    return sum(1 for p in items if p["name"] == name)


async def test_same_key_and_body_replays_the_first_response(client: httpx.AsyncClient) -> None:
    first = await post_park(client, park("幂等园区"), "key-replay-1")
    second = await post_park(client, park("幂等园区"), "key-replay-1")
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert second.json()["id"] == first.json()["id"]
    assert second.headers["location"] == first.headers["location"] == f"/api/v1/parks/{first.json()['id']}"
    assert second.headers["etag"] == first.headers["etag"] == '"1"'
    assert await count_parks(client, "幂等园区") == 1


async def test_replay_ignores_json_key_order_and_whitespace(client: httpx.AsyncClient) -> None:
    first = await post_park(client, park("键序园区"), "key-order-1")
    raw = '{ "region_code": "430100",  "grade": "national", "name": "键序园区" }'.encode()
    headers = ADMIN | {"Idempotency-Key": "key-order-1", "Content-Type": "application/json"}
    second = await client.post("/api/v1/parks", content=raw, headers=headers)
    assert (second.status_code, second.headers["idempotent-replayed"]) == (201, "true")
    assert second.json()["id"] == first.json()["id"]


async def test_same_key_with_another_body_is_422_idempotency_key_reused(client: httpx.AsyncClient) -> None:
    await post_park(client, park("原请求园区"), "key-reused-1")
    response = await post_park(client, park("另一个园区"), "key-reused-1")
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "idempotency_key_reused"
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("Idempotency-Key", "idempotency_key_reused")]
    assert await count_parks(client, "另一个园区") == 0


async def test_keys_are_scoped_to_the_caller(client: httpx.AsyncClient) -> None:
    a = await post_park(client, park("调用方甲园区"), "shared-key", CALLER_A)
    b = await post_park(client, park("调用方乙园区"), "shared-key", CALLER_B)
    assert (a.status_code, b.status_code) == (201, 201)
    assert "idempotent-replayed" not in b.headers
    assert a.json()["id"] != b.json()["id"]
    again = await post_park(client, park("调用方甲园区"), "shared-key", CALLER_A)
    assert (again.json()["id"], again.headers["idempotent-replayed"]) == (a.json()["id"], "true")


async def test_keys_are_scoped_to_the_route(client: httpx.AsyncClient) -> None:
    parked = await post_park(client, park("路由园区"), "route-key")
    chained = await client.post(
        "/api/v1/chains", json={"name": "路由产业链"}, headers=ADMIN | {"Idempotency-Key": "route-key"}
    )
    assert (parked.status_code, chained.status_code) == (201, 201)
    assert "idempotent-replayed" not in chained.headers
    assert chained.json()["name"] == "路由产业链"


async def test_malformed_key_is_422_idempotency_key_invalid(client: httpx.AsyncClient) -> None:
    for key in ("has space", "x" * 256, ""):
        response = await post_park(client, park("坏键园区"), key)
        assert response.status_code == 422, key
        assert response.json()["code"] == "idempotency_key_invalid"
    assert await count_parks(client, "坏键园区") == 0


async def test_longest_allowed_key_is_accepted_and_replayed(client: httpx.AsyncClient) -> None:
    key = "k" * 255
    first = await post_park(client, park("长键园区"), key)
    second = await post_park(client, park("长键园区"), key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert (second.json()["id"], second.headers["idempotent-replayed"]) == (first.json()["id"], "true")
    reused = await post_park(client, park("长键另一园区"), key)
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    sibling = await post_park(client, park("长键另一园区"), "k" * 254 + "j")
    assert (sibling.status_code, "idempotent-replayed" in sibling.headers) == (201, False)


async def test_failed_request_is_not_remembered(client: httpx.AsyncClient) -> None:
    failed = await post_park(client, park("失败园区", region_code="439999"), "key-after-failure")
    assert (failed.status_code, failed.json()["code"]) == (422, "region_unknown")
    fixed = await post_park(client, park("失败园区"), "key-after-failure")
    assert fixed.status_code == 201
    assert "idempotent-replayed" not in fixed.headers


async def test_key_older_than_ttl_is_forgotten(
    client: httpx.AsyncClient, db_session: async_sessionmaker[AsyncSession]
) -> None:
    first = await post_park(client, park("过期键园区"), "key-expired-1")
    async with db_session() as session, session.begin():
        aged = await session.execute(
            text(
                "UPDATE registry.idempotency_record SET created_at = now() - interval '49 hours'"
                " WHERE key LIKE '% key-expired-1'"
            )
        )
        assert aged.rowcount == 1  # type: ignore[attr-defined]
    second = await post_park(client, park("过期键新园区"), "key-expired-1")
    assert second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]


async def test_concurrent_posts_with_one_key_create_exactly_one_row(
    committing_client: httpx.AsyncClient, engine: AsyncEngine, committed_prefix: str
) -> None:
    name = f"{committed_prefix}并发幂等园区"
    key = f"{committed_prefix}race"
    responses = await asyncio.gather(*(post_park(committing_client, park(name), key) for _ in range(5)))
    created = [r for r in responses if r.status_code == 201 and "idempotent-replayed" not in r.headers]
    assert len(created) == 1
    park_id = created[0].json()["id"]
    for response in responses:
        if response.status_code == 201:
            assert response.json()["id"] == park_id
        else:
            assert (response.status_code, response.json()["code"]) == (409, "idempotency_in_flight")
    retry = await post_park(committing_client, park(name), key)
    assert (retry.status_code, retry.headers["idempotent-replayed"], retry.json()["id"]) == (201, "true", park_id)
    async with engine.connect() as conn:
        rows = await conn.scalar(text("SELECT count(*) FROM registry.park WHERE name = :n"), {"n": name})
    assert rows == 1
