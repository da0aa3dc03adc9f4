"""Runs import jobs in the background, on the platform's loop-service primitive.

Each tick claims unfinished jobs (pending, or running when their process stopped) under a lease
(`shared.leases`): one process runs a given job at a time, and a job whose process died is claimed
again once its lease expires, an `all_or_nothing` job from the start (none of its writes were
committed), a `valid_rows` job from the first row not yet committed (each of its batches commits
together with its progress). A process runs at most `concurrency` jobs at once (each holds a
connection for its work, so a cap keeps the pool for requests); the others wait, still pending.

Submitting a job wakes the loop. Where background loops are off (`RUN_LOOPS=false`: the test
harness, every unit of work on one connection), `submit` runs the tick itself before returning.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Sequence

from services.registry.imports.pipeline import ImportPipeline
from services.registry.imports.repository import UNFINISHED, ImportRepository
from services.registry.settings import Settings
from shared.loops import Clock, WorkerService, cancelling, utc_now

log = logging.getLogger("wanqianbai.registry.imports")


class ImportRunner(WorkerService[uuid.UUID]):
    name = "imports"
    interval_s = 5.0
    concurrency = 2
    lease_s = 60.0

    def __init__(self, settings: Settings, clock: Clock = utc_now) -> None:
        super().__init__(clock=clock)
        self.batch_size = settings.import_batch_size
        self.max_rows = settings.import_max_rows

    @property
    def lease_duration(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.lease_s)

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
        """A job was stored: run it now (loops off) or have the background loop claim it."""
        if self.platform.settings.run_loops:
            self.wake()
        else:
            await self.run_once(self.clock())

    async def claim(self, now: dt.datetime, limit: int) -> Sequence[uuid.UUID]:
        async with self.platform.sessionmaker.begin() as session:
            return await ImportRepository(session).claim_jobs(
                owner=self.owner, now=now, duration=self.lease_duration, limit=limit
            )

    async def renew(self, items: Sequence[uuid.UUID], now: dt.datetime) -> None:
        async with self.platform.sessionmaker.begin() as session:
            await ImportRepository(session).renew_jobs(items, owner=self.owner, now=now, duration=self.lease_duration)

    async def process(self, item: uuid.UUID) -> None:
        """Run one claimed job. A failure inside it marks it failed; its lease is released either way."""
        pipeline = self.pipeline()
        try:
            async with pipeline.sessionmaker.begin() as session:
                job = await ImportRepository(session).job_to_run(item)
            if job is None or job["status"] not in UNFINISHED or not job["has_file"]:
                return
            try:
                await pipeline.run(job)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("import failed", extra={"job_id": str(item)})
                await pipeline.fail(item)
        finally:
            if not cancelling():
                async with pipeline.sessionmaker.begin() as session:
                    await ImportRepository(session).release_job(item, owner=self.owner)
