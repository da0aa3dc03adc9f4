"""Racing writers on the scheduler's versioned resources: of writes with one If-Match, exactly one wins.

Each request commits (the scheduler on the real engine) and the racers are sent at once. Ten PATCHes
with the same ETag: one 200, nine 412 naming the winner's version. A PATCH and a DELETE with the same
ETag: one wins, the other is told what happened (412 with the new version, or 404: the record is
gone). Either way the winner alone leaves an audit record (and, for a problem, a history row).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scheduler.models import CalendarOverride, Plan, Problem, ProblemEvent, Round, outbox, table, tables
from shared.db import Database
from tests.conftest import ADMIN, scheduler_factory, scheduler_settings
from tests.harness import asgi_client, started
from tests.scheduler.helpers import insert_round, plan

PATCHERS = 10
PAIRS = 4  # PATCH+DELETE races per resource, each on a record of its own


@dataclass(frozen=True)
class Resource:
    path: str
    resource_type: str
    body: Callable[[str], dict[str, Any]]  # a valid create body, unique per token
    patch: Callable[[int], dict[str, Any]]  # the n-th racer's change
    key: str = "id"  # the field naming the record in its path
    created: str = "create"  # the audit actions of its creation and its change
    updated: str = "update"


def _day(token: str) -> str:
    """A day far ahead, unique per token, that no other test names."""
    return (dt.date(2060, 1, 1) + dt.timedelta(days=int(token, 16) % 14000)).isoformat()


RESOURCES = [
    Resource(
        "plans",
        "plan",
        lambda t: plan(name=f"竞速计划{t}", region_code="433100"),
        # a window change replaces the plan's scheduled rounds in the same transaction
        lambda n: {"name": f"竞速改名{n}", "submission_window": {"due_after_working_days": 6 + n % 3}},
    ),
    Resource(
        "problems",
        "problem",
        lambda t: {"category": "difficulty", "title": f"竞速问题{t}", "description": "审批慢", "region_code": "430104"},
        lambda n: {"title": f"竞速改题{n}"},
        created="problem_raise",
        updated="problem_update",
    ),
    Resource(
        "calendar/overrides",
        "calendar_override",
        lambda t: {"day": _day(t), "working": True, "note": f"竞速调休{t}"},
        lambda n: {"note": f"竞速改注{n}"},
        key="day",
    ),
]


@pytest.fixture
async def scheduler(database_url: str, engine: AsyncEngine, registry_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The scheduler on the real engine: each request commits. What the test made is deleted after
    (audit rows stay: the table is append-only)."""
    async with (
        started(scheduler_factory(registry_app), scheduler_settings(database_url), Database.on(engine)) as app,
        asgi_client(app, "scheduler") as http,
    ):
        yield http
    plans, problems, overrides, rounds = table(Plan), table(Problem), table(CalendarOverride), table(Round)
    async with engine.begin() as conn:
        made = select(rounds.c.id).join(plans, plans.c.id == rounds.c.plan_id).where(plans.c.name.like("竞速%"))
        bulletins = [f"scheduler:bulletin:{r}" for r in (await conn.execute(made)).scalars()]
        await conn.execute(delete(outbox).where(outbox.c.idempotency_key.in_(bulletins)))
        await conn.execute(delete(plans).where(plans.c.name.like("竞速%")))
        await conn.execute(delete(problems).where(problems.c.title.like("竞速%")))
        await conn.execute(delete(overrides).where(overrides.c.note.like("竞速%")))


async def _create(http: httpx.AsyncClient, resource: Resource) -> str:
    response = await http.post(f"/api/v1/{resource.path}", json=resource.body(uuid.uuid4().hex[:8]), headers=ADMIN)
    assert response.status_code == 201, response.text
    return str(response.json()[resource.key])


async def _audited(engine: AsyncEngine, resource_type: str, record_id: str, created: str = "create") -> dict[str, int]:
    """Audit actions recorded for the record since its creation."""
    a = tables.audit_event
    stmt = (
        select(a.c.action, func.count())
        .where(a.c.resource_type == resource_type, a.c.resource_id == record_id, a.c.action != created)
        .group_by(a.c.action)
    )
    async with engine.connect() as conn:
        return {action: n for action, n in (await conn.execute(stmt)).all()}


async def _history(engine: AsyncEngine, resource: Resource, record_id: str) -> list[str]:
    """A problem's history actions after its creation (other resources keep none)."""
    if resource.resource_type != "problem":
        return []
    e = table(ProblemEvent)
    stmt = select(e.c.action).where(e.c.problem_id == uuid.UUID(record_id), e.c.action != "raise").order_by(e.c.id)
    async with engine.connect() as conn:
        return list((await conn.execute(stmt)).scalars())


