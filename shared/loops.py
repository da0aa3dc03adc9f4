"""Periodic and background work, one shape for every service: a named loop with `run_once(now)`.

    LoopService                 a named periodic job: `run_once(now)` is one tick's work
    └── WorkerService[ItemT]    a tick claims items in the database under a lease and processes them,
                                at most `concurrency` at once, renewing the leases while it works

What each guarantees:
- A tick's work is claimed in the database (`FOR UPDATE SKIP LOCKED` and a lease with an expiry, see
  `shared.leases`), so any number of replicas can run the same loop: one runs a given item at a time,
  and an item whose replica died is claimed again once its lease expires.
- Recover-on-start: the first tick runs as soon as the loop starts, so what a previous process left
  unfinished (leases expired, rows still due) is taken up without waiting an interval.
- A tick that fails is logged and the loop goes on at the next interval; a failure never ends it.
- Tests drive the work themselves: `await loop.run_once(now)` with a fixed clock, or
  `await loop.run_ticks(n)`; they never sleep waiting for a loop. Apps whose settings turn
  `run_loops` off (the test harness, which runs every unit of work on one connection) start no
  background task at all.

`wake()` asks for the next tick now (an import just submitted, a round opened): the loop otherwise
sleeps `interval_s` between ticks.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from shared.app import Platform

log = logging.getLogger("wanqianbai.loops")

ItemT = TypeVar("ItemT")
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def cancelling() -> bool:
    """Whether the current task is being cancelled (shutdown): a worker then leaves its item's lease to expire."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def replica_id(service: str) -> str:
    """This process's name as a lease owner: the service and a random suffix, new on every start."""
    return f"{service}-{secrets.token_hex(6)}"


