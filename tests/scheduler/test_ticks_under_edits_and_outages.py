"""A tick against the world moving under it, with the real registry app in process: a plan edited (or
paused) while its tick reads the roster opens no round with what the plan no longer says; the registry
unreachable while rounds open leaves them to the next tick, which opens each missing round once."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduler.models import Plan, Round, table, tables
from shared.db import Database
from tests.conftest import ADMIN, scheduler_factory, scheduler_settings
from tests.harness import asgi_client, started
from tests.scheduler.helpers import create_plan
from tests.scheduler.test_rounds_and_tasks import roster, tick

__all__ = ["roster"]
P, R = table(Plan), table(Round)


class RegistryLink(httpx.AsyncBaseTransport):
    """The scheduler's way to the real registry app. `before_next`, when set, runs once before the next
    request is forwarded (the test's move while the tick waits on the registry); a request for which
    `refuse` answers True is refused as if nothing listened."""

    def __init__(self, app: Any) -> None:
        self.real = httpx.ASGITransport(app=app)
        self.before_next: Callable[[], Awaitable[None]] | None = None
        self.refuse: Callable[[httpx.Request], bool] = lambda request: False
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.before_next is not None:
            move, self.before_next = self.before_next, None
            await move()
        if self.refuse(request):
            self.refused += 1
            raise httpx.ConnectError("connection refused", request=request)
        return await self.real.handle_async_request(request)


@pytest.fixture
def link(registry_app: Any) -> RegistryLink:
    return RegistryLink(registry_app)


@pytest.fixture
async def scheduler(database_url: str, db_connection: AsyncConnection, link: RegistryLink) -> AsyncIterator[Any]:
    factory = scheduler_factory(None, link)
    async with started(factory, scheduler_settings(database_url), Database.inside(db_connection)) as app:
        yield app


@pytest.fixture
async def http(scheduler: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(scheduler, "scheduler") as client:
        yield client


async def open_rounds(http: httpx.AsyncClient, plan_id: str) -> list[dict[str, Any]]:
    response = await http.get(f"/api/v1/rounds?plan_id={plan_id}&state=open&sort=period_key", headers=ADMIN)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def first_round_due_on(http: httpx.AsyncClient, plan_id: str) -> str:
    preview = await http.get(f"/api/v1/plans/{plan_id}/preview?count=1", headers=ADMIN)
    assert preview.status_code == 200, preview.text
    due_on: str = preview.json()["rounds"][0]["due_on"]
    return due_on


async def plan_ticks(conn: AsyncConnection, plan_id: str) -> tuple[Any, ...]:
    row = (
        await conn.execute(select(P.c.last_tick_at, P.c.next_tick_at, P.c.lease_owner).where(P.c.id == plan_id))
    ).one()
    return tuple(row)


async def opened_audits(conn: AsyncConnection, plan_id: str) -> int:
    """Audit records of the plan's rounds opening (other tests' committed records stay: append-only)."""
    a = tables.audit_event
    rounds = [str(r) for r in (await conn.execute(select(R.c.id).where(R.c.plan_id == plan_id))).scalars()]
    opened = select(func.count()).where(a.c.resource_type == "round", a.c.action == "open", a.c.resource_id.in_(rounds))
    return int(await conn.scalar(opened) or 0)


async def test_a_plan_edited_while_its_tick_reads_the_roster_opens_its_round_as_edited(
    scheduler: Any,
    http: httpx.AsyncClient,
    link: RegistryLink,
    roster: list[dict[str, Any]],
    db_connection: AsyncConnection,
) -> None:
    created = await create_plan(http)  # every enterprise; due five working days after opening
    plan_id = created["id"]
    due_before = await first_round_due_on(http, plan_id)
    edited: dict[str, Any] = {}

    async def edit() -> None:
        body = {
            "scope": {"kinds": ["enterprise"], "levels": ["county"]},
            "submission_window": {"due_after_working_days": 8, "grace_working_days": 2},
        }
        response = await http.patch(f"/api/v1/plans/{plan_id}", json=body, headers=ADMIN | {"If-Match": '"1"'})
        assert response.status_code == 200, response.text
        edited["due_on"] = await first_round_due_on(http, plan_id)

    link.before_next = edit  # the tick has read the plan and asks the registry for its roster: the edit commits
    ticker = scheduler.state.platform.state.ticker
    assert await tick(scheduler, created) == 1
    assert (ticker.restarted, ticker.opened) == (1, 1)
    assert edited["due_on"] != due_before
    [opened] = await open_rounds(http, plan_id)
    assert (opened["due_on"], opened["task_count"]) == (edited["due_on"], 3)  # the three county enterprises
    listed = await http.get(f"/api/v1/tasks?round_id={opened['id']}&limit=200", headers=ADMIN)
    assert sorted(t["entity_id"] for t in listed.json()["items"]) == sorted(e["id"] for e in roster[:3])
    assert await opened_audits(db_connection, plan_id) == 1


async def test_a_plan_paused_while_its_tick_reads_the_roster_opens_nothing(
    scheduler: Any,
    http: httpx.AsyncClient,
    link: RegistryLink,
    roster: list[dict[str, Any]],
    db_connection: AsyncConnection,
) -> None:
    created = await create_plan(http)

    async def pause() -> None:
        response = await http.patch(
            f"/api/v1/plans/{created['id']}", json={"status": "paused"}, headers=ADMIN | {"If-Match": '"1"'}
        )
        assert response.status_code == 200, response.text

    link.before_next = pause
    ticker = scheduler.state.platform.state.ticker
    assert await tick(scheduler, created) == 1
    assert (ticker.restarted, ticker.opened) == (1, 0)
    assert await open_rounds(http, created["id"]) == []
    plan = (await http.get(f"/api/v1/plans/{created['id']}", headers=ADMIN)).json()
    assert (plan["status"], plan["next_tick_at"]) == ("paused", None)
    assert await opened_audits(db_connection, created["id"]) == 0


async def test_rounds_whose_roster_the_registry_could_not_give_open_on_a_later_tick_once(
    scheduler: Any,
    http: httpx.AsyncClient,
    link: RegistryLink,
    roster: list[dict[str, Any]],
    db_connection: AsyncConnection,
) -> None:
    created = await create_plan(http, missed_tick_policy="all", missed_tick_cap=2)
    plan_id = created["id"]
    ticks_before = await plan_ticks(db_connection, plan_id)
    ticker = scheduler.state.platform.state.ticker

    # The registry away: the tick due for two monthly rounds opens neither, and leaves the plan due.
    link.refuse = lambda request: True
    assert await tick(scheduler, created, days=32 + 31) == 1
    assert (ticker.opened, await open_rounds(http, plan_id)) == (0, [])
    assert await plan_ticks(db_connection, plan_id) == ticks_before
    assert link.refused > 0

    # Back for the first round's roster, away again for the second's (asked as of its own tick's date).
    second = dt.datetime.fromisoformat(created["next_tick_at"]) + dt.timedelta(days=31)
    second_on = second.astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    link.refuse = lambda request: request.url.params.get("as_of") == second_on
    assert await tick(scheduler, created, days=32 + 31) == 1
    [first] = await open_rounds(http, plan_id)
    assert (ticker.opened, first["task_count"]) == (1, 4)
    assert await plan_ticks(db_connection, plan_id) == ticks_before  # the second round is still owed

    # The registry back: the next tick opens the second round alone, then the plan moves on.
    link.refuse = lambda request: False
    assert await tick(scheduler, created, days=32 + 31) == 1
    assert await tick(scheduler, created, days=32 + 31) == 0  # nothing due any more
    rounds = await open_rounds(http, plan_id)
    assert [(r["id"] == first["id"], r["task_count"]) for r in rounds] == [(True, 4), (False, 4)]
    assert [r["roster_on"] for r in rounds][1] == second_on
    assert ticker.opened == 2
    assert await opened_audits(db_connection, plan_id) == 2
    last_tick_at, next_tick_at, lease_owner = await plan_ticks(db_connection, plan_id)
    assert (last_tick_at > ticks_before[0], next_tick_at > second, lease_owner) == (True, True, None)