@pytest.mark.parametrize("resource", RESOURCES, ids=[r.resource_type for r in RESOURCES])
async def test_ten_patches_with_one_etag_change_the_record_once(
    resource: Resource, scheduler: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    record_id = await _create(scheduler, resource)
    url = f"/api/v1/{resource.path}/{record_id}"
    headers = ADMIN | {"If-Match": '"1"'}
    order = list(range(PATCHERS))
    random.shuffle(order)
    responses = await asyncio.gather(*(scheduler.patch(url, json=resource.patch(n), headers=headers) for n in order))
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [200] + [412] * (PATCHERS - 1), [r.text for r in responses]
    [winner] = [n for n, r in zip(order, responses, strict=True) if r.status_code == 200]
    # Every loser is told the version that beat it.
    assert {(r.json()["code"], r.json()["version"]) for r in responses if r.status_code == 412} == {
        ("precondition_failed", 2)
    }
    current = await scheduler.get(url, headers=ADMIN)
    assert (current.json()["version"], current.headers["etag"]) == (2, '"2"')
    changed = resource.patch(winner)
    assert {k: current.json()[k] for k in changed if k != "submission_window"} == {
        k: v for k, v in changed.items() if k != "submission_window"
    }
    assert await _audited(engine, resource.resource_type, record_id, resource.created) == {resource.updated: 1}
    assert await _history(engine, resource, record_id) == (["update"] if resource.resource_type == "problem" else [])
    if resource.resource_type == "plan":
        rounds = table(Round)
        async with engine.connect() as conn:
            scheduled = await conn.scalar(
                select(func.count()).where(rounds.c.plan_id == uuid.UUID(record_id), rounds.c.state == "scheduled")
            )
        assert scheduled == 3  # replaced once, by the winner: ROUNDS_AHEAD of them, no duplicates


@pytest.mark.parametrize("resource", RESOURCES, ids=[r.resource_type for r in RESOURCES])
async def test_a_patch_and_a_delete_with_one_etag_let_one_win(
    resource: Resource, scheduler: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ids = [await _create(scheduler, resource) for _ in range(PAIRS)]
    headers = ADMIN | {"If-Match": '"1"'}

    async def race(record_id: str) -> tuple[httpx.Response, httpx.Response]:
        url = f"/api/v1/{resource.path}/{record_id}"
        patched, deleted = await asyncio.gather(
            scheduler.patch(url, json=resource.patch(0), headers=headers), scheduler.delete(url, headers=headers)
        )
        return patched, deleted

    outcomes = await asyncio.gather(*(race(i) for i in ids))
    for record_id, (patched, deleted) in zip(ids, outcomes, strict=True):
        current = await scheduler.get(f"/api/v1/{resource.path}/{record_id}", headers=ADMIN)
        audited = await _audited(engine, resource.resource_type, record_id, resource.created)
        history = await _history(engine, resource, record_id)
        if patched.status_code == 200:
            assert (deleted.status_code, deleted.json()["version"]) == (412, 2), deleted.text
            assert (current.status_code, current.json()["version"]) == (200, 2)
            assert audited == {resource.updated: 1}
            assert history == (["update"] if resource.resource_type == "problem" else [])
        else:
            assert (patched.status_code, deleted.status_code) == (404, 204), patched.text
            assert patched.json()["code"] == f"{resource.resource_type}_not_found"
            assert current.status_code == 404
            assert audited == {"delete": 1}


async def test_closes_and_cancels_with_one_etag_move_the_round_once(
    scheduler: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    created = await scheduler.post("/api/v1/plans", json=plan(name=f"竞速计划{uuid.uuid4().hex[:8]}"), headers=ADMIN)
    assert created.status_code == 201, created.text
    async with engine.begin() as conn:
        round_id = await insert_round(conn, uuid.UUID(created.json()["id"]), "2026-05", dt.date(2026, 6, 8))
    url = f"/api/v1/rounds/{round_id}"
    headers = ADMIN | {"If-Match": '"1"'}
    moves = ["close"] * 6 + ["cancel"] * 2
    random.shuffle(moves)
    responses = await asyncio.gather(*(scheduler.post(f"{url}/{move}", headers=headers) for move in moves))
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [200] + [412] * (len(moves) - 1), [r.text for r in responses]
    [won] = [move for move, r in zip(moves, responses, strict=True) if r.status_code == 200]
    assert {r.json()["version"] for r in responses if r.status_code == 412} == {2}
    current = (await scheduler.get(url, headers=ADMIN)).json()
    assert (current["state"], current["version"]) == ({"close": "closed", "cancel": "cancelled"}[won], 2)
    assert await _audited(engine, "round", str(round_id)) == {won: 1}
    async with engine.connect() as conn:
        queued = await conn.scalar(
            select(func.count()).where(outbox.c.idempotency_key == f"scheduler:bulletin:{round_id}")
        )
    assert queued == (1 if won == "close" else 0)  # the bulletin is queued by the close that won, alone
