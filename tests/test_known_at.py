"""`known_at`: what the registry said at a moment, ignoring adjustments and metric revisions recorded later.

Every write of a test shares the test transaction's clock, so the records "made back then" are dated
back by hand (`created_at`, `recorded_at`), as they would be had they been written on that day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests import factories
from tests.conftest import ADMIN
from tests.test_exports import read_csv
from tests.test_progress import tiers
from tests.test_roster import adjust, create

BACK_THEN = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC)
KNOWN_AT = "2026-01-10T09:00:00+08:00"
AS_OF = "2026-01-01"


async def date_back(connection: AsyncConnection, entity_id: str) -> None:
    """Everything recorded so far about the entity, as if recorded at BACK_THEN."""
    for sql in (
        "UPDATE registry.roster_adjustment SET created_at = :t WHERE entity_id = :id",
        "UPDATE registry.metric_value SET recorded_at = :t WHERE entity_id = :id",
    ):
        await connection.execute(text(sql), {"t": BACK_THEN, "id": entity_id})


async def revenue(client: httpx.AsyncClient, entity_id: str, value: str, year: int = 2025) -> dict[str, Any]:
    body = {"entity_id": entity_id, "metric": "revenue", "year": year, "value": value}
    response = await client.post("/api/v1/metrics", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def history(client: httpx.AsyncClient, db_connection: AsyncConnection) -> tuple[dict[str, Any], dict[str, Any]]:
    """A ranking circulated on 2026-01-10 and what has been recorded since.

    Then: `old` listed (city, 百亿级) with 2025 revenue 120 亿元; `new` did not exist.
    Since: `old`'s 2025 revenue corrected to 90, and `old` removed with effect from 2025-12-31;
    `new` created, listed from 2025-06-01.
    """
    old = await create(client, "enterprises", factories.enterprise(1, listed_on="2025-06-01"))
    await revenue(client, old["id"], "120")
    await date_back(db_connection, old["id"])
    await revenue(client, old["id"], "90")
    removed = await adjust(client, old["id"], "remove", "2025-12-31")
    assert removed.status_code == 201, removed.text
    new = await create(client, "enterprises", factories.enterprise(2, listed_on="2025-06-01"))
    return old, new


async def test_a_list_known_at_a_moment_ignores_what_was_recorded_later(
    client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    old, new = await history(client, db_connection)

    now = (await client.get("/api/v1/enterprises", params={"as_of": AS_OF}, headers=ADMIN)).json()["items"]
    assert sorted((e["id"], e["roster_status"], e["standing"]["value"]) for e in now) == sorted(
        [(old["id"], "removed", "90.0000"), (new["id"], "listed", None)]
    )
    then = await client.get("/api/v1/enterprises", params={"as_of": AS_OF, "known_at": KNOWN_AT}, headers=ADMIN)
    assert then.status_code == 200, then.text
    assert [
        (e["id"], e["roster_status"], e["standing"]["value"], e["standing"]["status"]) for e in then.json()["items"]
    ] == [(old["id"], "listed", "120.0000", "achieved")]
    # without as_of: the moment's own date (2026-01-10 in Shanghai)
    own_date = await client.get("/api/v1/enterprises", params={"known_at": KNOWN_AT}, headers=ADMIN)
    assert [(e["id"], e["roster_status"]) for e in own_date.json()["items"]] == [(old["id"], "listed")]
    listed = await client.get(
        "/api/v1/enterprises", params={"known_at": KNOWN_AT, "roster_status": "listed"}, headers=ADMIN
    )
    assert [e["id"] for e in listed.json()["items"]] == [old["id"]]


async def test_one_record_known_at_a_moment(client: httpx.AsyncClient, db_connection: AsyncConnection) -> None:
    old, new = await history(client, db_connection)
    then = await client.get(f"/api/v1/enterprises/{old['id']}", params={"known_at": KNOWN_AT}, headers=ADMIN)
    assert then.status_code == 200, then.text
    assert (then.json()["roster_status"], then.json()["standing"]["value"]) == ("listed", "120.0000")
    as_of = await client.get(f"/api/v1/enterprises/{old['id']}", params={"as_of": AS_OF}, headers=ADMIN)
    assert (as_of.json()["roster_status"], as_of.json()["standing"]["value"]) == ("removed", "90.0000")
    unknown = await client.get(f"/api/v1/enterprises/{new['id']}", params={"known_at": KNOWN_AT}, headers=ADMIN)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "enterprise_not_found")


async def test_progress_known_at_a_moment_reproduces_the_counts_of_then(
    client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    await history(client, db_connection)
    key = ("enterprise", "city", "ten_billion")
    now = (await client.get("/api/v1/progress", params={"as_of": AS_OF}, headers=ADMIN)).json()
    then = await client.get("/api/v1/progress", params={"as_of": AS_OF, "known_at": KNOWN_AT}, headers=ADMIN)
    assert then.status_code == 200, then.text
    assert tiers(now)[key] == (1, 0)  # the new one, with no revenue yet
    assert tiers(then.json())[key] == (1, 1)  # the old one, at 120 亿元
    assert (then.json()["as_of"], then.json()["known_at"]) == (AS_OF, "2026-01-10T01:00:00Z")
    assert now["known_at"] is None


async def test_metrics_known_at_a_moment_give_the_revision_current_then(
    client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    old, _ = await history(client, db_connection)
    params = {"entity_id": old["id"], "metric": "revenue"}
    now = (await client.get("/api/v1/metrics", params=params, headers=ADMIN)).json()["items"]
    then = (await client.get("/api/v1/metrics", params=params | {"known_at": KNOWN_AT}, headers=ADMIN)).json()
    revisions = await client.get(
        "/api/v1/metrics", params=params | {"known_at": KNOWN_AT, "history": "true"}, headers=ADMIN
    )
    assert [(m["revision"], m["value"]) for m in now] == [(2, "90.0000")]
    assert [(m["revision"], m["value"]) for m in then["items"]] == [(1, "120.0000")]
    assert [m["revision"] for m in revisions.json()["items"]] == [1]


async def test_known_at_must_be_a_past_moment_with_an_offset(client: httpx.AsyncClient) -> None:
    entity = await create(client, "enterprises", factories.enterprise(1))
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    for path in ("/api/v1/enterprises", f"/api/v1/enterprises/{entity['id']}", "/api/v1/progress", "/api/v1/metrics"):
        ahead = await client.get(path, params={"known_at": future}, headers=ADMIN)
        assert (ahead.status_code, ahead.json()["code"]) == (422, "known_at_in_future"), path
        naive = await client.get(path, params={"known_at": "2026-01-10T09:00:00"}, headers=ADMIN)
        assert naive.status_code == 422, path
        assert [(e["field"], e["code"]) for e in naive.json()["errors"]] == [("known_at", "timezone_aware")], path


async def test_an_export_known_at_a_moment_lists_what_the_registry_said_then(
    client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    old, _ = await history(client, db_connection)
    params = {"format": "csv", "as_of": AS_OF, "known_at": KNOWN_AT}
    exported = await client.get("/api/v1/exports/enterprises", params=params, headers=ADMIN)
    assert exported.status_code == 200, exported.text
    header, *rows = read_csv(exported)
    assert [(r[header.index("ID")], r[header.index("名单状态")]) for r in rows] == [(old["id"], "在册")]
