"""Optimistic concurrency under real races: requests that commit, fired at once with one ETag."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import ADMIN

RACERS = 5


async def create_park(client: httpx.AsyncClient, name: str) -> str:
    body = {"name": name, "grade": "provincial", "region_code": "430100"}
    response = await client.post("/api/v1/parks", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_concurrent_patches_with_one_etag_let_exactly_one_win(
    committing_client: httpx.AsyncClient, engine: AsyncEngine, committed_prefix: str
) -> None:
    park_id = await create_park(committing_client, f"{committed_prefix}并发修改园区")
    url = f"/api/v1/parks/{park_id}"
    grades = ["national", "concentration_zone", "development_zone", "park_in_park", "national"]
    responses = await asyncio.gather(
        *(committing_client.patch(url, json={"grade": g}, headers=ADMIN | {"If-Match": '"1"'}) for g in grades)
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * (RACERS - 1)
    winner = next(r for r in responses if r.status_code == 200)
    assert (winner.json()["version"], winner.headers["etag"]) == (2, '"2"')
    for loser in (r for r in responses if r.status_code == 412):
        assert (loser.json()["code"], loser.json()["version"]) == ("precondition_failed", 2)
    current = await committing_client.get(url, headers=ADMIN)
    assert (current.json()["grade"], current.json()["version"]) == (winner.json()["grade"], 2)
    async with engine.connect() as conn:
        updates = await conn.scalar(
            text("SELECT count(*) FROM registry.change_event WHERE resource_id = :id AND action = 'updated'"),
            {"id": park_id},
        )
    assert updates == 1


async def test_concurrent_deletes_with_one_etag_delete_once(
    committing_client: httpx.AsyncClient, engine: AsyncEngine, committed_prefix: str
) -> None:
    park_id = await create_park(committing_client, f"{committed_prefix}并发删除园区")
    url = f"/api/v1/parks/{park_id}"
    responses = await asyncio.gather(
        *(committing_client.delete(url, headers=ADMIN | {"If-Match": '"1"'}) for _ in range(RACERS))
    )
    assert sorted(r.status_code for r in responses) == [204] + [404] * (RACERS - 1)
    for loser in (r for r in responses if r.status_code == 404):
        assert loser.json()["code"] == "park_not_found"
    async with engine.connect() as conn:
        deletes = await conn.scalar(
            text(
                "SELECT count(*) FROM registry.audit_event"
                " WHERE resource_type = 'park' AND resource_id = :id AND action = 'delete'"
            ),
            {"id": park_id},
        )
        feed = await conn.scalar(
            text("SELECT count(*) FROM registry.change_event WHERE resource_id = :id AND action = 'deleted'"),
            {"id": park_id},
        )
    assert (deletes, feed) == (1, 1)
