"""Two replicas' tickers racing on one due tick open its round exactly once (committed for real)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scheduler.business_calendar.repository import CalendarRepository
from services.scheduler.models import Plan, Round, table
from services.scheduler.plans.convert import timing_of
from services.scheduler.rounds.opening import Roster, RoundBook
from services.scheduler.rounds.ticker import RoundTicker
from services.scheduler.schedule import round_timing
from shared.db import Database
from tests.conftest import ADMIN, scheduler_factory, scheduler_settings
from tests.harness import asgi_client, started
from tests.scheduler.helpers import plan

P, R = table(Plan), table(Round)


@pytest.fixture
async def committing_scheduler(database_url: str, engine: AsyncEngine, registry_app: Any) -> AsyncIterator[Any]:
    """The scheduler on the real engine (each unit of work commits); the plans it made are deleted after."""
    async with started(scheduler_factory(registry_app), scheduler_settings(database_url), Database.on(engine)) as app:
        app.state.made = []
        yield app
    async with engine.begin() as conn:
        await conn.execute(delete(P).where(P.c.id.in_(app.state.made)))


async def _due_plan(app: Any) -> tuple[uuid.UUID, dt.datetime]:
    async with asgi_client(app, "scheduler") as http:
        body = plan(region_code="433100", scope={"kinds": ["enterprise"]})  # an empty roster: no registry rows
        response = await http.post("/api/v1/plans", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    created = response.json()
    app.state.made.append(uuid.UUID(created["id"]))
    return uuid.UUID(created["id"]), dt.datetime.fromisoformat(created["next_tick_at"]) + dt.timedelta(minutes=1)


async def test_two_tickers_racing_open_the_round_once(committing_scheduler: Any, engine: AsyncEngine) -> None:
    plan_id, now = await _due_plan(committing_scheduler)
    peers = committing_scheduler.state.platform.state.peers
    tickers = [RoundTicker(peers, interval_s=1, ahead=3, owner=f"replica-{n}") for n in range(2)]
    for ticker in tickers:
        await ticker.start(committing_scheduler.state.platform)  # attached; loops are off, so no task
    handled = await asyncio.gather(*(ticker.run_once(now) for ticker in tickers))
    assert sorted(handled) == [0, 1]  # the plan is leased to one of them
    assert sum(t.opened for t in tickers) == 1
    async with engine.connect() as conn:
        states = (
            await conn.execute(select(R.c.state, func.count()).where(R.c.plan_id == plan_id).group_by(R.c.state))
        ).all()
    assert dict(states) == {"open": 1, "scheduled": 3}


async def test_two_openers_of_one_period_insert_one_round(committing_scheduler: Any, engine: AsyncEngine) -> None:
    """Past the lease (a replica whose lease ran out mid-tick): the unique period key still decides."""
    plan_id, now = await _due_plan(committing_scheduler)
    sessions = committing_scheduler.state.platform.sessionmaker
    async with sessions.begin() as session:
        row = (await session.execute(select(P).where(P.c.id == plan_id))).mappings().one()
        await session.execute(delete(R).where(R.c.plan_id == plan_id))
    async with sessions.begin() as session:
        calendar = await CalendarRepository(session).calendar()
    timing = timing_of(row)
    planned = round_timing(timing.schedule, timing.window, timing.reminders, calendar, now)
    start = asyncio.Event()

    async def open_once() -> bool:
        async with sessions.begin() as session:
            await start.wait()
            opened = await RoundBook(session, ahead=3).open(
                row, planned, Roster([], {}), now=now, roster_on=now.date(), backfill=False, feed_position=None
            )
            return opened is not None

    racers = [asyncio.create_task(open_once()) for _ in range(2)]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.gather(*racers)
    assert sorted(results) == [False, True]
    async with engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(R).where(R.c.plan_id == plan_id))
    assert count == 1
