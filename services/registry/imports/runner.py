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

from fastapi import FastAPI, Request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.registry.imports.pipeline import ImportPipeline
from services.registry.imports.repository import UNFINISHED, ImportRepository
from services.registry.settings import Settings
from shared.app import Platform

log = logging.getLogger("wanqianbai.registry.imports")

EXTRAS_KEY = "imports"
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
    def __init__(self, platform: Platform, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.platform = platform
        self.clock = clock
        self.inline = False
        settings = platform.settings
        assert isinstance(settings, Settings), "the registry's platform carries the registry's settings"
        self.batch_size = settings.import_batch_size
        self.max_rows = settings.import_max_rows
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_JOBS)

    def pipeline(self) -> ImportPipeline:
        # The sessionmaker is looked up per job: tests swap the platform's between requests.
        sessionmaker = self.platform.sessionmaker
        assert sessionmaker is not None, "the service's lifespan has not run"
        return ImportPipeline(
            sessionmaker,
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
        assert self.platform.engine is not None
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
        sessionmaker = self.platform.sessionmaker
        assert sessionmaker is not None
        async with sessionmaker.begin() as session:
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


def runner_of(platform: Platform) -> ImportRunner:
    runner = platform.extras.get(EXTRAS_KEY)
    if not isinstance(runner, ImportRunner):
        runner = platform.extras[EXTRAS_KEY] = ImportRunner(platform)
    return runner


async def import_runner(request: Request) -> ImportRunner:
    """Dependency: the app's runner."""
    return runner_of(request.app.state.platform)


@asynccontextmanager
async def imports_lifespan(app: FastAPI, platform: Platform) -> AsyncIterator[None]:
    """The registry's startup hook: resume unfinished imports; on shutdown stop the running ones."""
    runner = runner_of(platform)
    try:
        await runner.recover()
    except Exception:  # the database may not be up yet; /readyz says so, and the next start retries
        log.exception("could not resume unfinished imports")
    try:
        yield
    finally:
        await runner.close()
