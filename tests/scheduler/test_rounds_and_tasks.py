"""Rounds opened by the ticker and by hand, their tasks, filing and review, and accepted figures
reaching the registry through the outbox, with the registry's app in the same process."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduler.models import ReportTask, outbox, table
from services.scheduler.rounds.repository import RoundRepository
from shared.db import Database
from tests.conftest import ADMIN, auth, scheduler_factory, scheduler_settings
from tests.harness import asgi_client, started
from tests.scheduler.helpers import create_enterprise, create_plan, insert_listed_enterprises

CITY = auth("city", "430100")
COUNTY = auth("county", "430104")
OTHER_COUNTY = auth("county", "430105")
TASK_SNAPSHOT = frozenset(
    (
        *("round_id", "plan_id", "period_key", "entity_id", "entity_kind", "entity_name", "region_code", "level"),
        *("tier", "domain", "lead_department_id", "responsible_person", "facts", "template_version", "state", "due_at"),
    )
)
FIGURES = {"revenue_ytd": "86.5", "progress": "新增订单 12 亿元", "next_steps": "推进二期投产"}


async def tick(scheduler_app: Any, plan: dict[str, Any], days: int = 32) -> int:
    """One ticker pass, `days` after the plan was created: its first tick is due by then."""
    now = dt.datetime.fromisoformat(plan["next_tick_at"]) + dt.timedelta(minutes=5)
    if days > 32:
        now += dt.timedelta(days=days - 32)
    opened: int = await scheduler_app.state.platform.state.ticker.run_once(now)
    return opened


@pytest.fixture
async def roster(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Three county enterprises (two in 430104, one in 430105) and one city enterprise."""
    return [
        await create_enterprise(client, 1, level="county", region_code="430104", target_tier="billion"),
        await create_enterprise(client, 2, level="county", region_code="430104", target_tier="billion"),
        await create_enterprise(client, 3, level="county", region_code="430105", target_tier="billion"),
        await create_enterprise(client, 4),
    ]


async def open_round(scheduler_app: Any, scheduler_client: httpx.AsyncClient, **plan: Any) -> dict[str, Any]:
    created = await create_plan(scheduler_client, **plan)
    assert await tick(scheduler_app, created) == 1
    rounds = await scheduler_client.get(f"/api/v1/rounds?plan_id={created['id']}&state=open", headers=ADMIN)
    [opened] = rounds.json()["items"]
    return dict(opened)


async def tasks(scheduler_client: httpx.AsyncClient, headers: dict[str, str], query: str = "") -> dict[str, Any]:
    response = await scheduler_client.get(f"/api/v1/tasks{query}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_tick_opens_the_due_round_with_one_task_per_roster_entity(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, roster: list[dict[str, Any]]
) -> None:
    opened = await open_round(scheduler_app, scheduler_client, scope={"kinds": ["enterprise"], "levels": ["county"]})
    assert (opened["state"], opened["task_count"], opened["backfill"]) == ("open", 3, False)
    listing = await tasks(scheduler_client, ADMIN, f"?round_id={opened['id']}&sort=entity_name")
    assert [t["entity_name"] for t in listing["items"]] == [roster[0]["name"], roster[1]["name"], roster[2]["name"]]
    first = listing["items"][0]
    assert (first["region_code"], first["level"], first["tier"], first["state"]) == (
        "430104",
        "county",
        "billion",
        "pending",
    )
    assert listing["counts"] == {
        "pending": 3,
        "submitted": 0,
        "returned": 0,
        "resubmitted": 0,
        "accepted": 0,
        "withdrawn": 0,
    }


