"""One import job from its stored file to its final status: parse, validate, write, report, audit.

The file is read once, in a worker thread, into a spooled `Sheet` (its rows counted before anything
is written); its bytes are not kept. Rows then stream from the spool in batches (`IMPORT_BATCH_SIZE`):
each batch is read and given the pure-Python half of validation in a worker thread one batch ahead
of the database work, so the two overlap on a two-core machine and memory holds two batches at most.

- `valid_rows`: each batch commits in its own transaction together with the job's progress, so the
  job row always says exactly how far the committed writes go (and a restart resumes from there).
- `all_or_nothing`: every batch is written inside one transaction, committed with the job's final
  status; after the first bad row nothing more is written but every row is still checked, so the
  job lists all the errors. Progress is reported in short transactions of its own.

The audit log gets an event for every record the import creates or changes, written with its batch
as the API writes one with each of its writes (a record the file leaves as it is gets none), and one
for the whole import (resource_type `import_job`) with its outcome.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.access import access
from services.registry.entities.kinds import KINDS, KindSpec
from services.registry.imports.links import links_of
from services.registry.imports.parse import Layout, Row, Sheet, map_header, read_sheet
from services.registry.imports.problems import FILE_ROW, MAX_STORED_ERRORS, FileRejected, RowIssue
from services.registry.imports.repository import ImportRepository
from services.registry.imports.validate import Candidate, Departments, RowReader, resolve_batch
from services.registry.imports.writer import BulkWriter, prepare_creations
from shared.audit import AuditLog
from shared.auth import Principal, Role
from shared.context import RequestContext, local_date
from shared.schemas.enums import EntityKind, ImportStatus

log = logging.getLogger("wanqianbai.registry.imports")

Batch = Sequence[Row]


class ImportMode(StrEnum):
    all_or_nothing = "all_or_nothing"  # any bad row: nothing is written
    valid_rows = "valid_rows"  # the good rows are written, the bad ones reported


@dataclass
class Progress:
    """The counters a job row holds, as the job goes."""

    total: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # rows matching a record they would leave as it is
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, job: RowMapping) -> Progress:
        counts = {k: job[k] for k in ("total", "processed", "created", "updated", "unchanged", "error_count")}
        return cls(**counts, errors=list(job["errors"]))

    def add_issues(self, issues: Sequence[RowIssue]) -> None:
        self.error_count += len(issues)
        room = MAX_STORED_ERRORS - len(self.errors)
        if room > 0:
            ordered = sorted(issues, key=lambda i: i.row)
            self.errors.extend(i.as_dict() for i in ordered[:room])

    def values(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "processed": self.processed,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_count": self.error_count,
            "errors": self.errors,
        }


def actor_of(job: RowMapping) -> Principal:
    actor: dict[str, Any] = job["actor"]
    return Principal(
        sub=actor["sub"],
        role=Role(actor["role"]),
        region=actor["region"],
        name=actor.get("name", ""),
        department=actor.get("department"),
    )


class _Abandon(Exception):
    """Leaves the all-or-nothing transaction by rolling it back."""


class ImportPipeline:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        audit: AuditLog,
        *,
        batch_size: int,
        max_rows: int,
        clock: Callable[[], dt.datetime],
        zone: ZoneInfo,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.audit = audit
        self.batch_size = batch_size
        self.max_rows = max_rows
        self.clock = clock
        self.zone = zone

    async def run(self, job: RowMapping) -> None:
        job_id: uuid.UUID = job["id"]
        spec = KINDS[EntityKind(job["kind"])]
        actor = actor_of(job)
        resuming = job["status"] == ImportStatus.running.value and job["mode"] == ImportMode.valid_rows
        progress = Progress.of(job) if resuming else Progress()
        started = {"status": ImportStatus.running.value, "started_at": job["started_at"] or self.clock()}
        await self._save(job_id, started if resuming else started | progress.values())
        try:
            sheet = await self._read_file(job)
        except FileRejected as rejected:
            await self._reject(job, rejected)
            return
        with sheet:
            try:
                layout = map_header(sheet, spec.kind)
                if sheet.total > self.max_rows:
                    message = f"文件有 {sheet.total} 个数据行，超过上限 {self.max_rows} 行，请拆分后导入"
                    raise FileRejected.one(message, "import_too_many_rows")
            except FileRejected as rejected:
                await self._reject(job, rejected)
                return
            progress.total = sheet.total
            reader = await self._reader(spec, layout, actor)
            await self._save(job_id, progress.values())
            log.info("import started", extra={"job_id": str(job_id), "kind": spec.kind.value, "rows": progress.total})
            if job["mode"] == ImportMode.valid_rows:
                await self._valid_rows(job, reader, sheet, progress)
            else:
                await self._all_or_nothing(job, reader, sheet, progress)

    async def _read_file(self, job: RowMapping) -> Sheet:
        """The stored file, read once into a spooled Sheet; its bytes are let go on return."""
        async with self.sessionmaker.begin() as session:
            content = await ImportRepository(session).job_content(job["id"])
        assert content is not None, "the runner starts only jobs whose file is stored"
        return await asyncio.to_thread(read_sheet, content, job["file_format"], self.batch_size)

    async def _reject(self, job: RowMapping, rejected: FileRejected) -> None:
        """The file as a whole cannot be imported: only its problems are reported, whatever went before."""
        progress = Progress()
        progress.add_issues(rejected.issues)
        await self._finish(job, progress, ImportStatus.failed)

    async def _reader(self, spec: KindSpec, layout: Layout, actor: Principal) -> RowReader:
        async with self.sessionmaker.begin() as session:
            caller = await access(actor, session)  # what a request of the actor's would be allowed
            repo = ImportRepository(session)
            departments = Departments(await repo.departments())
            regions = await repo.regions()
            links = links_of(await repo.link_targets(), caller)
        return RowReader(spec, layout, caller, departments, regions, local_date(self.clock(), self.zone), links)

    async def _batches(
        self, reader: RowReader, sheet: Sheet, start: int
    ) -> AsyncIterator[tuple[Batch, list[Candidate], list[RowIssue]]]:
        """The sheet's batches from row `start` on, each validated and prepared in a worker thread
        (rows read from the spool there too) while the previous one is written."""
        source = sheet.batches()
        rest = await asyncio.to_thread(self._skip, reader, source, start) if start else []

        def next_batch() -> tuple[Batch, list[Candidate], list[RowIssue]] | None:
            nonlocal rest
            chunk, rest = (rest, []) if rest else (next(source, None), [])
            if chunk is None:
                return None
            return (chunk, *self._read(reader, chunk))

        pending = asyncio.ensure_future(asyncio.to_thread(next_batch))
        try:
            while (prepared := await pending) is not None:
                pending = asyncio.ensure_future(asyncio.to_thread(next_batch))
                yield prepared
        finally:
            pending.cancel()

    @staticmethod
    def _skip(reader: RowReader, source: Iterator[list[Row]], start: int) -> list[Row]:
        """Resuming: the first `start` rows are committed; read them again only to know the file's keys.
        Returns the rows of the batch that straddles `start` after it (none if batches align with it)."""
        done = 0
        for chunk in source:
            if done + len(chunk) > start:
                reader.read_batch(chunk[: start - done])
                return chunk[start - done :]
            reader.read_batch(chunk)
            done += len(chunk)
            if done == start:
                break
        return []

    def _read(self, reader: RowReader, chunk: Batch) -> tuple[list[Candidate], list[RowIssue]]:
        """Validate a batch and prepare each good row as a new record (runs in a worker thread)."""
        candidates, issues = reader.read_batch(chunk)
        prepare_creations(reader.spec, [c for c in candidates if c.owner_uscc is None], self.clock(), reader.access)
        return candidates, issues

    async def _apply(
        self, writer: BulkWriter, reader: RowReader, candidates: list[Candidate], write: bool
    ) -> tuple[list[RowIssue], int, int, int]:
        """Resolve a batch against the database and, when `write`, write it.

        Returns its issues and the counts of records created, updated and left as they were."""
        writer.events.clear()  # a retried batch starts over
        plan = await resolve_batch(ImportRepository(writer.session), reader, candidates)
        if write:
            now = self.clock()
            await writer.create(plan.creates, now)
            await writer.update(plan.updates, reader.changeable, now)
            await writer.write_events()
        return plan.issues, len(plan.creates), len(plan.updates), plan.unchanged

    async def _apply_retrying(
        self, writer: BulkWriter, reader: RowReader, candidates: list[Candidate], write: bool
    ) -> tuple[list[RowIssue], int, int, int]:
        """`_apply` in a savepoint, once more if a concurrent write took a USCC or project code meanwhile."""
        for attempt in (1, 2):
            try:
                async with writer.session.begin_nested():
                    return await self._apply(writer, reader, candidates, write)
            except IntegrityError:
                if attempt == 2:
                    raise
                log.info("import batch raced a concurrent write; retrying once")
        raise AssertionError("unreachable")

    def _writer(self, session: AsyncSession, reader: RowReader, job: RowMapping) -> BulkWriter:
        """A writer for the job's batches, auditing them as the upload's own request (its id and caller)."""
        return BulkWriter(session, reader.spec, reader.access, self.audit, self._context(job, self.clock()))

    def _context(self, job: RowMapping, now: dt.datetime) -> RequestContext:
        """The upload's request as the job's writes record it: its caller and its id, at `now`."""
        request_id = job["actor"].get("request_id")
        return RequestContext(principal=actor_of(job), request_id=request_id, now=now, zone=self.zone)

    async def _valid_rows(self, job: RowMapping, reader: RowReader, sheet: Sheet, progress: Progress) -> None:
        async for chunk, candidates, issues in self._batches(reader, sheet, progress.processed):
            async with self.sessionmaker.begin() as session:
                writer = self._writer(session, reader, job)
                more, created, updated, unchanged = await self._apply_retrying(writer, reader, candidates, write=True)
                after = replace(progress, errors=list(progress.errors))
                after.processed += len(chunk)
                after.created += created
                after.updated += updated
                after.unchanged += unchanged
                after.add_issues([*issues, *more])
                await ImportRepository(session).save_job(job["id"], after.values())
            progress = after
        await self._finish(job, progress, ImportStatus.succeeded)

    async def _all_or_nothing(self, job: RowMapping, reader: RowReader, sheet: Sheet, progress: Progress) -> None:
        try:
            async with self.sessionmaker.begin() as session:
                writer = self._writer(session, reader, job)
                await writer.stage_feed()
                async for chunk, candidates, issues in self._batches(reader, sheet, 0):
                    write = progress.error_count == 0 and not issues
                    more, created, updated, unchanged = await self._apply_retrying(writer, reader, candidates, write)
                    progress.processed += len(chunk)
                    progress.created += created
                    progress.updated += updated
                    progress.unchanged += unchanged
                    progress.add_issues([*issues, *more])
                    if progress.error_count:
                        progress.created = progress.updated = progress.unchanged = 0
                    await self._save(job["id"], {k: v for k, v in progress.values().items() if k not in _SETTLED})
                if progress.error_count:
                    raise _Abandon
                await writer.flush_feed()
                await self._finish(job, progress, ImportStatus.succeeded, session)
        except _Abandon:
            await self._finish(job, progress, ImportStatus.failed)

    async def _save(self, job_id: uuid.UUID, values: dict[str, Any]) -> None:
        """Progress in a short transaction of its own. Its commit does not wait for the WAL flush: it
        changes nothing but the counters a restart recomputes anyway (an all-or-nothing job runs again
        from the start; a valid-rows job commits its progress with its batches, not here)."""
        async with self.sessionmaker.begin() as session:
            await ImportRepository(session).save_progress(job_id, values)

    async def fail(self, job_id: uuid.UUID) -> None:
        """Close a job an unexpected error stopped, keeping what its committed batches did."""
        async with self.sessionmaker.begin() as session:
            job = await ImportRepository(session).get_job(job_id)
            if job is None:
                return
            progress = Progress.of(job)
            if job["mode"] != ImportMode.valid_rows:
                progress.created = progress.updated = progress.unchanged = 0
            done = (
                f"（此前已提交 {progress.processed} 行的处理结果）"
                if job["mode"] == ImportMode.valid_rows
                else "（未写入任何数据）"
            )
            message = f"导入过程中发生内部错误，已停止；请稍后重新导入{done}"
            progress.add_issues([RowIssue(FILE_ROW, "", message, "import_internal_error")])
            await self._finish(job, progress, ImportStatus.failed, session)

    async def _finish(
        self, job: RowMapping, progress: Progress, status: ImportStatus, session: AsyncSession | None = None
    ) -> None:
        """Record the outcome and the import's audit event; the stored file is no longer needed."""
        if session is None:
            async with self.sessionmaker.begin() as own:
                await self._finish(job, progress, status, own)
            return
        now = self.clock()
        values = progress.values() | {"status": status.value, "finished_at": now, "content": None}
        await ImportRepository(session).save_job(job["id"], values)
        ctx = self._context(job, now)
        summary = {k: v for k, v in values.items() if k not in ("errors", "content", "finished_at")}
        await self.audit.record(
            session,
            ctx,
            action="import",
            resource_type="import_job",
            resource_id=job["id"],
            after={"kind": job["kind"], "mode": job["mode"], "filename": job["filename"], **summary},
        )
        # Nested: keys such as `created` are reserved attributes of a LogRecord.
        log.info("import finished", extra={"job_id": str(job["id"]), "import": summary})


# Counters the all-or-nothing transaction settles when it commits; progress reports leave them alone.
_SETTLED = frozenset({"created", "updated", "unchanged"})
