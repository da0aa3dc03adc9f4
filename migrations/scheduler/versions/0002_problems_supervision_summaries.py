"""Problems and their history, supervision rules (seeded with the defaults of `rules.py` and
`escalation.py`), findings, supervision cases and their replies, the scoring profile (seeded with the
defaults of `scoring.py`), and the reminders sent before a round's deadline.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULES = {
    "report_deadline": {"blue_within_days": 3, "red_overdue_days": 3},
    "investment_lag": {"yellow_below": "0.9", "red_below": "0.7", "basis": "days"},
    "stalled_project": {
        "yellow_rounds": 3,
        "red_rounds": 6,
        "yellow_months": 6,
        "red_months": 12,
        "investment_counts_as_progress": True,
    },
    "problem_overdue": {"yellow_overdue_days": 1, "red_overdue_days": 5},
    "problem_escalation": {
        "overdue_days": 3,
        "handling_working_days": {"county": 10, "city": 10, "department": 15, "leader": 20},
    },
}
SCORING = {
    "weights": {"submission": "30", "on_time": "20", "investment": "30", "findings": "20"},
    "penalties": {"red": "1", "yellow": "0.5", "blue": "0"},
    "cutoffs": {"excellent": "90", "good": "80", "fair": "60"},
}


def upgrade() -> None:
    op.create_table(
        "finding",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("rule_code", sa.String(length=40), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.UUID(), nullable=False),
        sa.Column("period_key", sa.String(length=10), nullable=False),
        sa.Column("round_id", sa.UUID(), nullable=True),
        sa.Column("entity_id", sa.UUID(), nullable=True),
        sa.Column("entity_kind", sa.String(length=20), nullable=True),
        sa.Column("entity_name", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("lead_department_code", sa.String(length=60), nullable=True),
        sa.Column("colour", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("explanation", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("red_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("colour IN ('blue', 'yellow', 'red')", name=op.f("ck_finding_colour")),
        sa.CheckConstraint(
            "state IN ('open', 'notified', 'rectifying', 'resolved', 'escalated')", name=op.f("ck_finding_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding")),
        sa.UniqueConstraint(
            "rule_code", "subject_id", "period_key", name=op.f("uq_finding_rule_code_subject_id_period_key")
        ),
        schema="scheduler",
    )
    op.create_index(
        "ix_finding_region_code_colour", "finding", ["region_code", "colour"], unique=False, schema="scheduler"
    )
    op.create_index("ix_finding_round_id", "finding", ["round_id"], unique=False, schema="scheduler")
    op.create_table(
        "scoring_profile",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("weights", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("penalties", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cutoffs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("code", "version", name=op.f("pk_scoring_profile")),
        schema="scheduler",
    )
    op.create_index(
        "uq_scoring_profile_active",
        "scoring_profile",
        ["code"],
        unique=True,
        schema="scheduler",
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "supervision_rule",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("code", "version", name=op.f("pk_supervision_rule")),
        schema="scheduler",
    )
    op.create_index(
        "uq_supervision_rule_active",
        "supervision_rule",
        ["code"],
        unique=True,
        schema="scheduler",
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "supervision_case",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("finding_id", sa.UUID(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("responsible_department", sa.String(length=60), nullable=True),
        sa.Column("requirement", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reply_due_on", sa.Date(), nullable=False),
        sa.Column("reply_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "state IN ('awaiting_reply', 'replied', 'closed', 'escalated')", name=op.f("ck_supervision_case_state")
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["scheduler.finding.id"],
            name=op.f("fk_supervision_case_finding_id_finding"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_case")),
        sa.UniqueConstraint("finding_id", name=op.f("uq_supervision_case_finding_id")),
        schema="scheduler",
    )
    op.create_index(
        "ix_supervision_case_due",
        "supervision_case",
        ["reply_due_at"],
        unique=False,
        schema="scheduler",
        postgresql_where=sa.text("state = 'awaiting_reply'"),
    )
    op.create_table(
        "case_reply",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["scheduler.supervision_case.id"],
            name=op.f("fk_case_reply_case_id_supervision_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_reply")),
        sa.UniqueConstraint("case_id", "seq", name=op.f("uq_case_reply_case_id_seq")),
        schema="scheduler",
    )
    op.create_table(
        "round_reminder",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("round_id", sa.UUID(), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("regions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("late_tasks", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["scheduler.round.id"], name=op.f("fk_round_reminder_round_id_round"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_reminder")),
        sa.UniqueConstraint("round_id", "remind_at", name=op.f("uq_round_reminder_round_id_remind_at")),
        schema="scheduler",
    )
    op.create_table(
        "problem",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=True),
        sa.Column("entity_kind", sa.String(length=20), nullable=True),
        sa.Column("entity_name", sa.String(length=200), nullable=True),
        sa.Column("task_id", sa.UUID(), nullable=True),
        sa.Column("figure", sa.String(length=20), nullable=True),
        sa.Column("assigned_department", sa.String(length=60), nullable=True),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("raised_by", sa.String(length=200), nullable=False),
        sa.Column("raised_region", sa.String(length=6), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("category IN ('difficulty', 'coordination')", name=op.f("ck_problem_category")),
        sa.CheckConstraint("level IN ('county', 'city', 'department', 'leader')", name=op.f("ck_problem_level")),
        sa.CheckConstraint("state IN ('open', 'in_progress', 'resolved', 'closed')", name=op.f("ck_problem_state")),
        sa.ForeignKeyConstraint(
            ["task_id"], ["scheduler.report_task.id"], name=op.f("fk_problem_task_id_report_task"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem")),
        sa.UniqueConstraint("task_id", "figure", name=op.f("uq_problem_task_id_figure")),
        schema="scheduler",
    )
    op.create_index(
        "ix_problem_due",
        "problem",
        ["due_on"],
        unique=False,
        schema="scheduler",
        postgresql_where=sa.text("state IN ('open', 'in_progress')"),
    )
    op.create_index(
        "ix_problem_region_code_state", "problem", ["region_code", "state"], unique=False, schema="scheduler"
    )
    op.create_table(
        "problem_event",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=False),
        sa.Column("from_level", sa.String(length=12), nullable=True),
        sa.Column("to_level", sa.String(length=12), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("actor_sub", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("explanation", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["scheduler.problem.id"],
            name=op.f("fk_problem_event_problem_id_problem"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_event")),
        schema="scheduler",
    )
    op.create_index(
        op.f("ix_problem_event_problem_id"), "problem_event", ["problem_id"], unique=False, schema="scheduler"
    )
    rules = sa.table(
        "supervision_rule",
        sa.column("code", sa.String),
        sa.column("version", sa.Integer),
        sa.column("parameters", postgresql.JSONB),
        sa.column("active", sa.Boolean),
        schema="scheduler",
    )
    op.bulk_insert(rules, [{"code": c, "version": 1, "parameters": p, "active": True} for c, p in RULES.items()])
    profiles = sa.table(
        "scoring_profile",
        sa.column("code", sa.String),
        sa.column("version", sa.Integer),
        sa.column("weights", postgresql.JSONB),
        sa.column("penalties", postgresql.JSONB),
        sa.column("cutoffs", postgresql.JSONB),
        sa.column("active", sa.Boolean),
        schema="scheduler",
    )
    op.bulk_insert(profiles, [{"code": "default", "version": 1, "active": True, **SCORING}])


def downgrade() -> None:
    op.drop_index(op.f("ix_problem_event_problem_id"), table_name="problem_event", schema="scheduler")
    op.drop_table("problem_event", schema="scheduler")
    op.drop_index("ix_problem_region_code_state", table_name="problem", schema="scheduler")
    op.drop_index(
        "ix_problem_due",
        table_name="problem",
        schema="scheduler",
        postgresql_where=sa.text("state IN ('open', 'in_progress')"),
    )
    op.drop_table("problem", schema="scheduler")
    op.drop_table("round_reminder", schema="scheduler")
    op.drop_table("case_reply", schema="scheduler")
    op.drop_index(
        "ix_supervision_case_due",
        table_name="supervision_case",
        schema="scheduler",
        postgresql_where=sa.text("state = 'awaiting_reply'"),
    )
    op.drop_table("supervision_case", schema="scheduler")
    op.drop_index(
        "uq_supervision_rule_active",
        table_name="supervision_rule",
        schema="scheduler",
        postgresql_where=sa.text("active"),
    )
    op.drop_table("supervision_rule", schema="scheduler")
    op.drop_index(
        "uq_scoring_profile_active",
        table_name="scoring_profile",
        schema="scheduler",
        postgresql_where=sa.text("active"),
    )
    op.drop_table("scoring_profile", schema="scheduler")
    op.drop_index("ix_finding_round_id", table_name="finding", schema="scheduler")
    op.drop_index("ix_finding_region_code_colour", table_name="finding", schema="scheduler")
    op.drop_table("finding", schema="scheduler")
