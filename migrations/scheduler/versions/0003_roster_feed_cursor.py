"""The registry change feed's follower: one cursor row per feed it follows (seeded for the registry's,
at 0), and report tasks that leave their round when their entity leaves the roster (`withdrawn`, with
`withdrawn_at`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "scheduler"
STATES = "'pending', 'submitted', 'returned', 'resubmitted', 'accepted'"


def upgrade() -> None:
    op.create_table(
        "feed_cursor",
        sa.Column("feed", sa.String(length=40), nullable=False),
        sa.Column("position", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("events_seen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("feed", name=op.f("pk_feed_cursor")),
        schema=SCHEMA,
    )
    op.execute("INSERT INTO scheduler.feed_cursor (feed) VALUES ('registry')")
    op.add_column("report_task", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA)
    op.drop_constraint(op.f("ck_report_task_state"), "report_task", schema=SCHEMA, type_="check")
    op.create_check_constraint(
        op.f("ck_report_task_state"), "report_task", f"state IN ({STATES}, 'withdrawn')", schema=SCHEMA
    )


def downgrade() -> None:
    # Without the state, a withdrawn task goes back to what it was withdrawn from (its history stays).
    op.execute(
        "UPDATE scheduler.report_task SET state = CASE WHEN submission_count = 0 THEN 'pending' ELSE 'returned' END"
        " WHERE state = 'withdrawn'"
    )
    op.drop_constraint(op.f("ck_report_task_state"), "report_task", schema=SCHEMA, type_="check")
    op.create_check_constraint(op.f("ck_report_task_state"), "report_task", f"state IN ({STATES})", schema=SCHEMA)
    op.drop_column("report_task", "withdrawn_at", schema=SCHEMA)
    op.drop_table("feed_cursor", schema=SCHEMA)
