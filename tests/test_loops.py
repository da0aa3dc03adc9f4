"""The loop-service primitive and leases, on a work table of the test's own, committed for real."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, RowMapping, String, Table, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.leases import Lease
from shared.loops import LoopService, WorkerService
from shared.metrics import Metrics
from tests.conftest import ADMIN

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


class FakePlatform:
    """What a loop reads of its app: the sessionmaker, its metrics, and whether loops run in the background."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, run_loops: bool = False) -> None:
        self.sessionmaker = sessions
        self.metrics = Metrics()
        self.database = type("D", (), {"connection": None})()
        self.settings = type("S", (), {"run_loops": run_loops})()


@pytest.fixture
async def work(engine: AsyncEngine) -> AsyncIterator[Table]:
    schema = f"loops_{uuid.uuid4().hex[:8]}"
    table = Table(
        "item",
        MetaData(schema=schema),
        Column("id", Integer, primary_key=True),
        Column("state", String(10), nullable=False, server_default="due"),
        Column("done_by", String(64)),
        Column("lease_owner", String(64)),
        Column("lease_expires_at", DateTime(timezone=True)),
    )
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(table.metadata.create_all)
        await conn.execute(table.insert(), [{"id": n} for n in range(1, 11)])
    yield table
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


class Items(WorkerService[int]):
    name = "items"
    interval_s = 0.01

    def __init__(self, table: Table, *, owner: str, concurrency: int = 3, hold: asyncio.Event | None = None) -> None:
        super().__init__(owner=owner, clock=lambda: T0)
        self.table = table
        self.lease = Lease(table)
        self.concurrency = concurrency
        self.hold = hold
        self.running = 0
        self.most_at_once = 0

    async def claim(self, now: dt.datetime, limit: int) -> Sequence[int]:
        async with self.platform.sessionmaker.begin() as session:
            rows = await self.lease.claim(
                session, owner=self.owner, now=now, duration=LEASE, limit=limit, due=self.table.c.state == "due"
            )
        return sorted(row["id"] for row in rows)

    async def process(self, item: int) -> None:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.hold is not None:
                await self.hold.wait()
            await asyncio.sleep(0.01)
            async with self.platform.sessionmaker.begin() as session:
                await session.execute(
                    update(self.table).where(self.table.c.id == item).values(state="done", done_by=self.owner)
                )
                await self.lease.release(session, item, owner=self.owner)
        finally:
            self.running -= 1

    async def renew(self, items: Sequence[int], now: dt.datetime) -> None:
        async with self.platform.sessionmaker.begin() as session:
            await self.lease.renew(session, items, owner=self.owner, now=now, duration=LEASE)


async def rows(engine: AsyncEngine, table: Table) -> list[RowMapping]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(table).order_by(table.c.id))).mappings())


def attach(loop: LoopService, engine: AsyncEngine, *, run_loops: bool = False) -> None:
    loop._platform = FakePlatform(async_sessionmaker(engine, expire_on_commit=False), run_loops=run_loops)  # type: ignore[assignment]


async def test_run_ticks_runs_exactly_that_many_ticks(engine: AsyncEngine, work: Table) -> None:
    worker = Items(work, owner="a", concurrency=3)
    attach(worker, engine)
    assert await worker.run_ticks(2) == 6
    assert worker.ticks == 2
    assert [r["state"] for r in await rows(engine, work)] == ["done"] * 6 + ["due"] * 4


async def test_concurrency_is_bounded_per_tick(engine: AsyncEngine, work: Table) -> None:
    worker = Items(work, owner="a", concurrency=2)
    attach(worker, engine)
    assert await worker.run_once(T0) == 2
    assert worker.most_at_once == 2


async def test_replicas_claiming_at_once_never_share_an_item(engine: AsyncEngine, work: Table) -> None:
    replicas = [Items(work, owner=f"r{n}", concurrency=4) for n in range(3)]
    for replica in replicas:
        attach(replica, engine)
    handled = await asyncio.gather(*(r.run_once(T0) for r in replicas))
    assert sum(handled) == 10
    done = await rows(engine, work)
    assert {r["state"] for r in done} == {"done"}
    assert sum(1 for r in done if r["done_by"] is not None) == 10
    assert {r["lease_owner"] for r in done} == {None}


async def test_a_dead_replicas_item_is_taken_over_once_its_lease_expires(engine: AsyncEngine, work: Table) -> None:
    dead = Items(work, owner="dead")
    attach(dead, engine)
    claimed = await dead.claim(T0, 1)  # claimed, then the process died before doing it
    assert claimed == [1]
    heir = Items(work, owner="heir", concurrency=10)
    attach(heir, engine)
    assert 1 not in await heir.claim(T0 + LEASE - dt.timedelta(seconds=1), 10)
    assert await heir.claim(T0 + LEASE + dt.timedelta(seconds=1), 10) == [1]


