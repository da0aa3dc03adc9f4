"""Tables of the registry, all in the `registry` schema.

Industries, enterprises and projects share one `entity` row (class-table inheritance), so metrics,
roster adjustments, responsible persons, chain/park links and the change feed reference one key.

Every table is a SQLModel `table=True` class on `RegistryTable`, which carries the registry's own
MetaData. Rows are written and read with Core statements over these classes and their Tables; the
classes are never built from request bodies, so each field is typed as the value a row holds (a
server default or identity fills it on insert).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlmodel import Field, SQLModel

from shared.db import service_registry
from shared.tables import platform_tables, server_timestamp, uuid_pk, version_column
from shared.tables import table as table

SCHEMA = "registry"
MONEY = Numeric(16, 4)  # 亿元 with 4 decimals
# `entity.size_metric` of a project, whose size is its total investment (see `Entity`).
PROJECT_SIZE_METRIC = "total_investment"


class RegistryTable(SQLModel, registry=service_registry(SCHEMA)):
    """Base of the registry's table classes: their MetaData is the `registry` schema's alone."""


metadata = RegistryTable.metadata
tables = platform_tables(RegistryTable)


class Region(RegistryTable, table=True):
    __tablename__ = "region"
    code: str = Field(sa_type=String(6), primary_key=True)
    name: str = Field(sa_type=String(50))
    level: str = Field(sa_type=String(10))
    parent_code: str | None = Field(sa_type=String(6), foreign_key="region.code")
    county_type: str | None = Field(sa_type=String(20))


class Department(RegistryTable, table=True):
    __tablename__ = "department"
    id: uuid.UUID = uuid_pk()
    code: str = Field(sa_type=String(60), unique=True)
    name: str = Field(sa_type=String(200), unique=True)
    short_name: str = Field(sa_type=String(100))
    level: str = Field(sa_type=String(10))
    region_code: str = Field(sa_type=String(6), foreign_key="region.code")
    domains: list[str] = Field(sa_type=ARRAY(String(20)), sa_column_kwargs={"server_default": "{}"})
    role_note: str = Field(sa_type=Text, sa_column_kwargs={"server_default": ""})
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class Chain(RegistryTable, table=True):
    __tablename__ = "chain"
    __table_args__ = (UniqueConstraint("name", "group_name"),)
    id: uuid.UUID = uuid_pk()
    name: str = Field(sa_type=String(200))
    group_name: str = Field(sa_type=String(200), sa_column_kwargs={"server_default": ""})
    leader_name: str | None = Field(sa_type=String(100))
    leader_title: str | None = Field(sa_type=String(200))
    master_enterprise_id: uuid.UUID | None = Field(sa_type=UUID, foreign_key="enterprise.entity_id")
    source: str = Field(sa_type=Text, sa_column_kwargs={"server_default": ""})
    confidence: str | None = Field(sa_type=String(10))
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class Park(RegistryTable, table=True):
    __tablename__ = "park"
    id: uuid.UUID = uuid_pk()
    name: str = Field(sa_type=String(200), unique=True)
    grade: str = Field(sa_type=String(30))
    five_good: bool = Field(sa_type=Boolean, sa_column_kwargs={"server_default": "false"})
    region_code: str = Field(sa_type=String(6), foreign_key="region.code", index=True)
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class Person(RegistryTable, table=True):
    __tablename__ = "person"
    id: uuid.UUID = uuid_pk()
    name: str = Field(sa_type=String(100))
    title: str = Field(sa_type=String(200), sa_column_kwargs={"server_default": ""})
    department_id: uuid.UUID | None = Field(sa_type=UUID, foreign_key="department.id")
    region_code: str = Field(sa_type=String(6), foreign_key="region.code", index=True)
    phone: str | None = Field(sa_type=String(30))
    email: str | None = Field(sa_type=String(200))
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class Entity(RegistryTable, table=True):
    __tablename__ = "entity"
    __table_args__ = (
        CheckConstraint("kind IN ('industry', 'enterprise', 'project')", name="kind"),
        CheckConstraint(
            "(level = 'province' AND region_code = '430000')"
            " OR (level = 'city' AND region_code LIKE '43__00' AND region_code <> '430000')"
            " OR (level = 'county' AND region_code LIKE '43____' AND region_code NOT LIKE '43__00')",
            name="level_region",
        ),
        Index(None, "kind", "region_code"),
        Index(None, "kind", "target_tier", "region_code"),
        Index(None, "kind", "updated_at", "id"),
        Index(None, "kind", "name", "id"),
        Index(None, "kind", "created_at", "id"),
    )
    id: uuid.UUID = uuid_pk()
    kind: str = Field(sa_type=String(20))
    name: str = Field(sa_type=String(200))
    level: str = Field(sa_type=String(10))
    region_code: str = Field(sa_type=String(6), foreign_key="region.code")
    domain: str = Field(sa_type=String(20))
    pathway: str | None = Field(sa_type=String(40))
    target_tier: str = Field(sa_type=String(30))
    lead_department_id: uuid.UUID | None = Field(sa_type=UUID, foreign_key="department.id")
    roster_status: str = Field(sa_type=String(10), sa_column_kwargs={"server_default": "listed"})
    listed_on: dt.date = Field(sa_type=Date)
    # The size current standing and progress go by, copied here so they read entity rows alone:
    # - an industry or enterprise: its latest annual size (revenue, else output), a copy of the newest
    #   annual metric_value rewritten in the same transaction as every annual metric write; all three
    #   null until it has an annual metric;
    # - a project: its total investment (`size_metric` = PROJECT_SIZE_METRIC, `size_year` null), kept
    #   by the statement triggers of migration 0006 on every INSERT and UPDATE of `project`.
    size_metric: str | None = Field(sa_type=String(30))
    size_year: int | None = Field(sa_type=SmallInteger)
    size_value: Decimal | None = Field(sa_type=MONEY)
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class Industry(RegistryTable, table=True):
    __tablename__ = "industry"
    entity_id: uuid.UUID = Field(sa_type=UUID, foreign_key="entity.id", ondelete="CASCADE", primary_key=True)
    parent_industry_id: uuid.UUID | None = Field(sa_type=UUID, foreign_key="industry.entity_id", index=True)
    roadmap: str = Field(sa_type=Text, sa_column_kwargs={"server_default": ""})
    timetable: str = Field(sa_type=Text, sa_column_kwargs={"server_default": ""})
    task_book: str = Field(sa_type=Text, sa_column_kwargs={"server_default": ""})


class Enterprise(RegistryTable, table=True):
    __tablename__ = "enterprise"
    __table_args__ = (
        Index(None, "labels", postgresql_using="gin"),
        # Prefix search (`GET /search`): `LIKE 'prefix%'` uses it whatever the database's collation.
        Index("ix_enterprise_uscc_prefix", "uscc", postgresql_ops={"uscc": "varchar_pattern_ops"}),
    )
    entity_id: uuid.UUID = Field(sa_type=UUID, foreign_key="entity.id", ondelete="CASCADE", primary_key=True)
    uscc: str = Field(sa_type=String(18), unique=True)
    labels: list[str] = Field(sa_type=ARRAY(String(30)), sa_column_kwargs={"server_default": "{}"})


class EnterpriseIndustry(RegistryTable, table=True):
    __tablename__ = "enterprise_industry"
    enterprise_id: uuid.UUID = Field(
        sa_type=UUID, foreign_key="enterprise.entity_id", ondelete="CASCADE", primary_key=True
    )
    industry_id: uuid.UUID = Field(
        sa_type=UUID, foreign_key="industry.entity_id", ondelete="CASCADE", primary_key=True, index=True
    )


class Project(RegistryTable, table=True):
    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint(
            "actual_completion_on IS NULL OR actual_start_on IS NULL OR actual_completion_on >= actual_start_on",
            name="actual_dates",
        ),
        CheckConstraint(
            "planned_completion_on IS NULL OR planned_start_on IS NULL OR planned_completion_on >= planned_start_on",
            name="planned_dates",
        ),
        CheckConstraint("total_investment >= 0", name="investment_non_negative"),
        Index("ix_project_project_code_prefix", "project_code", postgresql_ops={"project_code": "varchar_pattern_ops"}),
    )
    entity_id: uuid.UUID = Field(sa_type=UUID, foreign_key="entity.id", ondelete="CASCADE", primary_key=True)
    project_code: str | None = Field(sa_type=String(24), unique=True)
    owner_enterprise_id: uuid.UUID | None = Field(sa_type=UUID, foreign_key="enterprise.entity_id", index=True)
    total_investment: Decimal = Field(sa_type=MONEY)
    stage: str = Field(sa_type=String(30), sa_column_kwargs={"server_default": "planning"})
    planned_start_on: dt.date | None = Field(sa_type=Date)
    actual_start_on: dt.date | None = Field(sa_type=Date)
    planned_completion_on: dt.date | None = Field(sa_type=Date)
    actual_completion_on: dt.date | None = Field(sa_type=Date)
    signing_event: str | None = Field(sa_type=String(200))
    signed_on: dt.date | None = Field(sa_type=Date)


class ProjectAnnualPlan(RegistryTable, table=True):
    __tablename__ = "project_annual_plan"
    __table_args__ = (CheckConstraint("planned_investment >= 0", name="non_negative"),)
    project_id: uuid.UUID = Field(sa_type=UUID, foreign_key="project.entity_id", ondelete="CASCADE", primary_key=True)
    year: int = Field(sa_type=SmallInteger, primary_key=True)
    planned_investment: Decimal = Field(sa_type=MONEY)


class ProjectApproval(RegistryTable, table=True):
    __tablename__ = "project_approval"
    project_id: uuid.UUID = Field(sa_type=UUID, foreign_key="project.entity_id", ondelete="CASCADE", primary_key=True)
    kind: str = Field(sa_type=String(30), primary_key=True)
    state: str = Field(sa_type=String(20))
    applied_on: dt.date | None = Field(sa_type=Date)
    approved_on: dt.date | None = Field(sa_type=Date)
    document_no: str | None = Field(sa_type=String(100))
    # 承诺时限: the date the approving body committed to; unfinished after it, the approval is overdue.
    committed_completion_on: dt.date | None = Field(sa_type=Date)


class ProjectGreenChannel(RegistryTable, table=True):
    """A project in the green channel (绿色通道): one row while it is in, with who put it there and when."""

    __tablename__ = "project_green_channel"
    project_id: uuid.UUID = Field(sa_type=UUID, foreign_key="project.entity_id", ondelete="CASCADE", primary_key=True)
    entered_at: dt.datetime = server_timestamp()
    entered_by: str = Field(sa_type=String(200))
    entered_by_name: str = Field(sa_type=String(200), sa_column_kwargs={"server_default": ""})
    note: str = Field(sa_type=Text, sa_column_kwargs={"server_default": ""})


class EntityPerson(RegistryTable, table=True):
    __tablename__ = "entity_person"
    entity_id: uuid.UUID = Field(sa_type=UUID, foreign_key="entity.id", ondelete="CASCADE", primary_key=True)
    person_id: uuid.UUID = Field(sa_type=UUID, foreign_key="person.id", primary_key=True, index=True)


class EntityChain(RegistryTable, table=True):
    __tablename__ = "entity_chain"
    entity_id: uuid.UUID = Field(sa_type=UUID, foreign_key="entity.id", ondelete="CASCADE", primary_key=True)
    chain_id: uuid.UUID = Field(sa_type=UUID, foreign_key="chain.id", primary_key=True, index=True)


class EntityPark(RegistryTable, table=True):
    __tablename__ = "entity_park"
    entity_id: uuid.UUID = Field(sa_type=UUID, foreign_key="entity.id", ondelete="CASCADE", primary_key=True)
    park_id: uuid.UUID = Field(sa_type=UUID, foreign_key="park.id", primary_key=True, index=True)


enterprise_industry = table(EnterpriseIndustry)
entity_person = table(EntityPerson)
entity_chain = table(EntityChain)
entity_park = table(EntityPark)


class MetricValue(RegistryTable, table=True):
    """Every recorded value is kept; the current one per (entity, metric, period) is the last revision."""

    __tablename__ = "metric_value"
    __table_args__ = (
        Index(None, "entity_id", "metric", "year", "month", "revision", unique=True),
        Index(None, "metric", "month", "year", "entity_id"),
        # The latest annual value of every entity in one ordered index-only pass (GET /progress).
        Index(
            "ix_metric_value_annual_latest",
            "entity_id",
            text("year DESC"),
            text("metric DESC"),
            text("revision DESC"),
            postgresql_include=["value"],
            postgresql_where=text("month = 0"),
        ),
        CheckConstraint("month BETWEEN 0 AND 12", name="month"),
    )
    id: int = Field(sa_type=BigInteger, sa_column_args=[Identity()], primary_key=True)
    entity_id: uuid.UUID = Field(sa_type=UUID, foreign_key="entity.id", ondelete="CASCADE")
    metric: str = Field(sa_type=String(30))
    year: int = Field(sa_type=SmallInteger)
    month: int = Field(sa_type=SmallInteger, sa_column_kwargs={"server_default": "0"})  # 0 = the whole year
    value: Decimal = Field(sa_type=MONEY)
    revision: int = Field(sa_type=Integer, sa_column_kwargs={"server_default": "1"})
    source: str = Field(sa_type=String(10))
    source_ref: str | None = Field(sa_type=String(100))
    recorded_at: dt.datetime = server_timestamp()
    recorded_by: str = Field(sa_type=String(200))


class RosterAdjustment(RegistryTable, table=True):
    __tablename__ = "roster_adjustment"
    __table_args__ = (
        # Every entity's roster state on a date in one ordered index-only pass (GET /progress); read
        # backwards, an entity's history in order (and the foreign key's lookups) too.
        Index(
            "ix_roster_adjustment_state",
            "entity_id",
            text("effective_on DESC"),
            text("seq DESC"),
            postgresql_include=["status_after", "to_level", "to_region_code", "to_tier"],
        ),
    )
    id: uuid.UUID = uuid_pk()
    seq: int = Field(sa_type=BigInteger, sa_column_args=[Identity()], unique=True)
    entity_id: uuid.UUID = Field(sa_type=UUID, foreign_key="entity.id", ondelete="CASCADE")
    action: str = Field(sa_type=String(20))
    reason: str = Field(sa_type=Text)
    effective_on: dt.date = Field(sa_type=Date)
    approving_department_id: uuid.UUID | None = Field(sa_type=UUID, foreign_key="department.id")
    document_ref: str | None = Field(sa_type=String(200))
    actor_sub: str = Field(sa_type=String(200))
    actor_name: str = Field(sa_type=String(200), sa_column_kwargs={"server_default": ""})
    from_level: str | None = Field(sa_type=String(10))
    to_level: str = Field(sa_type=String(10))
    from_region_code: str | None = Field(sa_type=String(6))
    to_region_code: str = Field(sa_type=String(6))
    from_tier: str | None = Field(sa_type=String(30))
    to_tier: str = Field(sa_type=String(30))
    status_after: str = Field(sa_type=String(10))
    created_at: dt.datetime = server_timestamp()


class Target(RegistryTable, table=True):
    __tablename__ = "target"
    __table_args__ = (CheckConstraint("max_count IS NULL OR max_count >= min_count", name="range"),)
    id: uuid.UUID = uuid_pk()
    horizon: str = Field(sa_type=String(40))
    year: int = Field(sa_type=SmallInteger)
    kind: str = Field(sa_type=String(20))
    level: str = Field(sa_type=String(10))
    tier: str = Field(sa_type=String(30))
    domain: str | None = Field(sa_type=String(20))
    min_count: int = Field(sa_type=Integer)
    max_count: int | None = Field(sa_type=Integer)
    note: str = Field(sa_type=Text, sa_column_kwargs={"server_default": ""})
    source: str = Field(sa_type=Text, sa_column_kwargs={"server_default": ""})
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class ChangeEvent(RegistryTable, table=True):
    """The outbox behind `GET /events`: written in the same transaction as the change it describes."""

    __tablename__ = "change_event"
    id: int = Field(sa_type=BigInteger, sa_column_args=[Identity()], primary_key=True)
    resource_type: str = Field(sa_type=String(40))
    resource_id: str = Field(sa_type=String(100))
    action: str = Field(sa_type=String(40))
    payload: dict[str, Any] = Field(sa_type=JSONB)
    occurred_at: dt.datetime = server_timestamp()


class ImportJob(RegistryTable, table=True):
    __tablename__ = "import_job"
    id: uuid.UUID = uuid_pk()
    kind: str = Field(sa_type=String(20))
    file_format: str = Field(sa_type=String(10))
    filename: str = Field(sa_type=String(255), sa_column_kwargs={"server_default": ""})
    mode: str = Field(sa_type=String(20))
    status: str = Field(sa_type=String(20), sa_column_kwargs={"server_default": "pending"})
    total: int = Field(sa_type=Integer, sa_column_kwargs={"server_default": "0"})
    processed: int = Field(sa_type=Integer, sa_column_kwargs={"server_default": "0"})
    created: int = Field(sa_type=Integer, sa_column_kwargs={"server_default": "0"})
    updated: int = Field(sa_type=Integer, sa_column_kwargs={"server_default": "0"})
    unchanged: int = Field(sa_type=Integer, sa_column_kwargs={"server_default": "0"})
    error_count: int = Field(sa_type=Integer, sa_column_kwargs={"server_default": "0"})
    errors: list[dict[str, Any]] = Field(sa_type=JSONB, sa_column_kwargs={"server_default": "[]"})
    content: bytes | None = Field(sa_type=LargeBinary)
    created_by: str = Field(sa_type=String(200))
    actor: dict[str, Any] = Field(sa_type=JSONB)
    created_at: dt.datetime = server_timestamp()
    started_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    finished_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    # The runner's lease (`shared.leases`): which process holds the job, and until when.
    lease_owner: str | None = Field(sa_type=String(64))
    lease_expires_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
