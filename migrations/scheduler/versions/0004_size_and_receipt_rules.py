"""The rules pace_below_tier, promotion_candidate and circular_unsigned as data (seeded with the defaults
of `rules.py`); `unsigned_receipt`, the receipts notify reports unsigned, which the last one reads; and
an index of the reports still to file, which report_deadline reads.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULES = {
    "pace_below_tier": {"yellow_below": "1", "red_below": "0.8", "basis": "days"},
    "promotion_candidate": {},
    "circular_unsigned": {"yellow_after_days": 3, "red_after_days": 7},
}


def upgrade() -> None:
    op.create_table(
        "unsigned_receipt",
        sa.Column("circular_id", sa.UUID(), nullable=False),
        sa.Column("unit_type", sa.String(length=20), nullable=False),
        sa.Column("unit_code", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("document_number", sa.String(length=60), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("circular_id", "unit_type", "unit_code", name=op.f("pk_unsigned_receipt")),
        schema="scheduler",
    )
    op.create_index(
        "ix_report_task_unsubmitted",
        "report_task",
        ["round_id"],
        unique=False,
        schema="scheduler",
        postgresql_where=sa.text("state IN ('pending', 'returned')"),
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


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM scheduler.finding WHERE rule_code = ANY(:codes)").bindparams(codes=list(RULES)))
    op.execute(sa.text("DELETE FROM scheduler.supervision_rule WHERE code = ANY(:codes)").bindparams(codes=list(RULES)))
    op.drop_index(
        "ix_report_task_unsubmitted",
        table_name="report_task",
        schema="scheduler",
        postgresql_where=sa.text("state IN ('pending', 'returned')"),
    )
    op.drop_table("unsigned_receipt", schema="scheduler")
