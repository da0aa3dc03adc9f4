"""Initial scheduler schema: dispatch plans, rounds, report tasks and submissions, the business
calendar's overrides, and the platform tables (audit, idempotency, outbox).

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.migration_ops import create_platform_tables, drop_platform_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "scheduler"


def upgrade() -> None:
    create_platform_tables(SCHEMA, outbox=True)
    op.create_table(
        "calendar_override",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_override")),
        schema="scheduler",
    )
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("completed_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name=op.f("ck_calendar_year_year")),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_year")),
        schema="scheduler",
    )
    op.create_table(
        "plan",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_department", sa.String(length=60), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("schedule", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cron", sa.String(length=200), nullable=False),
        sa.Column("period_kind", sa.String(length=10), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("scope", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("template_versions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("submission_window", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reminders", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("missed_tick_policy", sa.String(length=10), nullable=False),
        sa.Column("missed_tick_cap", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("last_tick_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_tick_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("missed_tick_policy IN ('skip', 'latest', 'all')", name=op.f("ck_plan_missed_tick_policy")),
        sa.CheckConstraint("status IN ('active', 'paused')", name=op.f("ck_plan_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
        schema="scheduler",
    )
    op.create_index(
        "ix_plan_due",
        "plan",
        ["next_tick_at"],
        unique=False,
        schema="scheduler",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(op.f("ix_plan_region_code"), "plan", ["region_code"], unique=False, schema="scheduler")
    op.create_table(
        "round",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("plan_id", sa.UUID(), nullable=False),
        sa.Column("period_key", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("backfill", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grace_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminders", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("roster_on", sa.Date(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("state IN ('scheduled', 'open', 'closed', 'cancelled')", name=op.f("ck_round_state")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["scheduler.plan.id"], name=op.f("fk_round_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round")),
        sa.UniqueConstraint("plan_id", "period_key", name=op.f("uq_round_plan_id_period_key")),
        schema="scheduler",
    )
    op.create_index("ix_round_state_opens_at", "round", ["state", "opens_at"], unique=False, schema="scheduler")
    op.create_table(
        "report_task",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("round_id", sa.UUID(), nullable=False),
        sa.Column("plan_id", sa.UUID(), nullable=False),
        sa.Column("period_key", sa.String(length=10), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("entity_kind", sa.String(length=20), nullable=False),
        sa.Column("entity_name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("tier", sa.String(length=30), nullable=False),
        sa.Column("domain", sa.String(length=20), nullable=False),
        sa.Column("lead_department_id", sa.UUID(), nullable=True),
        sa.Column("lead_department_code", sa.String(length=60), nullable=True),
        sa.Column("lead_department_name", sa.String(length=200), nullable=True),
        sa.Column("responsible_person", sa.String(length=100), nullable=True),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("template_version", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("submission_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'submitted', 'returned', 'resubmitted', 'accepted')",
            name=op.f("ck_report_task_state"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["scheduler.round.id"], name=op.f("fk_report_task_round_id_round"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_task")),
        sa.UniqueConstraint("round_id", "entity_id", name=op.f("uq_report_task_round_id_entity_id")),
        schema="scheduler",
    )
    op.create_index(
        "ix_report_task_entity_id_accepted_at",
        "report_task",
        ["entity_id", "accepted_at"],
        unique=False,
        schema="scheduler",
    )
    op.create_index(op.f("ix_report_task_plan_id"), "report_task", ["plan_id"], unique=False, schema="scheduler")
    op.create_index(
        "ix_report_task_region_code_state", "report_task", ["region_code", "state"], unique=False, schema="scheduler"
    )
    op.create_table(
        "report_submission",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["scheduler.report_task.id"],
            name=op.f("fk_report_submission_task_id_report_task"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_submission")),
        sa.UniqueConstraint("task_id", "seq", name=op.f("uq_report_submission_task_id_seq")),
        schema="scheduler",
    )


def downgrade() -> None:
    op.drop_table("report_submission", schema="scheduler")
    op.drop_index("ix_report_task_region_code_state", table_name="report_task", schema="scheduler")
    op.drop_index(op.f("ix_report_task_plan_id"), table_name="report_task", schema="scheduler")
    op.drop_index("ix_report_task_entity_id_accepted_at", table_name="report_task", schema="scheduler")
    op.drop_table("report_task", schema="scheduler")
    op.drop_index("ix_round_state_opens_at", table_name="round", schema="scheduler")
    op.drop_table("round", schema="scheduler")
    op.drop_index(op.f("ix_plan_region_code"), table_name="plan", schema="scheduler")
    op.drop_index("ix_plan_due", table_name="plan", schema="scheduler", postgresql_where=sa.text("status = 'active'"))
    op.drop_table("plan", schema="scheduler")
    op.drop_table("calendar_year", schema="scheduler")
    op.drop_table("calendar_override", schema="scheduler")
    drop_platform_tables(SCHEMA, outbox=True)
