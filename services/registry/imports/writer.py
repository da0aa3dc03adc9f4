"""The bulk writes of an import: set-based SQL, a few statements per batch whatever its size.

Each statement takes the batch as parallel arrays, one per column (`INSERT … SELECT … FROM unnest(…)`,
`UPDATE … FROM unnest(…)`). New records get what the API gives them: the entity and its kind's row,
the automatic roster inclusion (effective on the listing date, today by default), all three written
by one statement, a change-feed event carrying the record as `GET` shows it, and an audit event
(`create`, after = that record). An updated record gets an audit event as a PATCH does (`update`,
before and after = the record as `GET` shows it before and after); each batch's audit events are one
statement (`AuditLog.record_many`) in the batch's transaction.

The columns each statement names, and the types its arrays travel as, are those of the tables
(`services.registry.models`): the entity's body columns (`kinds.ENTITY_COLUMNS`), the kind table's
columns that an import column feeds (`columns.IMPORTED_FIELDS`), the feed's own.

Change-feed events follow `services.registry.events.repository`'s ordering protocol (ids handed out
under the feed's advisory lock, held until commit). An all-or-nothing import would otherwise hold
that lock, and so stall every other registry write, for as long as it runs: its events are staged
in a temporary table and moved into the feed in one statement just before the import commits.
Audit events need no such lock and go straight in. Never commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Column, String, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.access import Access
from services.registry.entities.kinds import ENTITY_COLUMNS, KINDS, KindSpec
from services.registry.entities.repository import LINKS, EntityRepository
from services.registry.entities.views import feed_payload, render
from services.registry.events.repository import lock_feed
from services.registry.imports.columns import IMPORTED_FIELDS
from services.registry.imports.validate import NOT_IMPORTED, Candidate
from services.registry.models import PROJECT_SIZE_METRIC, ChangeEvent, Entity, RosterAdjustment, table
from shared.audit import AuditEntry, AuditLog
from shared.context import RequestContext
from shared.schemas.enums import EntityKind, RosterAction, RosterStatus

E, R, FEED = table(Entity), table(RosterAdjustment), table(ChangeEvent)
_PG = postgresql.dialect()  # type: ignore[no-untyped-call]
# Columns of each kind's own table an import writes: those an import column feeds (not a parent industry).
KIND_COLUMNS: dict[EntityKind, tuple[str, ...]] = {
    kind: tuple(c for c in spec.own_columns if c in IMPORTED_FIELDS[kind]) for kind, spec in KINDS.items()
}
# What a new record's roster inclusion takes from its row, and the columns those values go to.
_ROSTER_VALUES: dict[str, Column[Any]] = {"listing_reason": R.c.reason, "document_ref": R.c.document_ref}
# What a writer puts into the change feed (the table numbers and stamps each event itself).
FEED_COLUMNS: tuple[Column[Any], ...] = tuple(c for c in FEED.c if c.key not in ("id", "occurred_at"))
domain_log = logging.getLogger("wanqianbai.registry.domain")  # the feed's own domain-event log
Staged = Mapping[str, Column[Any]]  # the batch's values by name, each with the column it is written to


class FeedEvent(NamedTuple):
    """A change-feed event of the batch, its fields named as the feed's columns."""

    resource_id: str
    action: str
    payload: str | None  # JSON text


def array_type(column: Column[Any]) -> str:
    """The SQL type one value of `column` travels as in the batch's arrays.

    The column's own type, but text for strings (a cast to varchar(n) would cut a long value short
    where the insert refuses it) and for lists (comma-joined: unnest cannot take ragged arrays).
    """
    if isinstance(column.type, String | ARRAY):
        return "text"
    return str(column.type.compile(dialect=_PG))


