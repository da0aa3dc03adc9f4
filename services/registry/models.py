"""Tables of the registry, all in the `registry` schema.

Industries, enterprises and projects share one `entity` row (class-table inheritance), so metrics,
roster adjustments, responsible persons, chain/park links and the change feed reference one key.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import service_metadata
from shared.tables import platform_tables

SCHEMA = "registry"
MONEY = Numeric(16, 4)  # 亿元 with 4 decimals
# `entity.size_metric` of a project, whose size is its total investment (see `Entity`).
PROJECT_SIZE_METRIC = "total_investment"


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)


tables = platform_tables(Base.metadata)


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def _created() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Region(Base):
    __tablename__ = "region"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    county_type: Mapped[str | None] = mapped_column(String(20))


class Department(Base):
    __tablename__ = "department"
    id: Mapped[uuid.UUID] = _uuid_pk()
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    domains: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default="{}")
    role_note: Mapped[str] = mapped_column(Text, server_default="")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _created()


class Chain(Base):
    __tablename__ = "chain"
    __table_args__ = (UniqueConstraint("name", "group_name"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    group_name: Mapped[str] = mapped_column(String(200), server_default="")
    leader_name: Mapped[str | None] = mapped_column(String(100))
    leader_title: Mapped[str | None] = mapped_column(String(200))
    master_enterprise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("enterprise.entity_id"))
    source: Mapped[str] = mapped_column(Text, server_default="")
    confidence: Mapped[str | None] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _created()


class Park(Base):
    __tablename__ = "park"
    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    grade: Mapped[str] = mapped_column(String(30))
    five_good: Mapped[bool] = mapped_column(Boolean, server_default="false")
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _created()


class Person(Base):
    __tablename__ = "person"
    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200), server_default="")
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("department.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _created()


class Entity(Base):
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
    id: Mapped[uuid.UUID] = _uuid_pk()
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    domain: Mapped[str] = mapped_column(String(20))
    pathway: Mapped[str | None] = mapped_column(String(40))
    target_tier: Mapped[str] = mapped_column(String(30))
    lead_department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("department.id"))
    roster_status: Mapped[str] = mapped_column(String(10), server_default="listed")
    listed_on: Mapped[dt.date] = mapped_column(Date)
    # The size current standing and progress go by, copied here so they read entity rows alone:
    # - an industry or enterprise: its latest annual size (revenue, else output), a copy of the newest
    #   annual metric_value rewritten in the same transaction as every annual metric write; all three
    #   null until it has an annual metric;
    # - a project: its total investment (`size_metric` = PROJECT_SIZE_METRIC, `size_year` null), kept
    #   by the statement triggers of migration 0006 on every INSERT and UPDATE of `project`.
    size_metric: Mapped[str | None] = mapped_column(String(30))
    size_year: Mapped[int | None] = mapped_column(SmallInteger)
    size_value: Mapped[Decimal | None] = mapped_column(MONEY)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _created()


class Industry(Base):
    __tablename__ = "industry"
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entity.id", ondelete="CASCADE"), primary_key=True)
    parent_industry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("industry.entity_id"), index=True)
    roadmap: Mapped[str] = mapped_column(Text, server_default="")
    timetable: Mapped[str] = mapped_column(Text, server_default="")
    task_book: Mapped[str] = mapped_column(Text, server_default="")


class Enterprise(Base):
    __tablename__ = "enterprise"
    __table_args__ = (Index(None, "labels", postgresql_using="gin"),)
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entity.id", ondelete="CASCADE"), primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    labels: Mapped[list[str]] = mapped_column(ARRAY(String(30)), server_default="{}")


enterprise_industry = Table(
    "enterprise_industry",
    Base.metadata,
    Column("enterprise_id", ForeignKey("enterprise.entity_id", ondelete="CASCADE"), primary_key=True),
    Column("industry_id", ForeignKey("industry.entity_id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Project(Base):
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
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entity.id", ondelete="CASCADE"), primary_key=True)
    project_code: Mapped[str | None] = mapped_column(String(24), unique=True)
    owner_enterprise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("enterprise.entity_id"), index=True)
    total_investment: Mapped[Decimal] = mapped_column(MONEY)
    stage: Mapped[str] = mapped_column(String(30), server_default="planning")
    planned_start_on: Mapped[dt.date | None] = mapped_column(Date)
    actual_start_on: Mapped[dt.date | None] = mapped_column(Date)
    planned_completion_on: Mapped[dt.date | None] = mapped_column(Date)
    actual_completion_on: Mapped[dt.date | None] = mapped_column(Date)
    signing_event: Mapped[str | None] = mapped_column(String(200))
    signed_on: Mapped[dt.date | None] = mapped_column(Date)


class ProjectAnnualPlan(Base):
    __tablename__ = "project_annual_plan"
    __table_args__ = (CheckConstraint("planned_investment >= 0", name="non_negative"),)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.entity_id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    planned_investment: Mapped[Decimal] = mapped_column(MONEY)


class ProjectApproval(Base):
    __tablename__ = "project_approval"
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.entity_id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    applied_on: Mapped[dt.date | None] = mapped_column(Date)
    approved_on: Mapped[dt.date | None] = mapped_column(Date)
    document_no: Mapped[str | None] = mapped_column(String(100))


entity_person = Table(
    "entity_person",
    Base.metadata,
    Column("entity_id", ForeignKey("entity.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("person.id"), primary_key=True, index=True),
)
entity_chain = Table(
    "entity_chain",
    Base.metadata,
    Column("entity_id", ForeignKey("entity.id", ondelete="CASCADE"), primary_key=True),
    Column("chain_id", ForeignKey("chain.id"), primary_key=True, index=True),
)
entity_park = Table(
    "entity_park",
    Base.metadata,
    Column("entity_id", ForeignKey("entity.id", ondelete="CASCADE"), primary_key=True),
    Column("park_id", ForeignKey("park.id"), primary_key=True, index=True),
)


class MetricValue(Base):
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
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entity.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(30))
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger, server_default="0")  # 0 = the whole year
    value: Mapped[Decimal] = mapped_column(MONEY)
    revision: Mapped[int] = mapped_column(Integer, server_default="1")
    source: Mapped[str] = mapped_column(String(10))
    source_ref: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = _created()
    recorded_by: Mapped[str] = mapped_column(String(200))


class RosterAdjustment(Base):
    __tablename__ = "roster_adjustment"
    __table_args__ = (
        Index(None, "entity_id", "effective_on", "seq"),
        # Every entity's roster state on a date in one ordered index-only pass (GET /progress).
        Index(
            "ix_roster_adjustment_state",
            "entity_id",
            text("effective_on DESC"),
            text("seq DESC"),
            postgresql_include=["status_after", "to_level", "to_region_code", "to_tier"],
        ),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entity.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    effective_on: Mapped[dt.date] = mapped_column(Date)
    approving_department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("department.id"))
    document_ref: Mapped[str | None] = mapped_column(String(200))
    actor_sub: Mapped[str] = mapped_column(String(200))
    actor_name: Mapped[str] = mapped_column(String(200), server_default="")
    from_level: Mapped[str | None] = mapped_column(String(10))
    to_level: Mapped[str] = mapped_column(String(10))
    from_region_code: Mapped[str | None] = mapped_column(String(6))
    to_region_code: Mapped[str] = mapped_column(String(6))
    from_tier: Mapped[str | None] = mapped_column(String(30))
    to_tier: Mapped[str] = mapped_column(String(30))
    status_after: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = _created()


class Target(Base):
    __tablename__ = "target"
    __table_args__ = (CheckConstraint("max_count IS NULL OR max_count >= min_count", name="range"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    horizon: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(10))
    tier: Mapped[str] = mapped_column(String(30))
    domain: Mapped[str | None] = mapped_column(String(20))
    min_count: Mapped[int] = mapped_column(Integer)
    max_count: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, server_default="")
    source: Mapped[str] = mapped_column(Text, server_default="")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _created()


class ChangeEvent(Base):
    """The outbox behind `GET /events`: written in the same transaction as the change it describes."""

    __tablename__ = "change_event"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[dt.datetime] = _created()


class ImportJob(Base):
    __tablename__ = "import_job"
    id: Mapped[uuid.UUID] = _uuid_pk()
    kind: Mapped[str] = mapped_column(String(20))
    file_format: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(255), server_default="")
    mode: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), server_default="pending")
    total: Mapped[int] = mapped_column(Integer, server_default="0")
    processed: Mapped[int] = mapped_column(Integer, server_default="0")
    created: Mapped[int] = mapped_column(Integer, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, server_default="0")
    error_count: Mapped[int] = mapped_column(Integer, server_default="0")
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(200))
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = _created()
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The runner's lease (`shared.leases`): which process holds the job, and until when.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


def table(model: type[Base]) -> Table:
    """A model's Table, typed as such (SQLAlchemy types `__table__` as the wider FromClause)."""
    return cast(Table, model.__table__)
