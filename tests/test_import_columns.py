"""What an import reads and writes follows from the tables and the request schemas, not from lists of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import Date, Numeric

from services.registry.entities.kinds import ENTITY_COLUMNS, KINDS
from services.registry.imports import writer
from services.registry.imports.cells import DateCell, DecimalCell
from services.registry.imports.columns import COLUMNS, IMPORTED_FIELDS
from services.registry.imports.validate import NOT_IMPORTED, UPDATABLE
from services.registry.models import ChangeEvent, Enterprise, Entity, Project, table
from shared.schemas.enums import EntityKind


def test_values_travel_as_their_columns_types_strings_and_lists_as_text() -> None:
    e, enterprise, project, feed = table(Entity), table(Enterprise), table(Project), table(ChangeEvent)
    assert [writer.array_type(c) for c in (e.c.id, e.c.name, e.c.listed_on, e.c.created_at)] == [
        "UUID",
        "text",
        "DATE",
        "TIMESTAMP WITH TIME ZONE",
    ]
    assert [writer.array_type(c) for c in (enterprise.c.labels, project.c.total_investment, feed.c.payload)] == [
        "text",
        "NUMERIC(16, 4)",
        "JSONB",
    ]


def test_the_bulk_writer_writes_every_column_of_the_tables_an_import_can_fill() -> None:
    assert ENTITY_COLUMNS == ("name", "level", "region_code", "domain", "pathway", "target_tier", "lead_department_id")
    for kind, spec in KINDS.items():
        own = {c.key for c in spec.table.c} - {"entity_id"}
        assert set(writer.KIND_COLUMNS[kind]) == own
    # what no spreadsheet column feeds: the record gets its default
    assert {
        EntityKind.industry: set(),
        EntityKind.enterprise: {"industry_ids"},
        EntityKind.project: {"annual_plans", "approvals", "green_channel", "green_channel_note"},
    } == NOT_IMPORTED
    assert [c.key for c in writer.FEED_COLUMNS] == ["resource_type", "resource_id", "action", "payload"]


def test_an_upsert_changes_what_a_patch_may_but_not_the_key_it_matched_by() -> None:
    assert {kind: set(fields) for kind, fields in UPDATABLE.items()} == {
        EntityKind.industry: {
            *("domain", "pathway", "lead_department_id", "parent_industry_id", "roadmap", "timetable", "task_book")
        },
        EntityKind.enterprise: {"name", "domain", "pathway", "lead_department_id", "labels"},
        EntityKind.project: {
            *("name", "domain", "pathway", "lead_department_id", "owner_enterprise_id", "total_investment"),
            *("stage", "planned_start_on", "planned_completion_on", "actual_start_on", "actual_completion_on"),
            *("signing_event", "signed_on"),
        },
    }


@pytest.mark.parametrize("kind", list(EntityKind))
def test_columns_take_their_codec_from_the_table_and_required_from_the_create_schema(kind: EntityKind) -> None:
    spec = KINDS[kind]
    required = {name for name, info in spec.create.model_fields.items() if info.is_required()}
    assert {c.field for c in COLUMNS[kind] if c.required} == required
    stored = (*table(Entity).c, *spec.table.c)
    fields = {c.field for c in COLUMNS[kind]}
    dates = {c.key for c in stored if isinstance(c.type, Date)} & fields
    amounts = {c.key for c in stored if isinstance(c.type, Numeric)} & fields
    assert {c.field for c in COLUMNS[kind] if isinstance(c.cell, DateCell)} == dates
    assert {c.field for c in COLUMNS[kind] if isinstance(c.cell, DecimalCell)} == amounts
    assert ("listed_on" in dates, "total_investment" in amounts) == (True, kind is EntityKind.project)
    assert IMPORTED_FIELDS[kind] | NOT_IMPORTED[kind] == spec.create.model_fields.keys()
