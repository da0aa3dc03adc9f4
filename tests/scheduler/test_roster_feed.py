"""Open rounds follow the roster through the registry's change feed: entities that come into a
round's scope join it, entities that leave the roster (or the scope) leave it; closed rounds stay
as they closed; a batch is applied once, whoever reads it and however often."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduler.models import FeedCursor, table
from services.scheduler.roster_feed.follower import RosterFeedFollower
from services.scheduler.roster_feed.repository import FEED
from shared.db import Database
from tests.conftest import ADMIN, auth, feed_end, scheduler_factory, scheduler_settings
from tests.harness import asgi_client, started
from tests.scheduler.helpers import create_enterprise, create_plan

COUNTY = auth("county", "430104")
NOW = dt.datetime(2027, 1, 20, 2, 0, tzinfo=dt.UTC)
F = table(FeedCursor)
SCOPE = {"kinds": ["enterprise"], "levels": ["county"], "regions": ["430100"]}
COUNTY_ENTERPRISE = {"level": "county", "region_code": "430104", "target_tier": "billion"}


def follower(app: Any) -> RosterFeedFollower:
    loop: RosterFeedFollower = app.state.platform.state.roster_feed
    return loop


async def open_round(scheduler_app: Any, scheduler_client: httpx.AsyncClient) -> dict[str, Any]:
    created = await create_plan(scheduler_client, scope=SCOPE)
    now = dt.datetime.fromisoformat(created["next_tick_at"]) + dt.timedelta(minutes=5)
    assert await scheduler_app.state.platform.state.ticker.run_once(now) == 1
    rounds = await scheduler_client.get(f"/api/v1/rounds?plan_id={created['id']}&state=open", headers=ADMIN)
    [opened] = rounds.json()["items"]
    return dict(opened)


async def round_tasks(scheduler_client: httpx.AsyncClient, round_id: str) -> dict[str, Any]:
    response = await scheduler_client.get(f"/api/v1/tasks?round_id={round_id}&sort=entity_name", headers=ADMIN)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def states(page: dict[str, Any]) -> dict[str, str]:
    return {t["entity_name"]: t["state"] for t in page["items"]}


async def adjust(client: httpx.AsyncClient, entity_id: str, action: str, **extra: Any) -> None:
    body = {"entity_id": entity_id, "action": action, "reason": "名单动态调整", "effective_on": "2026-11-01"}
    response = await client.post("/api/v1/roster-adjustments", json=body | extra, headers=ADMIN)
    assert response.status_code == 201, response.text


async def position(conn: AsyncConnection) -> int:
    value = await conn.scalar(select(F.c.position).where(F.c.feed == FEED))
    assert value is not None
    return int(value)


async def audit_actions(conn: AsyncConnection) -> list[str]:
    """The follower's audit records so far, oldest first."""
    rows = await conn.execute(
        text(
            "SELECT action FROM scheduler.audit_event WHERE resource_type = 'report_task'"
            " AND action IN ('join', 'rejoin', 'withdraw') ORDER BY id"
        )
    )
    return list(rows.scalars())