async def test_renew_keeps_only_leases_still_held(engine: AsyncEngine, work: Table) -> None:
    first = Items(work, owner="first")
    attach(first, engine)
    await first.claim(T0, 2)
    late = T0 + LEASE + dt.timedelta(seconds=5)
    second = Items(work, owner="second")
    attach(second, engine)
    assert await second.claim(late, 1) == [1]  # first's lease on item 1 ran out
    async with first.platform.sessionmaker.begin() as session:
        assert await first.lease.renew(session, [1, 2], owner="first", now=late, duration=LEASE) == {2}
    by_id = {r["id"]: r for r in await rows(engine, work)}
    assert (by_id[1]["lease_owner"], by_id[2]["lease_owner"]) == ("second", "first")
    assert by_id[2]["lease_expires_at"] == late + LEASE


async def test_background_loop_fills_free_slots_and_stop_leaves_items_to_their_leases(
    engine: AsyncEngine, work: Table
) -> None:
    hold = asyncio.Event()
    worker = Items(work, owner="bg", concurrency=2, hold=hold)
    attach(worker, engine, run_loops=True)
    await worker.start(worker.platform)
    try:
        for _ in range(200):
            if len(worker.in_hand) == 2:
                break
            await asyncio.sleep(0.01)
        assert sorted(worker.in_hand) == [1, 2]
        hold.set()
        for _ in range(500):
            if {r["state"] for r in await rows(engine, work)} == {"done"}:
                break
            await asyncio.sleep(0.01)
        assert [r["state"] for r in await rows(engine, work)] == ["done"] * 10
        assert worker.most_at_once == 2
    finally:
        await worker.stop()


class Flaky(LoopService):
    name = "flaky"
    interval_s = 0.001

    def __init__(self) -> None:
        super().__init__(clock=lambda: T0)
        self.calls = 0

    async def run_once(self, now: dt.datetime) -> int:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("database away")
        return 0


async def test_a_failing_tick_is_logged_and_the_loop_goes_on(engine: AsyncEngine) -> None:
    loop = Flaky()
    attach(loop, engine, run_loops=True)
    await loop.start(loop.platform)
    try:
        for _ in range(200):
            if loop.calls >= 3:
                break
            await asyncio.sleep(0.005)
        assert loop.calls >= 3
    finally:
        await loop.stop()


async def test_ticks_and_items_are_counted_in_the_apps_metrics(engine: AsyncEngine, work: Table) -> None:
    worker = Items(work, owner="a", concurrency=4)
    attach(worker, engine)
    flaky = Flaky()
    attach(flaky, engine)
    assert await worker.run_ticks(3) == 10  # 4 + 4 + the last 2
    with pytest.raises(RuntimeError):
        await flaky.run_ticks(1)
    registry = worker.platform.metrics.registry
    assert registry.get_sample_value("loop_ticks_total", {"loop": "items", "outcome": "ok"}) == 3
    assert registry.get_sample_value("loop_items_total", {"loop": "items"}) == 10
    assert registry.get_sample_value("loop_last_success_timestamp_seconds", {"loop": "items"}) is not None
    flaky_metrics = flaky.platform.metrics.registry
    assert flaky_metrics.get_sample_value("loop_ticks_total", {"loop": flaky.name, "outcome": "failed"}) == 1
    assert flaky_metrics.get_sample_value("loop_ticks_total", {"loop": flaky.name, "outcome": "ok"}) is None


async def test_loops_do_not_start_when_the_settings_turn_them_off(engine: AsyncEngine) -> None:
    loop = Flaky()
    attach(loop, engine, run_loops=False)
    await loop.start(loop.platform)
    await asyncio.sleep(0.02)
    assert loop.calls == 0
    await loop.stop()


async def test_the_purge_deletes_expired_idempotency_records_only(client: Any, registry_app: Any) -> None:
    platform = registry_app.state.platform
    [purge] = [loop for loop in platform.loops if loop.name == "idempotency-purge"]
    body = {"name": "幂等清理园区", "grade": "provincial", "region_code": "430100"}
    created = await client.post("/api/v1/parks", json=body, headers=ADMIN | {"Idempotency-Key": "purge-1"})
    assert created.status_code == 201
    table = platform.tables.idempotency_record
    async with platform.sessionmaker.begin() as session:
        [stored_at] = (await session.execute(select(table.c.created_at))).scalars().all()
    assert await purge.run_once(stored_at + purge.ttl - dt.timedelta(seconds=1)) == 0
    assert await purge.run_once(stored_at + purge.ttl + dt.timedelta(seconds=1)) == 1
    async with platform.sessionmaker.begin() as session:
        assert (await session.execute(select(table.c.key))).scalars().all() == []


class Parked(LoopService):
    """A loop that ticks once and then waits a long interval for a wake."""

    name = "parked"
    interval_s = 3600.0

    async def run_once(self, now: dt.datetime) -> int:
        return 0


async def test_stop_ends_the_loop_even_when_a_wake_arrives_with_the_cancellation(engine: AsyncEngine) -> None:
    # A slot freed as the app shuts down wakes the loop in the same instant that stop() cancels it: the
    # wake must not swallow the cancellation (asyncio.wait_for did on Python 3.11), or stop() waits forever.
    for _ in range(20):
        loop = Parked()
        attach(loop, engine, run_loops=True)
        await loop.start(loop.platform)
        for _ in range(3):  # the first tick, then parked in its wait for the next one
            await asyncio.sleep(0)
        assert loop.ticks == 1
        loop.wake()
        async with asyncio.timeout(5):
            await loop.stop()
        assert loop.ticks == 1