class LoopService(ABC):
    """A named periodic job. Subclasses implement `run_once`; the lifespan runs it every `interval_s`."""

    name: str
    interval_s: float

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self.clock = clock
        self._platform: Platform[Any, Any] | None = None
        self._task: asyncio.Task[None] | None = None
        self._woken = asyncio.Event()
        self.ticks = 0

    @property
    def platform(self) -> Platform[Any, Any]:
        if self._platform is None:
            raise RuntimeError(f"loop {self.name!r} is not attached: the app's lifespan has not started")
        return self._platform

    @abstractmethod
    async def run_once(self, now: dt.datetime) -> int:
        """One tick's work; returns how many items it handled (0 when there was nothing to do)."""

    async def run_ticks(self, count: int) -> int:
        """Exactly `count` ticks on the loop's clock, one after the other; the items handled in all."""
        handled = 0
        for _ in range(count):
            handled += await self._tick()
        return handled

    def wake(self) -> None:
        """Run the next tick now rather than at the end of the interval."""
        self._woken.set()

    async def _tick(self) -> int:
        self.ticks += 1
        return await self._observed(self.run_once(self.clock()))

    async def _observed(self, work: Awaitable[int]) -> int:
        """`work`'s result, counted in the app's loop metrics (failures too, then re-raised)."""
        metrics = self._platform.metrics if self._platform is not None else None
        try:
            handled = await work
        except Exception:
            if metrics is not None:
                metrics.observe_tick(self.name, None)
            raise
        if metrics is not None:
            metrics.observe_tick(self.name, handled)
        return handled

    async def _run_forever(self) -> None:
        while True:
            self._woken.clear()
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away: the next tick tries again
                log.exception("loop tick failed", extra={"loop": self.name})
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns the wake and drops a
            # cancellation that arrives with it, so stop() would find the loop ticking on.
            with suppress(TimeoutError):
                async with asyncio.timeout(self.interval_s):
                    await self._woken.wait()

    async def start(self, platform: Platform[Any, Any]) -> None:
        self._platform = platform
        if platform.settings.run_loops and self._task is None:
            self._task = asyncio.create_task(self._run_forever(), name=f"loop-{self.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    @asynccontextmanager
    async def lifespan(self, platform: Platform[Any, Any]) -> AsyncIterator[None]:
        """Attach to the app and, unless its settings turn loops off, run in the background until shutdown."""
        await self.start(platform)
        try:
            yield
        finally:
            await self.stop()
            self._platform = None


class WorkerService(LoopService, Generic[ItemT]):
    """A loop whose ticks claim items under a lease and work on them concurrently.

    Subclasses implement `claim` (take up to `limit` due items, leased to `owner` until
    `now + lease_s`, in their own committed transaction), `process` (do one item and record its
    outcome in the same transaction as the state it changes, releasing its lease), and `renew`
    (push the leases of the items still in hand forward). `run_once` waits for the items it claimed;
    the background loop does not, so a long item never stops the next tick from filling a free slot.
    """

    concurrency: int = 1
    lease_s: float = 60.0

    def __init__(self, *, clock: Clock = utc_now, owner: str | None = None) -> None:
        super().__init__(clock=clock)
        self.owner = owner or replica_id(type(self).__name__)
        self._in_hand: dict[asyncio.Task[None], ItemT] = {}
        self._heartbeat: asyncio.Task[None] | None = None

    @abstractmethod
    async def claim(self, now: dt.datetime, limit: int) -> Sequence[ItemT]: ...

    @abstractmethod
    async def process(self, item: ItemT) -> None: ...

    @abstractmethod
    async def renew(self, items: Sequence[ItemT], now: dt.datetime) -> None: ...

    @property
    def in_hand(self) -> list[ItemT]:
        return list(self._in_hand.values())

    async def run_once(self, now: dt.datetime) -> int:
        if self.platform.database.connection is not None:
            # Every unit of work on one connection (the test harness): one item at a time.
            items = await self.claim(now, self.concurrency)
            for item in items:
                await self._process_logged(item)
            return len(items)
        tasks = await self._claim_and_start(now)
        await asyncio.gather(*tasks, return_exceptions=True)
        return len(tasks)

    async def _tick(self) -> int:
        self.ticks += 1
        if self._task is None:  # driven by a test or a caller: wait for the work, as run_once does
            return await self._observed(self.run_once(self.clock()))
        return await self._observed(self._started(self.clock()))

    async def _started(self, now: dt.datetime) -> int:
        return len(await self._claim_and_start(now))

    async def _claim_and_start(self, now: dt.datetime) -> list[asyncio.Task[None]]:
        free = self.concurrency - len(self._in_hand)
        if free <= 0:
            return []
        items = await self.claim(now, free)
        tasks = []
        for item in items:
            task = asyncio.create_task(self._process_logged(item), name=f"{self.name}-item")
            self._in_hand[task] = item
            task.add_done_callback(self._done)
            tasks.append(task)
        return tasks

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_hand.pop(task, None)
        if self._task is not None:
            self.wake()  # a slot is free: fill it now

    async def _process_logged(self, item: ItemT) -> None:
        try:
            await self.process(item)
        except asyncio.CancelledError:
            raise
        except Exception:  # the item's lease runs out and another tick takes it up again
            log.exception("loop item failed", extra={"loop": self.name, "item": str(item)})

    async def _keep_leases(self) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            items = self.in_hand
            if not items:
                continue
            try:
                await self.renew(items, self.clock())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("lease renewal failed", extra={"loop": self.name})

    async def start(self, platform: Platform[Any, Any]) -> None:
        await super().start(platform)
        if self._task is not None and self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._keep_leases(), name=f"lease-{self.name}")

    async def stop(self) -> None:
        """Stop ticking, then cancel the items in hand: their leases expire and another process resumes them."""
        await super().stop()
        heartbeat, self._heartbeat = self._heartbeat, None
        if heartbeat is not None:
            heartbeat.cancel()
        tasks = list(self._in_hand)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, *([heartbeat] if heartbeat else []), return_exceptions=True)

    async def wait(self) -> None:
        """Until every item this process has in hand is done (tests, orderly shutdown)."""
        while self._in_hand:
            await asyncio.gather(*list(self._in_hand), return_exceptions=True)
