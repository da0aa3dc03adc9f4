"""Runs import jobs in the background and picks up unfinished ones when the service starts.

A job runs under a PostgreSQL advisory lock held on a connection of its own, so two processes (or a
startup recovery racing a task just submitted) never run the same job, and a job whose process died
is found unlocked and picked up again: an `all_or_nothing` job from the start (none of its writes
were committed), a `valid_rows` job from the first row not yet committed (each of its batches
commits together with its progress).

A process runs at most `MAX_CONCURRENT_JOBS` at once; the others wait, still pending.

Tests on a rolled-back connection set `inline`: `submit` then runs the job to completion before
returning instead of starting a task that would share the test's connection.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.registry.imports.pipeline import ImportPipeline
from services.registry.imports.repository import UNFINISHED, ImportRepository
from services.registry.settings import Settings
from shared.app import Platform

log = logging.getLogger("wanqianbai.registry.imports")

# Each running job holds a connection for its lock and one for its work: a cap keeps the pool for requests.
MAX_CONCURRENT_JOBS = 2


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@asynccontextmanager
async def _lease(engine: AsyncEngine, job_id: uuid.UUID) -> AsyncIterator[bool]:
    """Hold the job's advisory lock for the block; yields False when another process holds it."""
    key = func.hashtextextended(f"registry.import_job:{job_id}", 0)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        held = bool(await connection.scalar(select(func.pg_try_advisory_lock(key))))
        try:
            yield held
        finally:
            if held:
                await connection.scalar(select(func.pg_advisory_unlock(key)))


class ImportRunner:
    def __init__(self, settings: Settings, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self._platform: Platform[Any, Any] | None = None
        self.clock = clock
        self.inline = False
        self.batch_size = settings.import_batch_size
        self.max_rows = settings.import_max_rows
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_JOBS)

    @property
    def platform(self) -> Platform[Any, Any]:
        if self._platform is None:
            raise RuntimeError("the import runner is not running: the app's lifespan has not started")
        return self._platform

    def pipeline(self) -> ImportPipeline:
        return ImportPipeline(
            self.platform.sessionmaker,
            self.platform.audit,
            batch_size=self.batch_size,
            max_rows=self.max_rows,
            clock=self.clock,
            zone=self.platform.zone,
        )

    async def submit(self, job_id: uuid.UUID) -> None:
        """Start the job: a background task, or (inline) to completion before returning."""
        if self.inline:
            await self.run(job_id)
            return
        task = asyncio.create_task(self._run_logged(job_id), name=f"import-{job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_logged(self, job_id: uuid.UUID) -> None:
        try:
            await self.run(job_id)
        except Exception:  # the database went away before the job could start: the next start resumes it
            log.exception("import could not start", extra={"job_id": str(job_id)})

    async def run(self, job_id: uuid.UUID) -> None:
        """Run one job unless it is finished or another process holds it.

        A failure inside the job marks it failed; only a failure to reach the database at all escapes.
        """
        pipeline = self.pipeline()
        async with self._slots, _lease(self.platform.engine, job_id) as held:
            if not held:
                return
            async with pipeline.sessionmaker.begin() as session:
                job = await ImportRepository(session).job_to_run(job_id)
            if job is None or job["status"] not in UNFINISHED or not job["has_file"]:
                return
            try:
                await pipeline.run(job)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("import failed", extra={"job_id": str(job_id)})
                try:
                    await pipeline.fail(job_id)
                except Exception:  # the database itself may be gone: the next start picks the job up
                    log.exception("could not record the failure of import", extra={"job_id": str(job_id)})

    async def recover(self) -> None:
        """Submit every job left pending or running (by a process that stopped)."""
        async with self.platform.sessionmaker.begin() as session:
            job_ids = await ImportRepository(session).unfinished_job_ids()
        for job_id in job_ids:
            log.info("resuming import", extra={"job_id": str(job_id)})
            await self.submit(job_id)

    async def wait(self) -> None:
        """Until every background job of this process has finished (tests, orderly shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stop the background jobs; their rows stay pending/running and the next start resumes them."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


    @asynccontextmanager
    async def lifespan(self, platform: Platform[Any, Any]) -> AsyncIterator[None]:
        """Resume unfinished imports at startup; on shutdown stop the running ones."""
        self._platform = platform
        try:
            await self.recover()
        except Exception:  # the database may not be up yet; /readyz says so, and the next start retries
            log.exception("could not resume unfinished imports")
        try:
            yield
        finally:
            await self.close()
            self._platform = None
