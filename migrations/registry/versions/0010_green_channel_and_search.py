"""The green channel (绿色通道) for project approvals, and indexes for cross-kind search.

- `project_green_channel`: one row while a project is in the green channel: when it entered, who put
  it there, and why. Leaving deletes the row (the audit log keeps the story).
- `project_approval.committed_completion_on`: the date the approving body committed to (承诺时限); an
  approval not finished by then is overdue.
- Prefix search over unified social credit codes and project codes (`GET /search`): btree indexes with
  the pattern operator class, so `LIKE 'prefix%'` uses them whatever the database's collation.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "project_green_channel",
        sa.Column("project_id", sa.UUID(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("entered_by", sa.String(length=200), nullable=False),
        sa.Column("entered_by_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry.project.entity_id"],
            name=op.f("fk_project_green_channel_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_green_channel")),
        schema="registry",
    )
    op.add_column("project_approval", sa.Column("committed_completion_on", sa.Date(), nullable=True), schema="registry")
    op.create_index(
        "ix_enterprise_uscc_prefix",
        "enterprise",
        ["uscc"],
        unique=False,
        schema="registry",
        postgresql_ops={"uscc": "varchar_pattern_ops"},
    )
    op.create_index(
        "ix_project_project_code_prefix",
        "project",
        ["project_code"],
        unique=False,
        schema="registry",
        postgresql_ops={"project_code": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_project_project_code_prefix", table_name="project", schema="registry")
    op.drop_index("ix_enterprise_uscc_prefix", table_name="enterprise", schema="registry")
    op.drop_column("project_approval", "committed_completion_on", schema="registry")
    op.drop_table("project_green_channel", schema="registry")
