"""The change feed: every committed change, in commit order, none missed under concurrent writers."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests import factories
from tests.conftest import ADMIN, auth, feed_end


async def test_feed_lists_created_and_updated_events_in_order(client: httpx.AsyncClient) -> None:
    cursor = await feed_end(client)
    created = (await client.post("/api/v1/enterprises", json=factories.enterprise(), headers=ADMIN)).json()
    await client.patch(
        f"/api/v1/enterprises/{created['id']}", json={"name": "改名后的企业"}, headers=ADMIN | {"If-Match": '"1"'}
    )
    page = (await client.get("/api/v1/events", params={"after": cursor}, headers=ADMIN)).json()
    assert [(e["resource_type"], e["resource_id"], e["action"]) for e in page["items"]] == [
        ("enterprise", created["id"], "created"),
        ("enterprise", created["id"], "updated"),
    ]
    assert page["items"][1]["payload"]["name"] == "改名后的企业"
    assert "persons" not in page["items"][0]["payload"]
    assert page["next_cursor"] == str(page["items"][-1]["id"])
    empty = (await client.get("/api/v1/events", params={"after": page["next_cursor"]}, headers=ADMIN)).json()
    assert empty == {"items": [], "next_cursor": page["next_cursor"]}


@pytest.mark.parametrize("role,region", [("city", "430100"), ("viewer", "430000"), ("department", "430000")])
async def test_feed_is_only_for_admin_and_services(client: httpx.AsyncClient, role: str, region: str) -> None:
    headers = auth(role, region, department="industry-it" if role == "department" else None)
    response = await client.get("/api/v1/events", headers=headers)
    assert response.status_code == 403
    assert (await client.get("/api/v1/events", headers=auth("service"))).status_code == 200


async def test_follower_sees_every_concurrent_write_once_in_commit_order(
    committing_client: httpx.AsyncClient, committed_entities: list[str]
) -> None:
    """Writers commit concurrently while a follower polls; it must end with every event, no gaps, no repeats."""
    cursor = await feed_end(committing_client)  # past whatever earlier tests left
    writers, per_writer = 6, 5
    done = asyncio.Event()
    seen: list[dict[str, Any]] = []

    async def follow() -> None:
        nonlocal cursor
        while True:
            finished = done.is_set()
            page = (
                await committing_client.get("/api/v1/events", params={"after": cursor, "limit": 7}, headers=ADMIN)
            ).json()
            seen.extend(page["items"])
            cursor = page["next_cursor"]
            if finished and not page["items"]:
                return
            await asyncio.sleep(0.005)

    async def write(w: int) -> None:
        for i in range(per_writer):
            n = 900_000 + w * 100 + i
            response = await committing_client.post(
                "/api/v1/enterprises", json=factories.enterprise(n, name=f"并发写入{w}-{i}"), headers=ADMIN
            )
            assert response.status_code == 201, response.text
            committed_entities.append(response.json()["id"])

    follower = asyncio.create_task(follow())
    await asyncio.gather(*(write(w) for w in range(writers)))
    done.set()
    await follower
    ids = [e["id"] for e in seen]
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids))
    created_events = [e["resource_id"] for e in seen if e["action"] == "created"]
    assert sorted(created_events) == sorted(committed_entities)
    assert len(created_events) == writers * per_writer
