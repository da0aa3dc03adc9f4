"""Each service's table classes live in its own MetaData and schema, platform tables included."""

from __future__ import annotations

from sqlmodel import SQLModel

from services.registry.models import Region, RegistryTable, metadata, table, tables
from shared.db import NAMING_CONVENTION, service_registry
from shared.tables import platform_tables


def test_registry_tables_are_in_the_registry_metadata_and_schema() -> None:
    assert RegistryTable.metadata is metadata
    assert metadata.schema == "registry"
    assert metadata.naming_convention == NAMING_CONVENTION
    assert table(Region).metadata is metadata
    assert {t.schema for t in metadata.tables.values()} == {"registry"}
    assert tables.audit_event is metadata.tables["registry.audit_event"]
    assert tables.idempotency_record is metadata.tables["registry.idempotency_record"]


def test_a_second_service_gets_platform_tables_of_its_own_in_its_schema() -> None:
    class SchedulerTable(SQLModel, registry=service_registry("scheduler")):
        pass

    scheduler = platform_tables(SchedulerTable)

    assert scheduler.audit_event.fullname == "scheduler.audit_event"
    assert scheduler.idempotency_record.fullname == "scheduler.idempotency_record"
    assert set(SchedulerTable.metadata.tables) == {"scheduler.audit_event", "scheduler.idempotency_record"}
    assert scheduler.audit_event is not tables.audit_event
    assert [c.name for c in scheduler.audit_event.c] == [c.name for c in tables.audit_event.c]
    indexes = {"ix_audit_event_resource_type_resource_id_id", "ix_audit_event_actor_sub_id"}
    assert {i.name for i in scheduler.audit_event.indexes} == {i.name for i in tables.audit_event.indexes} == indexes
    assert "registry.audit_event" in metadata.tables  # the registry's own are untouched


def test_no_table_lands_in_the_global_sqlmodel_metadata() -> None:
    assert dict(SQLModel.metadata.tables) == {}
