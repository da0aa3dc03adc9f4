"""The bulk writes of an import: set-based SQL, a few statements per batch whatever its size.

Each statement takes the batch as parallel arrays, one per column (`INSERT … SELECT … FROM unnest(…)`,
`UPDATE … FROM unnest(…)`). New records get what the API gives them: the entity and its kind's row,
the automatic roster inclusion (effective on the listing date, today by default), all three written
by one statement, and a change-feed event carrying the record as `GET` shows it.

Change-feed events follow `services.registry.events.repository`'s ordering protocol (ids handed out under the
feed's advisory lock, held until commit). An all-or-nothing import would otherwise hold that lock,
and so stall every other registry write, for as long as it runs: its events are staged in a
temporary table and moved into the feed in one statement just before the import commits.
Never commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.access import Access
from services.registry.entities.kinds import ENTITY_COLUMNS, KINDS, KindSpec
from services.registry.entities.queries import E, build_read_query
from services.registry.entities.views import feed_payload, render
from services.registry.events.repository import lock_feed
from services.registry.imports.validate import Candidate
from services.registry.models import PROJECT_SIZE_METRIC, SCHEMA
from shared.schemas.enums import EntityKind, RosterAction, RosterStatus

SQL_TYPES = {
    "id": "uuid",
    "lead_department_id": "uuid",
    "parent_industry_id": "uuid",
    "owner_enterprise_id": "uuid",
    "total_investment": "numeric",
    "created_at": "timestamptz",
    "listed_on": "date",
    "planned_start_on": "date",
    "planned_completion_on": "date",
    "actual_start_on": "date",
    "actual_completion_on": "date",
    "signed_on": "date",
    "payload": "jsonb",
}
# Columns of each kind's own table an import writes (a parent industry is not importable).
KIND_COLUMNS: dict[EntityKind, tuple[str, ...]] = {
    kind: tuple(c for c in spec.own_columns if c != "parent_industry_id") for kind, spec in KINDS.items()
}
# A list of codes travels as one comma-joined text per row: unnest cannot take ragged arrays.
_LIST_COLUMNS = frozenset({"labels"})
_LABELS_EXPR = "coalesce(string_to_array(nullif(u.labels, ''), ','), '{}')"
_EMPTY_LINKS: dict[EntityKind, dict[str, Any]] = {
    EntityKind.industry: {"parent_industry_id": None},
    EntityKind.enterprise: {"industry_ids": []},
    EntityKind.project: {"annual_plans": [], "approvals": []},
}
_FEED_COLUMNS = ("resource_type", "resource_id", "action", "payload")
# What a new record's roster inclusion takes from its row besides the entity's columns.
_ROSTER_COLUMNS = ("listing_reason", "document_ref")
domain_log = logging.getLogger("wanqianbai.registry.domain")  # the feed's own domain-event log


def _arrays(
    columns: Iterable[str], candidates: Sequence[Candidate], ids: Sequence[uuid.UUID | str]
) -> dict[str, list[Any]]:
    """The batch column by column, one array each, in the candidates' order (`ids` fills `id`).

    Values go as the schema made them: enum members are `StrEnum`s, text to asyncpg; a list of codes
    (labels) travels as one comma-joined text.
    """
    arrays: dict[str, list[Any]] = {}
    for column in columns:
        if column == "id":
            arrays[column] = list(ids)
        elif column == "created_at":
            arrays[column] = [c.created_at for c in candidates]
        elif column in _LIST_COLUMNS:
            arrays[column] = [",".join(c.values[column]) for c in candidates]
        else:
            arrays[column] = [c.values[column] for c in candidates]
    return arrays


def _unnest(columns: Sequence[str]) -> str:
    arrays = ", ".join(f"CAST(:{c} AS {SQL_TYPES.get(c, 'text')}[])" for c in columns)
    return f"unnest({arrays}) AS u({', '.join(columns)})"


def _select(column: str) -> str:
    return _LABELS_EXPR if column == "labels" else f"u.{column}"


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
        "chain_ids": [],
        "park_ids": [],
        "persons": [],
        "standing_metric": None,
        "standing_year": None,
        "standing_value": None,
        **_EMPTY_LINKS[spec.kind],
    }
    candidate.payload = orjson.dumps(feed_payload(render(spec, row, access))).decode()


def prepare_creations(spec: KindSpec, candidates: Iterable[Candidate], stamp: dt.datetime, access: Access) -> None:
    for candidate in candidates:
        prepare_creation(spec, candidate, stamp, access)


class BulkWriter:
    def __init__(self, session: AsyncSession, spec: KindSpec, access: Access) -> None:
        self.session = session
        self.spec = spec
        self.access = access
        self.table = f"{SCHEMA}.{spec.table.name}"
        self.staging: str | None = None
        self.events: list[tuple[str, str, str | None]] = []

    async def create(self, candidates: Sequence[Candidate], now: dt.datetime) -> None:
        """Insert new records with their roster inclusion and their feed events."""
        if not candidates:
            return
        for candidate in candidates:
            if candidate.payload is None:  # depended on the database (a project's owner)
                prepare_creation(self.spec, candidate, now, self.access)
        own = KIND_COLUMNS[self.spec.kind]
        columns = tuple(dict.fromkeys(("id", *ENTITY_COLUMNS, "listed_on", "created_at", *own, *_ROSTER_COLUMNS)))
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
                f"WITH u AS (SELECT * FROM {_unnest(columns)}),"  # noqa: S608
                f" new_entity AS (INSERT INTO {SCHEMA}.entity (id, kind, {', '.join(ENTITY_COLUMNS)}, roster_status,"
                f" listed_on, created_at, updated_at{size_columns}) SELECT u.id, :kind,"
                f" {', '.join(f'u.{c}' for c in ENTITY_COLUMNS)}, :status, u.listed_on, u.created_at, u.created_at"
                f"{size_values} FROM u),"
                f" new_own AS (INSERT INTO {self.table} (entity_id, {', '.join(own)})"
                f" SELECT u.id, {', '.join(_select(c) for c in own)} FROM u)"
                f" INSERT INTO {SCHEMA}.roster_adjustment (entity_id, action, reason, effective_on, document_ref,"
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
            | _arrays(columns, candidates, [c.id for c in candidates]),
        )
        self.events += [(c.id, "created", c.payload) for c in candidates]

    async def update(self, updates: Sequence[tuple[Candidate, uuid.UUID]], columns: Sequence[str]) -> None:
        """Overwrite `columns` of existing records and bump their version, as a PATCH would."""
        if not updates:
            return
        candidates = [c for c, _ in updates]
        ids = [entity_id for _, entity_id in updates]
        entity_columns = [c for c in columns if c in ENTITY_COLUMNS]
        own = [c for c in columns if c in KIND_COLUMNS[self.spec.kind]]
        assignments = [f"{c} = {_select(c)}" for c in entity_columns]
        await self.session.execute(
            text(
                f"UPDATE {SCHEMA}.entity AS e SET {', '.join([*assignments, 'version = e.version + 1'])},"  # noqa: S608
                f" updated_at = now() FROM {_unnest(('id', *entity_columns))} WHERE e.id = u.id"
            ),
            _arrays(("id", *entity_columns), candidates, ids),
        )
        if own:
            await self.session.execute(
                text(
                    f"UPDATE {self.table} AS k SET {', '.join(f'{c} = {_select(c)}' for c in own)}"  # noqa: S608
                    f" FROM {_unnest(('id', *own))} WHERE k.entity_id = u.id"
                ),
                _arrays(("id", *own), candidates, ids),
            )
        # An updated record keeps its links, metrics and history: read it back as GET shows it.
        stmt = build_read_query(self.spec).stmt.where(E.c.id == any_(bindparam("ids", ids, type_=ARRAY(UUID))))
        by_id = {row["id"]: row for row in (await self.session.execute(stmt)).mappings().all()}
        self.events += [
            (str(i), "updated", orjson.dumps(feed_payload(render(self.spec, by_id[i], self.access))).decode())
            for i in ids
        ]

    async def stage_feed(self) -> None:
        """From now on, hold feed events back until `flush_feed` (call outside any savepoint)."""
        self.staging = f"import_feed_{uuid.uuid4().hex}"
        # Keyed by `seq`, so `flush_feed` reads the events back in order without sorting them all.
        await self.session.execute(
            text(
                f"CREATE TEMPORARY TABLE {self.staging} (seq bigserial PRIMARY KEY, resource_type text,"
                " resource_id text, action text, payload jsonb) ON COMMIT DROP"
            )
        )

    async def flush_feed(self) -> None:
        """Move the staged events into the feed, in order, under the feed's lock (held until commit)."""
        if self.staging is None:
            return
        await lock_feed(self.session)
        moved = await self.session.execute(
            text(
                f"INSERT INTO {SCHEMA}.change_event ({', '.join(_FEED_COLUMNS)})"  # noqa: S608
                f" SELECT {', '.join(_FEED_COLUMNS)} FROM {self.staging} ORDER BY seq"
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
        target = self.staging or f"{SCHEMA}.change_event"
        await self.session.execute(
            text(
                f"INSERT INTO {target} ({', '.join(_FEED_COLUMNS)})"  # noqa: S608
                f" SELECT :resource_type, u.resource_id, u.action, u.payload FROM {_unnest(_FEED_COLUMNS[1:])}"
            ),
            {
                "resource_type": self.spec.kind.value,
                "resource_id": [e[0] for e in events],
                "action": [e[1] for e in events],
                "payload": [e[2] for e in events],
            },
        )
        if self.staging is None:
            domain_log.info("domain events", extra={"event": "bulk", "count": len(events)})
