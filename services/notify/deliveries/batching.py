"""Group commit: writes handed in while one is being made wait, and go together in the next one.

`GroupCommit(write).submit(item)` returns once `item` has been written (or raises what its batch's
write raised). One write runs at a time; whoever gets the turn writes every item submitted so far,
so under load each write carries what arrived during the previous one and a quiet moment writes a
single item at once, without a timer. A submitter only ever writes batches holding its own item.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class BatchNotWritten(Exception):
    """The write of an item's batch was cancelled (the process is stopping) before it finished."""


class GroupCommit(Generic[T]):
    def __init__(self, write: Callable[[Sequence[T]], Awaitable[None]]) -> None:
        self._write = write
        self._queue: list[tuple[T, asyncio.Future[None]]] = []
        self._turn = asyncio.Lock()

    async def submit(self, item: T) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((item, done))
        async with self._turn:
            if not done.done():
                batch, self._queue = self._queue, []
                try:
                    await self._write([entry for entry, _ in batch])
                except BaseException as exc:
                    failure = exc if isinstance(exc, Exception) else BatchNotWritten("the batch's write was cancelled")
                    for _, waiting in batch:
                        if waiting is not done:  # this submitter raises it itself
                            waiting.set_exception(failure)
                    raise
                for _, waiting in batch:
                    waiting.set_result(None)
        await done