def _arrays(staged: Staged, candidates: Sequence[Candidate], ids: Sequence[uuid.UUID | str]) -> dict[str, list[Any]]:
    """The batch value by value, one array each, in the candidates' order (`ids` fills `id`).

    Values go as the schema made them: enum members are `StrEnum`s, text to asyncpg; a list of codes
    (labels) travels as one comma-joined text.
    """
    arrays: dict[str, list[Any]] = {}
    for name, column in staged.items():
        if name == "id":
            arrays[name] = list(ids)
        elif name == "created_at":
            arrays[name] = [c.created_at for c in candidates]
        elif isinstance(column.type, ARRAY):
            arrays[name] = [",".join(c.values[name]) for c in candidates]
        else:
            arrays[name] = [c.values[name] for c in candidates]
    return arrays


def _unnest(staged: Staged) -> str:
    arrays = ", ".join(f"CAST(:{name} AS {array_type(column)}[])" for name, column in staged.items())
    return f"unnest({arrays}) AS u({', '.join(staged)})"


def _select(name: str, column: Column[Any]) -> str:
    """A staged value as its column takes it: a comma-joined list back into an array."""
    if isinstance(column.type, ARRAY):
        return f"coalesce(string_to_array(nullif(u.{name}, ''), ','), '{{}}')"
    return f"u.{name}"


def _not_imported(spec: KindSpec) -> dict[str, Any]:
    """What a new record holds in the fields no import column feeds: their create-schema defaults."""
    fields = spec.create.model_fields
    return {name: fields[name].get_default(call_default_factory=True) for name in NOT_IMPORTED[spec.kind]}


_DEFAULTS: dict[EntityKind, dict[str, Any]] = {kind: _not_imported(spec) for kind, spec in KINDS.items()}


def prepare_creation(spec: KindSpec, candidate: Candidate, stamp: dt.datetime, access: Access) -> None:
    """Fix a new record's timestamps now and render its feed payload, as `GET` will show it.

    Pure Python, run in the validation thread; the record is inserted with exactly these values.
    """
    candidate.created_at = stamp
    row = {
        **candidate.values,
        "id": candidate.id,
        "kind": spec.kind.value,
        "roster_status": RosterStatus.listed.value,
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
        "persons": [],
        "standing_metric": None,
        "standing_year": None,
        "standing_value": None,
        **_DEFAULTS[spec.kind],
    }
    payload = feed_payload(render(spec, row, access))
    payload["person_ids"] = [str(i) for i in candidate.values.get("person_ids") or ()]  # as GET will show them
    candidate.payload = orjson.dumps(payload).decode()


def prepare_creations(spec: KindSpec, candidates: Iterable[Candidate], stamp: dt.datetime, access: Access) -> None:
    for candidate in candidates:
        prepare_creation(spec, candidate, stamp, access)


