"""Entities under racing writers: one ETag wins once, one Idempotency-Key creates once."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import factories
from tests.conftest import ADMIN


async def test_concurrent_patches_with_one_etag_exactly_one_wins(
    committing_client: httpx.AsyncClient, committed_entities: list[str]
) -> None:
    created = await committing_client.post("/api/v1/enterprises", json=factories.enterprise(910_001), headers=ADMIN)
    entity_id = created.json()["id"]
    committed_entities.append(entity_id)

    async def patch(i: int) -> httpx.Response:
        return await committing_client.patch(
            f"/api/v1/enterprises/{entity_id}", json={"name": f"竞争修改{i}"}, headers=ADMIN | {"If-Match": '"1"'}
        )

    responses = await asyncio.gather(*(patch(i) for i in range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 7
    winner = next(r for r in responses if r.status_code == 200).json()
    final = (await committing_client.get(f"/api/v1/enterprises/{entity_id}", headers=ADMIN)).json()
    assert final["version"] == 2
    assert final["name"] == winner["name"]


async def test_concurrent_posts_with_one_idempotency_key_create_one_row(
    committing_client: httpx.AsyncClient, engine: AsyncEngine, committed_entities: list[str]
) -> None:
    body = factories.enterprise(910_002, name="幂等并发企业")
    headers = ADMIN | {"Idempotency-Key": "enterprise-race-910002"}
    responses = await asyncio.gather(
        *(committing_client.post("/api/v1/enterprises", json=body, headers=headers) for _ in range(6))
    )
    created_ids = {r.json()["id"] for r in responses if r.status_code == 201}
    committed_entities.extend(created_ids)
    assert len(created_ids) == 1
    assert {r.status_code for r in responses} <= {201, 409}
    assert all(r.json()["code"] == "idempotency_in_flight" for r in responses if r.status_code == 409)
    replay = await committing_client.post("/api/v1/enterprises", json=body, headers=headers)
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] in created_ids
    async with engine.connect() as conn:
        count = await conn.scalar(text("SELECT count(*) FROM registry.entity WHERE name = :n"), {"n": "幂等并发企业"})
        await conn.execute(text("DELETE FROM registry.idempotency_record WHERE key LIKE '%enterprise-race-910002'"))
        await conn.commit()
    assert count == 1