async def test_a_round_over_3000_entities_opens_with_every_task(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    # ~17 values per task: one multi-row INSERT of 3,000 tasks would bind ~51,000 parameters, over the
    # protocol's 32,767, and the round could not open.
    await insert_listed_enterprises(db_connection, 3000)
    opened = await open_round(scheduler_app, scheduler_client, scope={"kinds": ["enterprise"], "regions": ["430104"]})
    assert (opened["state"], opened["task_count"]) == ("open", 3000)
    t = table(ReportTask)
    names = (
        await db_connection.execute(
            select(func.count(), func.count(func.distinct(t.c.entity_id)), func.min(t.c.entity_name)).where(
                t.c.round_id == opened["id"], t.c.region_code == "430104", t.c.state == "pending"
            )
        )
    ).one()
    assert tuple(names) == (3000, 3000, "批量测试企业1000号")


async def test_inserting_the_same_tasks_again_inserts_none(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    await insert_listed_enterprises(db_connection, 2500)
    opened = await open_round(scheduler_app, scheduler_client, scope={"kinds": ["enterprise"], "regions": ["430104"]})
    t = table(ReportTask)
    rows = (await db_connection.execute(select(t).where(t.c.round_id == opened["id"]))).mappings().all()
    again = [{k: v for k, v in row.items() if k in TASK_SNAPSHOT} for row in rows]
    async with scheduler_app.state.platform.sessionmaker.begin() as session:
        assert await RoundRepository(session).insert_tasks(again) == 0
    assert len(again) == 2500


async def test_ticking_again_opens_nothing_more(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, roster: list[dict[str, Any]]
) -> None:
    created = await create_plan(scheduler_client)
    assert await tick(scheduler_app, created) == 1
    assert await tick(scheduler_app, created) == 0  # the plan's next tick is a month away
    rounds = await scheduler_client.get(f"/api/v1/rounds?plan_id={created['id']}&state=open", headers=ADMIN)
    assert len(rounds.json()["items"]) == 1


async def test_missed_ticks_under_all_open_every_round_up_to_the_cap(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, roster: list[dict[str, Any]]
) -> None:
    created = await create_plan(scheduler_client, missed_tick_policy="all", missed_tick_cap=2)
    await tick(scheduler_app, created, days=32 + 95)  # four monthly ticks have passed
    rounds = await scheduler_client.get(f"/api/v1/rounds?plan_id={created['id']}&state=open", headers=ADMIN)
    assert len(rounds.json()["items"]) == 2


async def test_a_county_operator_sees_exactly_its_own_to_do_list(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, roster: list[dict[str, Any]]
) -> None:
    await open_round(scheduler_app, scheduler_client)
    own = await tasks(scheduler_client, COUNTY)
    city = await tasks(scheduler_client, CITY, "?region=430104")
    overdue = await tasks(scheduler_client, COUNTY, "?overdue=true")
    assert sorted(t["entity_id"] for t in own["items"]) == sorted([roster[0]["id"], roster[1]["id"]])
    assert own["counts"]["pending"] == 2
    assert [t["id"] for t in city["items"]] == [t["id"] for t in own["items"]]
    assert overdue["items"] == []


async def test_submit_review_and_resubmit(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, roster: list[dict[str, Any]]
) -> None:
    await open_round(scheduler_app, scheduler_client)
    task = next(t for t in (await tasks(scheduler_client, COUNTY))["items"] if t["entity_id"] == roster[0]["id"])
    path = f"/api/v1/tasks/{task['id']}"
    outside = await scheduler_client.post(f"{path}/submit", json={"figures": FIGURES}, headers=OTHER_COUNTY)
    viewer = await scheduler_client.post(f"{path}/submit", json={"figures": FIGURES}, headers=auth("viewer"))
    submitted = await scheduler_client.post(f"{path}/submit", json={"figures": FIGURES}, headers=COUNTY)
    locked = await scheduler_client.post(f"{path}/submit", json={"figures": FIGURES}, headers=COUNTY)
    self_review = await scheduler_client.post(f"{path}/accept", headers=COUNTY)
    returned = await scheduler_client.post(f"{path}/return", json={"comment": "请补充进展"}, headers=CITY)
    resubmitted = await scheduler_client.post(f"{path}/submit", json={"figures": FIGURES}, headers=COUNTY)
    statuses = [r.status_code for r in (outside, viewer, submitted, locked, self_review, returned, resubmitted)]
    assert statuses == [404, 403, 200, 409, 403, 200, 200]
    assert locked.json()["code"] == "task_locked"
    assert self_review.json()["code"] == "review_not_allowed"
    assert returned.json()["review_comment"] == "请补充进展"
    assert (resubmitted.json()["state"], resubmitted.json()["submission_count"]) == ("resubmitted", 2)
    assert resubmitted.json()["figures"] == FIGURES


async def test_invalid_figures_are_422_field_by_field(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, roster: list[dict[str, Any]]
) -> None:
    await open_round(scheduler_app, scheduler_client)
    task = (await tasks(scheduler_client, COUNTY))["items"][0]
    figures = {"revenue_ytd": 1.5, "progress": "", "colour": "red"}
    response = await scheduler_client.post(
        f"/api/v1/tasks/{task['id']}/submit", json={"figures": figures}, headers=COUNTY
    )
    assert response.status_code == 422
    assert response.json()["code"] == "submission_invalid"
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("figures.revenue_ytd", "amount_invalid"),
        ("figures.progress", "figure_required"),
        ("figures.next_steps", "figure_required"),
        ("figures.colour", "figure_unknown"),
    ]


async def test_backfill_opens_a_past_period_once(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, roster: list[dict[str, Any]]
) -> None:
    created = await create_plan(scheduler_client)
    path = f"/api/v1/plans/{created['id']}/rounds"
    opened = await scheduler_client.post(path, json={"period_key": "2026-09"}, headers=ADMIN)
    again = await scheduler_client.post(path, json={"period_key": "2026-09"}, headers=ADMIN)
    city = await scheduler_client.post(path, json={"period_key": "2026-08"}, headers=CITY)
    wrong_kind = await scheduler_client.post(path, json={"period_key": "2026-Q3"}, headers=ADMIN)
    future = await scheduler_client.post(path, json={"period_key": "2031-01"}, headers=ADMIN)
    garbage = await scheduler_client.post(path, json={"period_key": "2026-13"}, headers=ADMIN)
    statuses = [r.status_code for r in (opened, again, city, wrong_kind, future, garbage)]
    assert statuses == [201, 409, 403, 422, 422, 422]
    assert (opened.json()["backfill"], opened.json()["task_count"], opened.json()["roster_on"]) == (
        True,
        4,
        "2026-09-30",
    )
    assert [again.json()["code"], wrong_kind.json()["code"], future.json()["code"], garbage.json()["code"]] == [
        "round_exists",
        "period_kind_mismatch",
        "period_in_future",
        "period_key_invalid",
    ]


async def test_close_and_cancel_follow_the_round_states(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, roster: list[dict[str, Any]]
) -> None:
    opened = await open_round(scheduler_app, scheduler_client)
    path = f"/api/v1/rounds/{opened['id']}"
    version = f'"{opened["version"]}"'
    closed = await scheduler_client.post(f"{path}/close", headers=ADMIN | {"If-Match": version})
    cancel = await scheduler_client.post(f"{path}/cancel", headers=ADMIN | {"If-Match": closed.headers["etag"]})
    assert (closed.status_code, closed.json()["state"], cancel.status_code) == (200, "closed", 409)
    task = (await tasks(scheduler_client, COUNTY))["items"][0]
    late = await scheduler_client.post(f"/api/v1/tasks/{task['id']}/submit", json={"figures": FIGURES}, headers=COUNTY)
    assert (late.status_code, late.json()["code"]) == (409, "round_not_open")


class Down(httpx.AsyncBaseTransport):
    """The registry unreachable until `up` is set, then the real app."""

    def __init__(self, app: Any) -> None:
        self.up = False
        self.calls = 0
        self.real = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if not self.up:
            raise httpx.ConnectError("registry down", request=request)
        return await self.real.handle_async_request(request)


async def test_accepted_figures_reach_the_registry_once_even_when_it_was_down(
    database_url: str,
    db_connection: AsyncConnection,
    registry_app: Any,
    client: httpx.AsyncClient,
    roster: list[dict[str, Any]],
) -> None:
    down = Down(registry_app)
    factory = scheduler_factory(registry_app)
    async with (
        started(factory, scheduler_settings(database_url), Database.inside(db_connection)) as app,
        asgi_client(app, "scheduler") as http,
    ):
        await open_round(app, http)
        task = next(t for t in (await tasks(http, COUNTY))["items"] if t["entity_id"] == roster[0]["id"])
        await http.post(f"/api/v1/tasks/{task['id']}/submit", json={"figures": FIGURES}, headers=COUNTY)
        accepted = await http.post(f"/api/v1/tasks/{task['id']}/accept", headers=CITY)
        assert (accepted.status_code, accepted.json()["state"]) == (200, "accepted")
    # Acceptance is recorded with its metric write queued, before any delivery.
    [queued] = (await db_connection.execute(select(outbox))).mappings().all()
    assert (queued["attempts"], queued["delivered_at"]) == (0, None)
    assert queued["idempotency_key"] == f"scheduler:report:{task['round_id']}:{roster[0]['id']}:revenue"
    # The relay of an app whose registry is down, then back.
    async with started(
        scheduler_factory(registry_app, down), scheduler_settings(database_url), Database.inside(db_connection)
    ) as app:
        relay = app.state.platform.state.relay
        now = dt.datetime.now(dt.UTC)
        assert await relay.run_once(now) == 1
        [message] = (await db_connection.execute(select(outbox))).mappings().all()
        assert (message["attempts"], message["delivered_at"]) == (1, None)
        assert message["last_error"].startswith("peer_unavailable")
        assert await relay.run_once(now) == 0  # not due again before its backoff
        down.up = True
        assert await relay.run_once(message["next_attempt_at"]) == 1
        [message] = (await db_connection.execute(select(outbox))).mappings().all()
        assert message["attempts"] == 2
        assert message["delivered_at"] == message["next_attempt_at"]
        assert message["response"]["source_ref"] == f"round:{task['round_id']}"
        assert await relay.run_once(message["next_attempt_at"] + dt.timedelta(days=1)) == 0
    metrics = await client.get(f"/api/v1/metrics?entity_id={roster[0]['id']}&history=true", headers=ADMIN)
    [metric] = metrics.json()["items"]
    assert (metric["metric"], metric["value"], metric["source"], metric["month"]) == (
        "revenue",
        "86.5000",
        "report",
        int(task["period_key"][5:]),
    )


async def test_a_running_total_is_compared_with_the_period_before_not_the_latest_accepted(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, roster: list[dict[str, Any]]
) -> None:
    created = await create_plan(scheduler_client)
    for period in ("2026-08", "2026-09", "2026-10"):
        opened = await scheduler_client.post(
            f"/api/v1/plans/{created['id']}/rounds", json={"period_key": period}, headers=ADMIN
        )
        assert opened.status_code == 201, opened.text
    listed = (await tasks(scheduler_client, COUNTY, f"?limit=200&plan_id={created['id']}"))["items"]
    task = {t["period_key"]: t for t in listed if t["entity_id"] == roster[0]["id"]}

    async def file(period: str, revenue: str) -> httpx.Response:
        path = f"/api/v1/tasks/{task[period]['id']}"
        figures = FIGURES | {"revenue_ytd": revenue}
        return await scheduler_client.post(f"{path}/submit", json={"figures": figures}, headers=COUNTY)

    async def accept(period: str) -> None:
        response = await scheduler_client.post(f"/api/v1/tasks/{task[period]['id']}/accept", headers=CITY)
        assert response.status_code == 200, response.text

    assert (await file("2026-09", "30")).status_code == 200
    await accept("2026-09")
    # August is filed late, after September, with a larger running total of its own.
    assert (await file("2026-08", "50")).status_code == 200
    await accept("2026-08")
    # October is held to September's 30, the period before it, not to August's 50 accepted last.
    below_september = await file("2026-10", "25")
    assert below_september.status_code == 422
    assert [(e["field"], e["code"]) for e in below_september.json()["errors"]] == [
        ("figures.revenue_ytd", "running_total_decreased")
    ]
    assert (await file("2026-10", "35")).status_code == 200
