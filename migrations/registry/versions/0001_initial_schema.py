"""Initial registry schema: entities, reference tables, roster, metrics, outbox, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 14:39:50.482520
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_sub", sa.String(length=200), nullable=False),
        sa.Column("actor_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("actor_region", sa.String(length=6), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("resource_type", sa.String(length=60), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_audit_event_actor_sub_id"), "audit_event", ["actor_sub", "id"], unique=False, schema="registry"
    )
    op.create_index(
        op.f("ix_audit_event_resource_type_resource_id_id"),
        "audit_event",
        ["resource_type", "resource_id", "id"],
        unique=False,
        schema="registry",
    )
    op.create_table(
        "change_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_event")),
        schema="registry",
    )
    op.create_table(
        "idempotency_record",
        sa.Column("caller", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("caller", "key", name=op.f("pk_idempotency_record")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_idempotency_record_created_at"), "idempotency_record", ["created_at"], unique=False, schema="registry"
    )
    op.create_table(
        "import_job",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_format", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.String(length=255), server_default="", nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("processed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("actor", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_job")),
        schema="registry",
    )
    op.create_table(
        "region",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent_code", sa.String(length=6), nullable=True),
        sa.Column("county_type", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["parent_code"], ["registry.region.code"], name=op.f("fk_region_parent_code_region")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_region")),
        schema="registry",
    )
    op.create_table(
        "target",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("horizon", sa.String(length=40), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("tier", sa.String(length=30), nullable=False),
        sa.Column("domain", sa.String(length=20), nullable=True),
        sa.Column("min_count", sa.Integer(), nullable=False),
        sa.Column("max_count", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("source", sa.Text(), server_default="", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("max_count IS NULL OR max_count >= min_count", name=op.f("ck_target_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target")),
        schema="registry",
    )
    op.create_table(
        "department",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("domains", postgresql.ARRAY(sa.String(length=20)), server_default="{}", nullable=False),
        sa.Column("role_note", sa.Text(), server_default="", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"], ["registry.region.code"], name=op.f("fk_department_region_code_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("code", name=op.f("uq_department_code")),
        sa.UniqueConstraint("name", name=op.f("uq_department_name")),
        schema="registry",
    )
    op.create_table(
        "park",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("grade", sa.String(length=30), nullable=False),
        sa.Column("five_good", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["registry.region.code"], name=op.f("fk_park_region_code_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_park")),
        sa.UniqueConstraint("name", name=op.f("uq_park_name")),
        schema="registry",
    )
    op.create_index(op.f("ix_park_region_code"), "park", ["region_code"], unique=False, schema="registry")
    op.create_table(
        "entity",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("domain", sa.String(length=20), nullable=False),
        sa.Column("pathway", sa.String(length=40), nullable=True),
        sa.Column("target_tier", sa.String(length=30), nullable=False),
        sa.Column("lead_department_id", sa.UUID(), nullable=True),
        sa.Column("roster_status", sa.String(length=10), server_default="listed", nullable=False),
        sa.Column("listed_on", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(level = 'province' AND region_code = '430000') OR (level = 'city' AND region_code LIKE '43__00' AND region_code <> '430000') OR (level = 'county' AND region_code LIKE '43____' AND region_code NOT LIKE '43__00')",
            name=op.f("ck_entity_level_region"),
        ),
        sa.CheckConstraint("kind IN ('industry', 'enterprise', 'project')", name=op.f("ck_entity_kind")),
        sa.ForeignKeyConstraint(
            ["lead_department_id"], ["registry.department.id"], name=op.f("fk_entity_lead_department_id_department")
        ),
        sa.ForeignKeyConstraint(["region_code"], ["registry.region.code"], name=op.f("fk_entity_region_code_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_entity_kind_created_at_id"), "entity", ["kind", "created_at", "id"], unique=False, schema="registry"
    )
    op.create_index(op.f("ix_entity_kind_name_id"), "entity", ["kind", "name", "id"], unique=False, schema="registry")
    op.create_index(
        op.f("ix_entity_kind_region_code"), "entity", ["kind", "region_code"], unique=False, schema="registry"
    )
    op.create_index(
        op.f("ix_entity_kind_target_tier_region_code"),
        "entity",
        ["kind", "target_tier", "region_code"],
        unique=False,
        schema="registry",
    )
    op.create_index(
        op.f("ix_entity_kind_updated_at_id"), "entity", ["kind", "updated_at", "id"], unique=False, schema="registry"
    )
    op.create_table(
        "person",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), server_default="", nullable=False),
        sa.Column("department_id", sa.UUID(), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["registry.department.id"], name=op.f("fk_person_department_id_department")
        ),
        sa.ForeignKeyConstraint(["region_code"], ["registry.region.code"], name=op.f("fk_person_region_code_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        schema="registry",
    )
    op.create_index(op.f("ix_person_region_code"), "person", ["region_code"], unique=False, schema="registry")
    op.create_table(
        "enterprise",
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("labels", postgresql.ARRAY(sa.String(length=30)), server_default="{}", nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["registry.entity.id"], name=op.f("fk_enterprise_entity_id_entity"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_enterprise")),
        sa.UniqueConstraint("uscc", name=op.f("uq_enterprise_uscc")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_enterprise_labels"), "enterprise", ["labels"], unique=False, schema="registry", postgresql_using="gin"
    )
    op.create_table(
        "entity_park",
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("park_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["registry.entity.id"], name=op.f("fk_entity_park_entity_id_entity"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["park_id"], ["registry.park.id"], name=op.f("fk_entity_park_park_id_park")),
        sa.PrimaryKeyConstraint("entity_id", "park_id", name=op.f("pk_entity_park")),
        schema="registry",
    )
    op.create_index(op.f("ix_entity_park_park_id"), "entity_park", ["park_id"], unique=False, schema="registry")
    op.create_table(
        "entity_person",
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["registry.entity.id"], name=op.f("fk_entity_person_entity_id_entity"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["registry.person.id"], name=op.f("fk_entity_person_person_id_person")),
        sa.PrimaryKeyConstraint("entity_id", "person_id", name=op.f("pk_entity_person")),
        schema="registry",
    )
    op.create_index(op.f("ix_entity_person_person_id"), "entity_person", ["person_id"], unique=False, schema="registry")
    op.create_table(
        "industry",
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("parent_industry_id", sa.UUID(), nullable=True),
        sa.Column("roadmap", sa.Text(), server_default="", nullable=False),
        sa.Column("timetable", sa.Text(), server_default="", nullable=False),
        sa.Column("task_book", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["registry.entity.id"], name=op.f("fk_industry_entity_id_entity"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["parent_industry_id"],
            ["registry.industry.entity_id"],
            name=op.f("fk_industry_parent_industry_id_industry"),
        ),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_industry")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_industry_parent_industry_id"), "industry", ["parent_industry_id"], unique=False, schema="registry"
    )
    op.create_table(
        "metric_value",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("metric", sa.String(length=30), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("value", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("source_ref", sa.String(length=100), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("month BETWEEN 0 AND 12", name=op.f("ck_metric_value_month")),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["registry.entity.id"], name=op.f("fk_metric_value_entity_id_entity"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_value")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_metric_value_entity_id_metric_year_month_revision"),
        "metric_value",
        ["entity_id", "metric", "year", "month", "revision"],
        unique=True,
        schema="registry",
    )
    op.create_index(
        op.f("ix_metric_value_metric_month_year_entity_id"),
        "metric_value",
        ["metric", "month", "year", "entity_id"],
        unique=False,
        schema="registry",
    )
    op.create_table(
        "roster_adjustment",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("approving_department_id", sa.UUID(), nullable=True),
        sa.Column("document_ref", sa.String(length=200), nullable=True),
        sa.Column("actor_sub", sa.String(length=200), nullable=False),
        sa.Column("actor_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("from_level", sa.String(length=10), nullable=True),
        sa.Column("to_level", sa.String(length=10), nullable=False),
        sa.Column("from_region_code", sa.String(length=6), nullable=True),
        sa.Column("to_region_code", sa.String(length=6), nullable=False),
        sa.Column("from_tier", sa.String(length=30), nullable=True),
        sa.Column("to_tier", sa.String(length=30), nullable=False),
        sa.Column("status_after", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["approving_department_id"],
            ["registry.department.id"],
            name=op.f("fk_roster_adjustment_approving_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["registry.entity.id"],
            name=op.f("fk_roster_adjustment_entity_id_entity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_adjustment")),
        sa.UniqueConstraint("seq", name=op.f("uq_roster_adjustment_seq")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_roster_adjustment_entity_id_effective_on_seq"),
        "roster_adjustment",
        ["entity_id", "effective_on", "seq"],
        unique=False,
        schema="registry",
    )
    op.create_table(
        "chain",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("group_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("leader_name", sa.String(length=100), nullable=True),
        sa.Column("leader_title", sa.String(length=200), nullable=True),
        sa.Column("master_enterprise_id", sa.UUID(), nullable=True),
        sa.Column("source", sa.Text(), server_default="", nullable=False),
        sa.Column("confidence", sa.String(length=10), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["master_enterprise_id"],
            ["registry.enterprise.entity_id"],
            name=op.f("fk_chain_master_enterprise_id_enterprise"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain")),
        sa.UniqueConstraint("name", "group_name", name=op.f("uq_chain_name_group_name")),
        schema="registry",
    )
    op.create_table(
        "enterprise_industry",
        sa.Column("enterprise_id", sa.UUID(), nullable=False),
        sa.Column("industry_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["registry.enterprise.entity_id"],
            name=op.f("fk_enterprise_industry_enterprise_id_enterprise"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["industry_id"],
            ["registry.industry.entity_id"],
            name=op.f("fk_enterprise_industry_industry_id_industry"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enterprise_id", "industry_id", name=op.f("pk_enterprise_industry")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_enterprise_industry_industry_id"),
        "enterprise_industry",
        ["industry_id"],
        unique=False,
        schema="registry",
    )
    op.create_table(
        "project",
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("project_code", sa.String(length=24), nullable=True),
        sa.Column("owner_enterprise_id", sa.UUID(), nullable=True),
        sa.Column("total_investment", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("stage", sa.String(length=30), server_default="planning", nullable=False),
        sa.Column("planned_start_on", sa.Date(), nullable=True),
        sa.Column("actual_start_on", sa.Date(), nullable=True),
        sa.Column("planned_completion_on", sa.Date(), nullable=True),
        sa.Column("actual_completion_on", sa.Date(), nullable=True),
        sa.Column("signing_event", sa.String(length=200), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "actual_completion_on IS NULL OR actual_start_on IS NULL OR actual_completion_on >= actual_start_on",
            name=op.f("ck_project_actual_dates"),
        ),
        sa.CheckConstraint(
            "planned_completion_on IS NULL OR planned_start_on IS NULL OR planned_completion_on >= planned_start_on",
            name=op.f("ck_project_planned_dates"),
        ),
        sa.CheckConstraint("total_investment >= 0", name=op.f("ck_project_investment_non_negative")),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["registry.entity.id"], name=op.f("fk_project_entity_id_entity"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_enterprise_id"],
            ["registry.enterprise.entity_id"],
            name=op.f("fk_project_owner_enterprise_id_enterprise"),
        ),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_project")),
        sa.UniqueConstraint("project_code", name=op.f("uq_project_project_code")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_project_owner_enterprise_id"), "project", ["owner_enterprise_id"], unique=False, schema="registry"
    )
    op.create_table(
        "entity_chain",
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("chain_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(["chain_id"], ["registry.chain.id"], name=op.f("fk_entity_chain_chain_id_chain")),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["registry.entity.id"], name=op.f("fk_entity_chain_entity_id_entity"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("entity_id", "chain_id", name=op.f("pk_entity_chain")),
        schema="registry",
    )
    op.create_index(op.f("ix_entity_chain_chain_id"), "entity_chain", ["chain_id"], unique=False, schema="registry")
    op.create_table(
        "project_annual_plan",
        sa.Column("project_id", sa.UUID(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("planned_investment", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.CheckConstraint("planned_investment >= 0", name=op.f("ck_project_annual_plan_non_negative")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry.project.entity_id"],
            name=op.f("fk_project_annual_plan_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "year", name=op.f("pk_project_annual_plan")),
        schema="registry",
    )
    op.create_table(
        "project_approval",
        sa.Column("project_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("document_no", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry.project.entity_id"],
            name=op.f("fk_project_approval_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "kind", name=op.f("pk_project_approval")),
        schema="registry",
    )

    # Chinese substring search without pg_trgm (absent from some PostgreSQL builds, and its
    # trigrams skip CJK characters in the C locale): index the unigrams and bigrams of the name.
    op.execute("""
        CREATE FUNCTION registry.name_grams(t text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
          SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
            SELECT substr(lower(t), i, 1) AS g FROM generate_series(1, char_length(t)) AS i
            UNION ALL
            SELECT substr(lower(t), i, 2) FROM generate_series(1, char_length(t) - 1) AS i
          ) AS grams
        $$""")
    op.execute("""
        CREATE FUNCTION registry.query_grams(q text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
          SELECT CASE WHEN char_length(q) <= 1 THEN ARRAY[lower(q)] ELSE
            (SELECT array_agg(DISTINCT substr(lower(q), i, 2)) FROM generate_series(1, char_length(q) - 1) AS i)
          END
        $$""")
    op.execute("CREATE INDEX ix_entity_name_grams ON registry.entity USING gin (registry.name_grams(name))")
    # The audit log is append-only, whatever a future query tries.
    op.execute("""
        CREATE FUNCTION registry.audit_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$""")
    op.execute("""
        CREATE TRIGGER audit_event_immutable BEFORE UPDATE OR DELETE ON registry.audit_event
        FOR EACH ROW EXECUTE FUNCTION registry.audit_event_immutable()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_event_immutable ON registry.audit_event")
    op.execute("DROP FUNCTION registry.audit_event_immutable()")
    op.execute("DROP INDEX registry.ix_entity_name_grams")
    op.execute("DROP FUNCTION registry.query_grams(text)")
    op.execute("DROP FUNCTION registry.name_grams(text)")
    op.drop_table("project_approval", schema="registry")
    op.drop_table("project_annual_plan", schema="registry")
    op.drop_index(op.f("ix_entity_chain_chain_id"), table_name="entity_chain", schema="registry")
    op.drop_table("entity_chain", schema="registry")
    op.drop_index(op.f("ix_project_owner_enterprise_id"), table_name="project", schema="registry")
    op.drop_table("project", schema="registry")
    op.drop_index(op.f("ix_enterprise_industry_industry_id"), table_name="enterprise_industry", schema="registry")
    op.drop_table("enterprise_industry", schema="registry")
    op.drop_table("chain", schema="registry")
    op.drop_index(
        op.f("ix_roster_adjustment_entity_id_effective_on_seq"), table_name="roster_adjustment", schema="registry"
    )
    op.drop_table("roster_adjustment", schema="registry")
    op.drop_index(op.f("ix_metric_value_metric_month_year_entity_id"), table_name="metric_value", schema="registry")
    op.drop_index(
        op.f("ix_metric_value_entity_id_metric_year_month_revision"), table_name="metric_value", schema="registry"
    )
    op.drop_table("metric_value", schema="registry")
    op.drop_index(op.f("ix_industry_parent_industry_id"), table_name="industry", schema="registry")
    op.drop_table("industry", schema="registry")
    op.drop_index(op.f("ix_entity_person_person_id"), table_name="entity_person", schema="registry")
    op.drop_table("entity_person", schema="registry")
    op.drop_index(op.f("ix_entity_park_park_id"), table_name="entity_park", schema="registry")
    op.drop_table("entity_park", schema="registry")
    op.drop_index(op.f("ix_enterprise_labels"), table_name="enterprise", schema="registry", postgresql_using="gin")
    op.drop_table("enterprise", schema="registry")
    op.drop_index(op.f("ix_person_region_code"), table_name="person", schema="registry")
    op.drop_table("person", schema="registry")
    op.drop_index(op.f("ix_entity_kind_updated_at_id"), table_name="entity", schema="registry")
    op.drop_index(op.f("ix_entity_kind_target_tier_region_code"), table_name="entity", schema="registry")
    op.drop_index(op.f("ix_entity_kind_region_code"), table_name="entity", schema="registry")
    op.drop_index(op.f("ix_entity_kind_name_id"), table_name="entity", schema="registry")
    op.drop_index(op.f("ix_entity_kind_created_at_id"), table_name="entity", schema="registry")
    op.drop_table("entity", schema="registry")
    op.drop_index(op.f("ix_park_region_code"), table_name="park", schema="registry")
    op.drop_table("park", schema="registry")
    op.drop_table("department", schema="registry")
    op.drop_table("target", schema="registry")
    op.drop_table("region", schema="registry")
    op.drop_table("import_job", schema="registry")
    op.drop_index(op.f("ix_idempotency_record_created_at"), table_name="idempotency_record", schema="registry")
    op.drop_table("idempotency_record", schema="registry")
    op.drop_table("change_event", schema="registry")
    op.drop_index(op.f("ix_audit_event_resource_type_resource_id_id"), table_name="audit_event", schema="registry")
    op.drop_index(op.f("ix_audit_event_actor_sub_id"), table_name="audit_event", schema="registry")
    op.drop_table("audit_event", schema="registry")