@pytest.fixture
async def roster(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Two county enterprises of 长沙 (in scope) and a city one (not)."""
    return [
        await create_enterprise(client, 1, **COUNTY_ENTERPRISE),
        await create_enterprise(client, 2, **COUNTY_ENTERPRISE),
        await create_enterprise(client, 3),
    ]


async def test_an_entity_included_while_the_round_is_open_joins_it_with_its_snapshot(
    scheduler_app: Any,
    scheduler_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    db_connection: AsyncConnection,
    roster: list[dict[str, Any]],
) -> None:
    opened = await open_round(scheduler_app, scheduler_client)
    assert opened["task_count"] == 2
    late = await create_enterprise(client, 4, **COUNTY_ENTERPRISE)
    await create_enterprise(client, 5)  # city level: outside the scope
    await create_enterprise(client, 6, level="county", region_code="430202", target_tier="billion")  # 株洲

    applied = await follower(scheduler_app).run_once(NOW)

    assert applied == 6  # the six creations, the three before the round opened included
    page = await round_tasks(scheduler_client, opened["id"])
    assert sorted(t["entity_id"] for t in page["items"]) == sorted([roster[0]["id"], roster[1]["id"], late["id"]])
    joined = next(t for t in page["items"] if t["entity_id"] == late["id"])
    assert (joined["state"], joined["entity_name"], joined["region_code"], joined["level"], joined["tier"]) == (
        "pending",
        late["name"],
        "430104",
        "county",
        "billion",
    )
    assert (joined["due_at"], joined["period_key"], joined["template_version"]) == (
        page["items"][0]["due_at"],
        opened["period_key"],
        1,
    )
    assert page["counts"]["pending"] == 3
    assert await position(db_connection) == int(await feed_end(client))
    assert await audit_actions(db_connection) == ["join"]


async def test_an_entity_removed_from_the_roster_leaves_but_filed_work_stays(
    scheduler_app: Any,
    scheduler_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    db_connection: AsyncConnection,
    roster: list[dict[str, Any]],
) -> None:
    opened = await open_round(scheduler_app, scheduler_client)
    before = await round_tasks(scheduler_client, opened["id"])
    filed = next(t for t in before["items"] if t["entity_id"] == roster[1]["id"])
    figures = {"revenue_ytd": "8.6", "progress": "新增订单", "next_steps": "二期投产"}
    submitted = await scheduler_client.post(
        f"/api/v1/tasks/{filed['id']}/submit", json={"figures": figures}, headers=COUNTY
    )
    assert submitted.status_code == 200, submitted.text
    await adjust(client, roster[0]["id"], "remove")
    await adjust(client, roster[1]["id"], "remove")

    await follower(scheduler_app).run_once(NOW)

    page = await round_tasks(scheduler_client, opened["id"])
    assert states(page) == {roster[0]["name"]: "withdrawn", roster[1]["name"]: "submitted"}
    withdrawn = next(t for t in page["items"] if t["entity_id"] == roster[0]["id"])
    assert (withdrawn["withdrawn_at"], withdrawn["overdue"], withdrawn["version"]) == (
        NOW.isoformat().replace("+00:00", "Z"),
        False,
        2,
    )
    assert (page["counts"]["withdrawn"], page["counts"]["pending"], page["counts"]["submitted"]) == (1, 0, 1)
    listed = await scheduler_client.get(f"/api/v1/rounds/{opened['id']}", headers=ADMIN)
    assert listed.json()["task_count"] == 1
    refused = await scheduler_client.post(
        f"/api/v1/tasks/{withdrawn['id']}/submit", json={"figures": figures}, headers=COUNTY
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "task_withdrawn")
    assert await audit_actions(db_connection) == ["withdraw"]


async def test_an_entity_deleted_as_entered_by_mistake_leaves(
    scheduler_app: Any,
    scheduler_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    db_connection: AsyncConnection,
    roster: list[dict[str, Any]],
) -> None:
    opened = await open_round(scheduler_app, scheduler_client)
    deleted = await client.delete(f"/api/v1/enterprises/{roster[1]['id']}", headers=ADMIN | {"If-Match": '"1"'})
    assert deleted.status_code == 204, deleted.text

    await follower(scheduler_app).run_once(NOW)

    assert states(await round_tasks(scheduler_client, opened["id"])) == {
        roster[0]["name"]: "pending",
        roster[1]["name"]: "withdrawn",
    }
    assert await audit_actions(db_connection) == ["withdraw"]


async def test_leaving_the_scope_withdraws_and_coming_back_restores_the_task(
    scheduler_app: Any,
    scheduler_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    db_connection: AsyncConnection,
    roster: list[dict[str, Any]],
) -> None:
    opened = await open_round(scheduler_app, scheduler_client)
    await adjust(client, roster[0]["id"], "promote")  # county → 长沙 city level: out of a county plan's scope
    await follower(scheduler_app).run_once(NOW)
    assert states(await round_tasks(scheduler_client, opened["id"]))[roster[0]["name"]] == "withdrawn"

    await adjust(client, roster[0]["id"], "demote", to_region_code="430104")
    await follower(scheduler_app).run_once(NOW + dt.timedelta(minutes=1))

    page = await round_tasks(scheduler_client, opened["id"])
    back = next(t for t in page["items"] if t["entity_id"] == roster[0]["id"])
    assert (back["state"], back["withdrawn_at"], back["level"], back["version"]) == ("pending", None, "county", 3)
    assert len(page["items"]) == 2
    assert await audit_actions(db_connection) == ["withdraw", "rejoin"]


async def test_events_once_no_round_is_open_change_nothing(
    scheduler_app: Any,
    scheduler_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    db_connection: AsyncConnection,
    roster: list[dict[str, Any]],
) -> None:
    opened = await open_round(scheduler_app, scheduler_client)
    closed = await scheduler_client.post(
        f"/api/v1/rounds/{opened['id']}/close", headers=ADMIN | {"If-Match": f'"{opened["version"]}"'}
    )
    assert closed.status_code == 200, closed.text
    await create_enterprise(client, 4, **COUNTY_ENTERPRISE)
    await adjust(client, roster[0]["id"], "remove")

    applied = await follower(scheduler_app).run_once(NOW)

    assert applied == 6  # three creations before, one after, the removal's entity update and its adjustment
    assert states(await round_tasks(scheduler_client, opened["id"])) == {
        roster[0]["name"]: "pending",
        roster[1]["name"]: "pending",
    }
    assert await position(db_connection) == int(await feed_end(client))
    assert await audit_actions(db_connection) == []


async def test_a_batch_is_applied_once_however_often_it_is_read(
    scheduler_app: Any,
    scheduler_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    db_connection: AsyncConnection,
    roster: list[dict[str, Any]],
) -> None:
    opened = await open_round(scheduler_app, scheduler_client)
    await create_enterprise(client, 4, **COUNTY_ENTERPRISE)
    await adjust(client, roster[0]["id"], "remove")
    loop = follower(scheduler_app)
    first = await loop.run_once(NOW)
    after_first = await round_tasks(scheduler_client, opened["id"])

    again = await loop.run_ticks(2)
    await db_connection.execute(update(F).where(F.c.feed == FEED).values(position=0))  # as if the commit was lost
    replayed = await loop.run_once(NOW + dt.timedelta(minutes=1))

    assert (first, again, replayed) == (6, 0, 6)
    after_replay = await round_tasks(scheduler_client, opened["id"])
    assert [(t["id"], t["state"], t["version"]) for t in after_replay["items"]] == [
        (t["id"], t["state"], t["version"]) for t in after_first["items"]
    ]
    assert states(after_replay) == {
        roster[0]["name"]: "withdrawn",
        roster[1]["name"]: "pending",
        "湖南测试企业4号有限公司": "pending",
    }
    assert await audit_actions(db_connection) == ["join", "withdraw"]


async def test_a_replica_holding_the_cursor_keeps_the_others_out(
    scheduler_app: Any,
    scheduler_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    db_connection: AsyncConnection,
    roster: list[dict[str, Any]],
) -> None:
    opened = await open_round(scheduler_app, scheduler_client)
    await create_enterprise(client, 4, **COUNTY_ENTERPRISE)
    platform = scheduler_app.state.platform
    other = RosterFeedFollower(platform.state.peers, interval_s=10.0, owner="replica-b")
    await other.start(platform)
    held = await db_connection.execute(
        update(F)
        .where(F.c.feed == FEED)
        .values(lease_owner="replica-a", lease_expires_at=NOW + dt.timedelta(minutes=2))
    )
    assert held.rowcount == 1

    while_held = await other.run_once(NOW)
    after_expiry = await other.run_once(NOW + dt.timedelta(minutes=3))

    assert (while_held, after_expiry) == (0, 4)
    assert len((await round_tasks(scheduler_client, opened["id"]))["items"]) == 3
    lease = (await db_connection.execute(select(F.c.lease_owner, F.c.lease_expires_at))).one()
    assert tuple(lease) == (None, None)


async def test_a_replica_whose_lease_was_taken_over_writes_nothing(
    scheduler_app: Any,
    scheduler_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    db_connection: AsyncConnection,
    roster: list[dict[str, Any]],
) -> None:
    opened = await open_round(scheduler_app, scheduler_client)
    await create_enterprise(client, 4, **COUNTY_ENTERPRISE)
    loop = follower(scheduler_app)
    registry = scheduler_app.state.platform.state.peers.registry
    read_events = registry.read_events

    async def taken_over_while_reading(after: str | int = 0, limit: int = 100, **kwargs: Any) -> Any:
        page = await read_events(after, limit, **kwargs)
        await db_connection.execute(
            update(F)
            .where(F.c.feed == FEED)
            .values(lease_owner="replica-b", lease_expires_at=NOW + dt.timedelta(minutes=5))
        )
        return page

    registry.read_events = taken_over_while_reading
    try:
        applied = await loop.run_once(NOW)
    finally:
        del registry.read_events

    assert applied == 0
    assert await position(db_connection) == 0
    assert len((await round_tasks(scheduler_client, opened["id"]))["items"]) == 2
    assert (await db_connection.execute(select(F.c.lease_owner))).scalar_one() == "replica-b"


async def test_a_change_passed_over_while_the_round_was_opening_reaches_it(
    database_url: str,
    db_connection: AsyncConnection,
    registry_app: Any,
    client: httpx.AsyncClient,
    roster: list[dict[str, Any]],
) -> None:
    """The roster is read, then an entity is included and the follower passes its event (no round is
    open yet), then the round is written: opening sets the position back, so the entity still joins."""
    hook: dict[str, Any] = {}

    class IncludedDuringTheRosterRead(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.real = httpx.ASGITransport(app=registry_app)

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await self.real.handle_async_request(request)
            if request.url.path == "/api/v1/roster" and "late" not in hook:
                hook["late"] = await create_enterprise(client, 4, **COUNTY_ENTERPRISE)
                hook["passed"] = await follower(hook["app"]).run_once(NOW)
            return response

    factory = scheduler_factory(registry_app, IncludedDuringTheRosterRead())
    async with (
        started(factory, scheduler_settings(database_url), Database.inside(db_connection)) as app,
        asgi_client(app, "scheduler") as http,
    ):
        hook["app"] = app
        await follower(app).run_once(NOW)  # the roster's own events: the position is at the feed's end
        before = await position(db_connection)
        opened = await open_round(app, http)
        assert hook["passed"] == 1  # the inclusion, passed over: no round was open
        assert await position(db_connection) == before
        assert len((await round_tasks(http, opened["id"]))["items"]) == 2

        assert await follower(app).run_once(NOW + dt.timedelta(minutes=1)) == 1

        page = await round_tasks(http, opened["id"])
    assert sorted(t["entity_id"] for t in page["items"]) == sorted(
        [roster[0]["id"], roster[1]["id"], hook["late"]["id"]]
    )