class BulkWriter:
    """Writes one job's batches; `ctx` is the request that uploaded the file (its time is each batch's)."""

    def __init__(
        self, session: AsyncSession, spec: KindSpec, access: Access, audit: AuditLog, ctx: RequestContext
    ) -> None:
        self.session = session
        self.spec = spec
        self.access = access
        self.audit = audit
        self.ctx = ctx
        self.table = spec.table.fullname
        self.staging: str | None = None
        self.events: list[FeedEvent] = []

    async def create(self, candidates: Sequence[Candidate], now: dt.datetime) -> None:
        """Insert new records with their roster inclusion and their feed events."""
        if not candidates:
            return
        for candidate in candidates:
            if candidate.payload is None:  # depended on the database (a project's owner)
                prepare_creation(self.spec, candidate, now, self.access)
        k, own = self.spec.table, KIND_COLUMNS[self.spec.kind]
        staged: Staged = {
            "id": E.c.id,
            **{c: E.c[c] for c in (*ENTITY_COLUMNS, "listed_on", "created_at")},
            **{c: k.c[c] for c in own},
            **_ROSTER_VALUES,
        }
        # A project's size (`Entity.size_value`: its total investment) goes in with its entity row, so the
        # trigger that keeps it has nothing to rewrite: a second version of every new row would cost as
        # much index maintenance again as the insert itself.
        size_columns = size_values = ""
        if self.spec.kind is EntityKind.project:
            size_columns, size_values = ", size_metric, size_value", f", '{PROJECT_SIZE_METRIC}', u.total_investment"
        # One statement for the three tables: the batch's arrays travel once. Foreign keys between
        # them are checked at the end of the statement, when every row is in.
        await self.session.execute(
            text(
                f"WITH u AS (SELECT * FROM {_unnest(staged)}),"  # noqa: S608
                f" new_entity AS (INSERT INTO {E.fullname} (id, kind, {', '.join(ENTITY_COLUMNS)}, roster_status,"
                f" listed_on, created_at, updated_at{size_columns}) SELECT u.id, :kind,"
                f" {', '.join(f'u.{c}' for c in ENTITY_COLUMNS)}, :status, u.listed_on, u.created_at, u.created_at"
                f"{size_values} FROM u),"
                f" new_own AS (INSERT INTO {self.table} (entity_id, {', '.join(own)})"
                f" SELECT u.id, {', '.join(_select(c, staged[c]) for c in own)} FROM u)"
                f" INSERT INTO {R.fullname} (entity_id, action, reason, effective_on, document_ref,"
                " actor_sub, actor_name, to_level, to_region_code, to_tier, status_after)"
                " SELECT u.id, :action, u.listing_reason, u.listed_on, u.document_ref, :actor_sub, :actor_name,"
                " u.level, u.region_code, u.target_tier, :status FROM u"
            ),
            {
                "kind": self.spec.kind.value,
                "status": RosterStatus.listed.value,
                "action": RosterAction.include.value,
                "actor_sub": self.access.principal.sub,
                "actor_name": self.access.principal.name,
            }
            | _arrays(staged, candidates, [c.id for c in candidates]),
        )
        await self._write_links(candidates, [c.id for c in candidates], LINKS, replacing=False)
        self.events += [FeedEvent(c.id, "created", c.payload) for c in candidates]
        await self._audit(now, "create", [AuditEntry(c.id, None, c.payload) for c in candidates])

    async def update(
        self, updates: Sequence[tuple[Candidate, uuid.UUID]], columns: Sequence[str], now: dt.datetime
    ) -> None:
        """Overwrite `columns` of existing records and bump their version, as a PATCH would."""
        if not updates:
            return
        candidates = [c for c, _ in updates]
        ids = [entity_id for _, entity_id in updates]
        records = EntityRepository(self.session)
        # The batch is read twice (before and after); each read is planned for its own ids. A prepared
        # statement run more than five times may be given a generic plan, which guesses the array's
        # length and, where the table's statistics lag behind the import, compares every entity with
        # every id: seconds per batch instead of milliseconds.
        await self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        before = {i: self._payload(row) for i, row in (await records.read_many(self.spec, ids)).items()}
        entity_columns = [c for c in columns if c in ENTITY_COLUMNS]
        k = self.spec.table
        own = {c: k.c[c] for c in columns if c in KIND_COLUMNS[self.spec.kind]}
        staged: Staged = {"id": E.c.id, **{c: E.c[c] for c in entity_columns}}
        assignments = [f"{c} = {_select(c, staged[c])}" for c in entity_columns]
        await self.session.execute(
            text(
                f"UPDATE {E.fullname} AS e SET {', '.join([*assignments, 'version = e.version + 1'])},"  # noqa: S608
                f" updated_at = now() FROM {_unnest(staged)} WHERE e.id = u.id"
            ),
            _arrays(staged, candidates, ids),
        )
        if own:
            staged = {"id": E.c.id, **own}
            await self.session.execute(
                text(
                    f"UPDATE {self.table} AS k SET {', '.join(f'{c} = {_select(c, col)}' for c, col in own.items())}"  # noqa: S608
                    f" FROM {_unnest(staged)} WHERE k.entity_id = u.id"
                ),
                _arrays(staged, candidates, ids),
            )
        await self._write_links(candidates, ids, [c for c in columns if c in LINKS], replacing=True)
        # An updated record keeps its metrics and history (and the links the file has no column for):
        # read it back as GET shows it.
        after = {i: self._payload(row) for i, row in (await records.read_many(self.spec, ids)).items()}
        self.events += [FeedEvent(str(i), "updated", after[i]) for i in ids]
        await self._audit(now, "update", [AuditEntry(str(i), before[i], after[i]) for i in ids])

    async def _write_links(
        self,
        candidates: Sequence[Candidate],
        ids: Sequence[uuid.UUID | str],
        fields: Iterable[str],
        *,
        replacing: bool,
    ) -> None:
        """The batch's links of each of `fields` (`chain_ids`, `park_ids`, `person_ids`), one statement per
        table; `replacing`, the records' links of that kind are deleted first."""
        for field_name in fields:
            link, column = LINKS[field_name]
            if replacing:
                await self.session.execute(
                    text(f"DELETE FROM {link.fullname} WHERE entity_id = ANY(CAST(:ids AS uuid[]))"),  # noqa: S608
                    {"ids": [str(i) for i in ids]},
                )
            pairs = [
                (str(entity_id), str(target))
                for entity_id, candidate in zip(ids, candidates, strict=True)
                for target in dict.fromkeys(candidate.values.get(field_name) or ())
            ]
            if pairs:
                await self.session.execute(
                    text(
                        f"INSERT INTO {link.fullname} (entity_id, {column})"  # noqa: S608
                        " SELECT * FROM unnest(CAST(:entities AS uuid[]), CAST(:targets AS uuid[]))"
                    ),
                    {"entities": [p[0] for p in pairs], "targets": [p[1] for p in pairs]},
                )

    def _payload(self, row: Mapping[Any, Any]) -> str:
        """A record as its feed and audit events carry it: as `GET` shows it, without contact details."""
        return orjson.dumps(feed_payload(render(self.spec, row, self.access))).decode()

    async def _audit(self, now: dt.datetime, action: str, entries: Sequence[AuditEntry]) -> None:
        ctx = replace(self.ctx, now=now)
        await self.audit.record_many(
            self.session, ctx, action=action, resource_type=self.spec.kind.value, entries=entries
        )

    async def stage_feed(self) -> None:
        """From now on, hold feed events back until `flush_feed` (call outside any savepoint)."""
        self.staging = f"import_feed_{uuid.uuid4().hex}"
        # Keyed by `seq`, so `flush_feed` reads the events back in order without sorting them all.
        columns = ", ".join(f"{c.key} {array_type(c)}" for c in FEED_COLUMNS)
        await self.session.execute(
            text(f"CREATE TEMPORARY TABLE {self.staging} (seq bigserial PRIMARY KEY, {columns}) ON COMMIT DROP")
        )

    async def flush_feed(self) -> None:
        """Move the staged events into the feed, in order, under the feed's lock (held until commit)."""
        if self.staging is None:
            return
        await lock_feed(self.session)
        columns = ", ".join(c.key for c in FEED_COLUMNS)
        moved = await self.session.execute(
            text(
                f"INSERT INTO {FEED.fullname} ({columns})"  # noqa: S608
                f" SELECT {columns} FROM {self.staging} ORDER BY seq"
            )
        )
        domain_log.info("domain events", extra={"event": "bulk", "count": moved.rowcount})  # type: ignore[attr-defined]
        await self.session.execute(text(f"DROP TABLE {self.staging}"))
        self.staging = None

    async def write_events(self) -> None:
        """The batch's change-feed events: staged, or into the feed (the batch's last write, as the
        feed's lock is held from here to commit)."""
        events, self.events = self.events, []
        if not events:
            return
        if self.staging is None:
            await lock_feed(self.session)
        target = self.staging or FEED.fullname
        staged: Staged = {c.key: c for c in FEED_COLUMNS if c.key != "resource_type"}
        await self.session.execute(
            text(
                f"INSERT INTO {target} ({', '.join(c.key for c in FEED_COLUMNS)})"  # noqa: S608
                f" SELECT :resource_type, {', '.join(f'u.{name}' for name in staged)} FROM {_unnest(staged)}"
            ),
            {"resource_type": self.spec.kind.value}
            | {name: [getattr(event, name) for event in events] for name in staged},
        )
        if self.staging is None:
            domain_log.info("domain events", extra={"event": "bulk", "count": len(events)})
