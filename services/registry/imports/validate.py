"""Row validation: the API's create schema and write rules, per row, then per batch against the database.

`RowReader.read_batch` is pure Python (safe to run in a worker thread): cells → schema values, the
create schema itself (USCC, level/region, tier, pathway rules), the region and department reference
data, the caller's write scope, and duplicates inside the file. `resolve_batch` then looks the batch
up in the database and sorts it into records to create, records to update and rows in error.
Every rule the API has too is `entities.rules`' (through the schema or called here), so a row is
refused with the code and message a request would get.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import RowMapping

from services.registry.access import Access
from services.registry.entities import rules
from services.registry.entities.kinds import ENTITY_COLUMNS, KINDS, KindSpec
from services.registry.imports.cells import CellError
from services.registry.imports.columns import (
    COLUMNS,
    FIELD_OF_COLUMN,
    IMPORTED_FIELDS,
    LEAD_DEPARTMENT,
    LINK_LIST_COLUMNS,
    OWNER_USCC,
    PARENT_INDUSTRY,
)
from services.registry.imports.links import Links
from services.registry.imports.parse import Cells, Layout
from services.registry.imports.problems import RowIssue
from services.registry.imports.repository import UPSERT_KEYS, ImportRepository, upsert_key
from shared.errors import FieldError, Forbidden, field_errors_from_pydantic
from shared.identifiers import normalise_uscc
from shared.schemas.enums import EntityKind, Level, Tier

IMPORT_LISTING_REASON = "批量导入纳入名单"
# What matches a row to an existing record (see `upsert_key`): the column a duplicate is reported on,
# and what the key is called in the message.
_KEY: dict[EntityKind, tuple[str, str]] = {
    EntityKind.industry: ("name", "名称、级别与地区"),
    EntityKind.enterprise: ("uscc", "统一社会信用代码"),
    EntityKind.project: ("project_code", "项目代码"),
}


def _updatable(spec: KindSpec) -> tuple[str, ...]:
    """The columns an upsert may change: the stored columns a PATCH may (level, region and tier change
    only through the roster), that a file can hold, but not those that found the record."""
    return tuple(
        c
        for c in (*ENTITY_COLUMNS, *spec.own_columns)
        if c in spec.update.model_fields and c in IMPORTED_FIELDS[spec.kind] and c not in UPSERT_KEYS[spec.kind]
    )


UPDATABLE: dict[EntityKind, tuple[str, ...]] = {kind: _updatable(spec) for kind, spec in KINDS.items()}
# Create-schema fields no import column feeds (always their empty default): left out of a row's values.
NOT_IMPORTED: dict[EntityKind, frozenset[str]] = {
    kind: frozenset(spec.create.model_fields.keys() - IMPORTED_FIELDS[kind]) for kind, spec in KINDS.items()
}
# New ids drawn per os.urandom call: one system call per this many new records, not one each.
_ID_POOL = 1024
_VARIANT = "89ab"  # the RFC 4122 variant leaves a random UUID's 17th hex digit one of these


def random_uuids() -> Iterator[str]:
    """Endless random (version 4) UUIDs as text, as `str(uuid.uuid4())` makes them, drawn in bulk.

    Text rather than `uuid.UUID`: a new record's id goes to PostgreSQL and into its feed payload as
    text anyway, and a string costs the garbage collector nothing while a batch waits to be written.
    """
    while True:
        digits = os.urandom(16 * _ID_POOL).hex()
        for start in range(0, len(digits), 32):
            h = digits[start : start + 32]
            yield f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


@dataclass(slots=True)
class Candidate:
    """A row that passed every check a row can pass alone: the create schema's values, by field.

    `id` (UUID text), `created_at` and `payload` (its change-feed payload) are what the record gets if
    it is new.
    """

    row: int
    values: dict[str, Any]
    key: Hashable | None
    owner_uscc: str | None
    id: str
    created_at: dt.datetime | None = None
    payload: str | None = None


@dataclass
class BatchPlan:
    creates: list[Candidate] = field(default_factory=list)
    updates: list[tuple[Candidate, uuid.UUID]] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    unchanged: int = 0  # rows matching a record they would leave as it is: neither created nor updated


class Departments:
    """Departments by code, full name, short name or id, as a cell may name them."""

    def __init__(self, rows: Sequence[Mapping[Any, Any]]) -> None:
        self.by_name: dict[str, uuid.UUID] = {}
        for row in rows:
            for name in (str(row["id"]), row["code"], row["name"], row["short_name"]):
                if name:
                    self.by_name.setdefault(name.strip().lower(), row["id"])

    def find(self, name: str) -> uuid.UUID | None:
        return self.by_name.get(name.strip().lower())


class RowReader:
    def __init__(
        self,
        spec: KindSpec,
        layout: Layout,
        access: Access,
        departments: Departments,
        regions: Mapping[str, str],
        today: dt.date,
        links: Links,
    ) -> None:
        self.spec = spec
        self.links = links
        self.today = today
        self.layout = layout
        self.access = access
        self.departments = departments
        self.regions = regions
        self.seen: dict[Hashable, int] = {}
        headers = {c.field: c.header for c in COLUMNS[spec.kind]}
        self.headers = {f: layout.header_of(f, h) for f, h in headers.items()}
        for column, schema_field in FIELD_OF_COLUMN.items():
            self.headers[schema_field] = self.headers.get(column, schema_field)
        key_field, self.key_label = _KEY[spec.kind]
        self.key_header = self.headers[key_field]
        self.changeable = _changeable(spec.kind, layout.fields)
        self.not_imported = set(NOT_IMPORTED[spec.kind])
        self.ids = random_uuids()

    def header(self, field_path: str) -> str:
        name = field_path.split(".", 1)[0]
        return self.headers.get(name, name)

    def issue(self, number: int, error: FieldError, column: str | None = None) -> RowIssue:
        """A rule's error as the row's issue, on the column that feeds its field unless told otherwise."""
        return RowIssue(number, column or self.header(error.field), error.message, error.code)

    def read_batch(self, rows: Sequence[tuple[int, Cells]]) -> tuple[list[Candidate], list[RowIssue]]:
        candidates: list[Candidate] = []
        issues: list[RowIssue] = []
        for number, cells in rows:
            result = self.read(number, cells)
            if isinstance(result, Candidate):
                candidates.append(result)
            else:
                issues.extend(result)
        return candidates, issues

    def read(self, number: int, cells: Cells) -> Candidate | list[RowIssue]:
        issues: list[RowIssue] = []
        payload: dict[str, Any] = {}
        owner_uscc: str | None = None
        parent: str | None = None
        for position, column, written in self.layout.columns:
            raw = cells[position] if position < len(cells) else None
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                value = column.cell.read(raw)
            except CellError as exc:
                issues.append(RowIssue(number, written, exc.message, exc.code))
                continue
            if column.field == LEAD_DEPARTMENT:
                department = self.departments.find(value)
                if error := rules.department_known(exists=department is not None, named=value):
                    issues.append(self.issue(number, error, written))
                payload["lead_department_id"] = department
            elif column.field == OWNER_USCC:
                owner_uscc = normalise_uscc(value)
            elif column.field in LINK_LIST_COLUMNS:
                named = self.links.named(LINK_LIST_COLUMNS[column.field])
                found = [named.find(entry) for entry in value]
                issues += [self.issue(number, f, written) for f in found if isinstance(f, FieldError)]
                payload[named.api_field] = [f for f in found if not isinstance(f, FieldError)]
            elif column.field == PARENT_INDUSTRY:
                parent = value
            else:
                payload[column.field] = value
        payload.setdefault("listing_reason", IMPORT_LISTING_REASON)
        model = None
        try:
            model = self.spec.create.model_validate(payload)
        except ValidationError as exc:
            reported = {i.column for i in issues}
            for error in field_errors_from_pydantic(exc.errors()):
                column_name = self.header(error.field)
                if column_name not in reported:
                    issues.append(RowIssue(number, column_name, error.message, error.code))
        region = payload.get("region_code")
        if (
            region is not None
            and (error := rules.region_known(region, exists=region in self.regions))
            and self.headers["region_code"] not in {i.column for i in issues}
        ):
            issues.append(self.issue(number, error))
        if model is None or issues:
            return issues
        values = model.model_dump(exclude=self.not_imported)
        listed_on = values["listed_on"] = values["listed_on"] or self.today
        if error := rules.listed_on(listed_on, self.today):
            return [self.issue(number, error)]
        if (code := values.get("project_code")) is not None:
            exists = rules.project_code_region(code) in self.regions
            if error := rules.project_code(code, today=self.today, region_exists=exists):
                return [self.issue(number, error)]
        if (denied := self.denied(number, values["region_code"], str(values["domain"]))) is not None:
            return [denied]
        if parent is not None:
            resolved = self.links.industries.find(parent, Level(values["level"]), values["region_code"])
            if isinstance(resolved, FieldError):
                return [self.issue(number, resolved)]
            values["parent_industry_id"] = resolved
        key = upsert_key(self.spec.kind, values)
        if key is not None:
            first = self.seen.setdefault(key, number)
            if first != number:
                message = f"与第 {first} 行的{self.key_label}重复"
                return [RowIssue(number, self.key_header, message, "import_duplicate_in_file")]
        return Candidate(number, values, key, owner_uscc, next(self.ids))

    def denied(self, number: int, region_code: str, domain: str, prefix: str = "") -> RowIssue | None:
        try:
            self.access.require_entity_write(region_code, domain)
        except Forbidden as exc:
            column = self.headers["domain"] if exc.code == "domain_not_led" else self.headers["region_code"]
            return RowIssue(number, column, prefix + exc.detail, exc.code)
        return None


async def resolve_batch(repo: ImportRepository, reader: RowReader, candidates: Sequence[Candidate]) -> BatchPlan:
    """Sort a batch into creates and updates (records a row would leave as they are are neither);
    rows that may not be written become issues."""
    spec = reader.spec
    plan = BatchPlan()
    existing = await repo.existing(spec, [c.key for c in candidates if c.key is not None])
    owners = await repo.enterprise_ids(sorted({c.owner_uscc for c in candidates if c.owner_uscc}))
    for candidate in candidates:
        if candidate.owner_uscc is not None:
            owner = owners.get(candidate.owner_uscc)
            if error := rules.owner_known(exists=owner is not None, uscc=candidate.owner_uscc):
                plan.issues.append(reader.issue(candidate.row, error))
                continue
            candidate.values["owner_enterprise_id"] = owner
        matches = existing.get(candidate.key, []) if candidate.key is not None else []
        if not matches:
            plan.creates.append(candidate)
            continue
        if len(matches) > 1:
            message = f"名单中已有 {len(matches)} 个同名、同级别、同地区的产业，无法确定更新哪一个"
            plan.issues.append(RowIssue(candidate.row, reader.key_header, message, "import_match_ambiguous"))
            continue
        current = matches[0]
        if (issue := _check_update(reader, candidate, current)) is not None:
            plan.issues.append(issue)
        elif any(_differs(f, candidate.values[f], current[f]) for f in reader.changeable):
            plan.updates.append((candidate, current["id"]))
        else:
            plan.unchanged += 1
    return plan


def _check_update(reader: RowReader, candidate: Candidate, current: RowMapping) -> RowIssue | None:
    denied = reader.denied(candidate.row, current["region_code"], current["domain"], "已存在的记录：")
    if denied is not None:
        return denied
    for field_name in ("level", "region_code", "target_tier"):
        if str(candidate.values[field_name]) != current[field_name]:
            value = current[field_name]
            now = f"{reader.regions.get(value, value)}（{value}）" if field_name == "region_code" else None
            now = now or (Tier(value) if field_name == "target_tier" else Level(value)).label
            message = f"已存在的记录当前为“{now}”；级别、地区和目标层级须通过名单调整修改"
            return RowIssue(candidate.row, reader.headers[field_name], message, "import_roster_change_required")
    # The row's dates are in order (the schema saw to that), but it may change one of a pair only.
    record = dict(current) | {f: candidate.values[f] for f in reader.changeable}
    if error := rules.project_dates(record):
        return reader.issue(candidate.row, error)
    return None


def _changeable(kind: EntityKind, present: frozenset[str]) -> list[str]:
    """The fields an upsert overwrites: those it may change whose column the file has (links included:
    a file with a link column replaces the record's links of that kind)."""
    column_of = {f: c for c, f in FIELD_OF_COLUMN.items()}
    links = [f for c, f in LINK_LIST_COLUMNS.items() if c in present]
    return [f for f in UPDATABLE[kind] if column_of.get(f, f) in present] + links


_LINK_FIELDS = frozenset(LINK_LIST_COLUMNS.values())


def _differs(field_name: str, new: Any, old: Any) -> bool:
    if field_name in _LINK_FIELDS:  # a set of ids, in any order
        return sorted(map(str, new)) != sorted(map(str, old or []))
    if isinstance(new, list):
        return [str(v) for v in new] != list(old or [])
    return bool(new != old)
