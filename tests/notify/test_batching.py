"""Group commit of delivery outcomes: what arrives during a write goes in the next one; failures reach their batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from services.notify.deliveries.batching import GroupCommit


class Writer:
    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on
        self.gate = asyncio.Event()

    async def write(self, items: Sequence[int]) -> None:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            await self.gate.wait()  # the first write is slow: others arrive meanwhile
        if self.fail_on is not None and self.fail_on in items:
            raise RuntimeError("database away")


async def test_items_submitted_during_a_write_go_together_in_the_next() -> None:
    writer = Writer()
    log = GroupCommit(writer.write)
    first = asyncio.create_task(log.submit(1))
    await asyncio.sleep(0)  # the first write has started and waits
    others = [asyncio.create_task(log.submit(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    assert writer.batches == [[1]]
    writer.gate.set()
    await asyncio.gather(first, *others)
    assert writer.batches == [[1], [2, 3, 4]]


async def test_a_failed_write_fails_every_item_of_its_batch_and_no_other() -> None:
    writer = Writer(fail_on=3)
    log = GroupCommit(writer.write)
    first = asyncio.create_task(log.submit(1))
    await asyncio.sleep(0)
    others = [asyncio.create_task(log.submit(n)) for n in (2, 3)]
    await asyncio.sleep(0)
    writer.gate.set()
    await first
    for task in others:
        with pytest.raises(RuntimeError, match="database away"):
            await task
    await log.submit(5)  # the next batch is written as usual
    assert writer.batches == [[1], [2, 3], [5]]


async def test_a_quiet_moment_writes_one_item_at_once() -> None:
    writer = Writer()
    writer.gate.set()
    log = GroupCommit(writer.write)
    await log.submit(7)
    await log.submit(8)
    assert writer.batches == [[7], [8]]
