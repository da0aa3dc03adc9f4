"""Racing writers on every versioned resource: of writes with one If-Match, exactly one wins.

Each request commits (`committing_client`). Twenty DELETEs with the same ETag delete once (one 204,
the others 404: the record is gone); a PATCH and a DELETE with the same ETag let one of them win, the
other told what happened (412 with the new version, or 404). Either way the
winner alone leaves an audit record and a change-feed event.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import factories
from tests.conftest import ADMIN

DELETERS = 20
PAIRS = 4  # PATCH+DELETE races run per resource, each on a record of its own


@dataclass(frozen=True)
class Resource:
    path: str
    resource_type: str
    table: str  # where its rows are, for clean-up
    body: Callable[[str], dict[str, Any]]  # a valid create body, unique per token
    patch: dict[str, Any]


def _n(token: str) -> int:
    return int(token[:6], 16) % 900_000 + 100_000


RESOURCES = [
    Resource("industries", "industry", "entity", lambda t: factories.industry(name=f"竞速产业{t}"), {"roadmap": "改"}),
    Resource("enterprises", "enterprise", "entity", lambda t: factories.enterprise(_n(t)), {"name": "竞速企业改名"}),
    Resource(
        "projects",
        "project",
        "entity",
        lambda t: factories.project(_n(t), name=f"竞速项目{t}"),
        {"stage": "signed"},
    ),
    Resource(
        "departments",
        "department",
        "department",
        lambda t: {"code": f"race-{t}", "name": f"竞速部门{t}", "level": "city", "region_code": "430100"},
        {"short_name": "改"},
    ),
    Resource("chains", "chain", "chain", lambda t: {"name": f"竞速产业链{t}"}, {"group_name": "改"}),
    Resource(
        "parks",
        "park",
        "park",
        lambda t: {"name": f"竞速园区{t}", "grade": "provincial", "region_code": "430100"},
        {"grade": "national"},
    ),
    Resource("persons", "person", "person", lambda t: {"name": f"竞速{t}", "region_code": "430100"}, {"title": "科长"}),
    Resource(
        "targets",
        "target",
        "target",
        lambda t: (
            {"horizon": f"race-{t}", "year": 2025, "kind": "enterprise", "level": "city"}
            | {"tier": "ten_billion", "min_count": 3}
        ),
        {"min_count": 4},
    ),
]


@pytest.fixture
async def created(engine: AsyncEngine) -> AsyncIterator[list[tuple[Resource, str]]]:
    """Records a test creates, deleted afterwards with their change-feed rows (audit rows stay)."""
    made: list[tuple[Resource, str]] = []
    yield made
    async with engine.begin() as conn:
        for resource, record_id in made:
            await conn.execute(text("DELETE FROM registry.change_event WHERE resource_id = :id"), {"id": record_id})
            await conn.execute(
                text(f"DELETE FROM registry.{resource.table} WHERE id = CAST(:id AS uuid)"),
                {"id": record_id},
            )


async def _create(client: httpx.AsyncClient, resource: Resource, made: list[tuple[Resource, str]]) -> str:
    response = await client.post(f"/api/v1/{resource.path}", json=resource.body(uuid.uuid4().hex[:8]), headers=ADMIN)
    assert response.status_code == 201, response.text
    record_id = str(response.json()["id"])
    made.append((resource, record_id))
    return record_id


async def _written(engine: AsyncEngine, resource: Resource, record_id: str) -> tuple[dict[str, int], dict[str, int]]:
    """Audit actions and change-feed actions recorded for the record since its creation."""
    async with engine.connect() as conn:
        audit = await conn.execute(
            text(
                "SELECT action, count(*) FROM registry.audit_event"
                " WHERE resource_type = :t AND resource_id = :id AND action <> 'create' GROUP BY action"
            ),
            {"t": resource.resource_type, "id": record_id},
        )
        feed = await conn.execute(
            text(
                "SELECT action, count(*) FROM registry.change_event"
                " WHERE resource_id = :id AND action <> 'created' GROUP BY action"
            ),
            {"id": record_id},
        )
        return {a: n for a, n in audit.all()}, {a: n for a, n in feed.all()}


@pytest.mark.parametrize("resource", RESOURCES, ids=[r.path for r in RESOURCES])
async def test_twenty_deletes_with_one_etag_delete_once(
    resource: Resource,
    committing_client: httpx.AsyncClient,
    engine: AsyncEngine,
    created: list[tuple[Resource, str]],
) -> None:
    record_id = await _create(committing_client, resource, created)
    url = f"/api/v1/{resource.path}/{record_id}"
    responses = await asyncio.gather(
        *(committing_client.delete(url, headers=ADMIN | {"If-Match": '"1"'}) for _ in range(DELETERS))
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(204) == 1, statuses
    # Every loser lost to the deletion: the record is gone, not at another version.
    assert set(statuses) == {204, 404}, [r.text for r in responses if r.status_code != 204]
    assert {r.json()["code"] for r in responses if r.status_code == 404} == {f"{resource.resource_type}_not_found"}
    assert (await committing_client.get(url, headers=ADMIN)).status_code == 404
    assert await _written(engine, resource, record_id) == ({"delete": 1}, {"deleted": 1})


@pytest.mark.parametrize("resource", RESOURCES, ids=[r.path for r in RESOURCES])
async def test_patch_and_delete_with_one_etag_let_one_win(
    resource: Resource,
    committing_client: httpx.AsyncClient,
    engine: AsyncEngine,
    created: list[tuple[Resource, str]],
) -> None:
    ids = [await _create(committing_client, resource, created) for _ in range(PAIRS)]
    headers = ADMIN | {"If-Match": '"1"'}

    async def race(record_id: str) -> tuple[httpx.Response, httpx.Response]:
        url = f"/api/v1/{resource.path}/{record_id}"
        patched, deleted = await asyncio.gather(
            committing_client.patch(url, json=resource.patch, headers=headers),
            committing_client.delete(url, headers=headers),
        )
        return patched, deleted

    outcomes = await asyncio.gather(*(race(i) for i in ids))
    for record_id, (patched, deleted) in zip(ids, outcomes, strict=True):
        current = await committing_client.get(f"/api/v1/{resource.path}/{record_id}", headers=ADMIN)
        written = await _written(engine, resource, record_id)
        if patched.status_code == 200:
            assert (deleted.status_code, deleted.json()["version"]) == (412, 2), deleted.text
            assert (current.status_code, current.json()["version"]) == (200, 2)
            assert written == ({"update": 1}, {"updated": 1})
        else:
            assert (patched.status_code, deleted.status_code) == (404, 204), patched.text
            assert current.status_code == 404
            assert written == ({"delete": 1}, {"deleted": 1})
