"""Indexes for the task list, an operator's to-do list: a county's page and its counts per state come
from the index alone.

`(region_code, due_at, id)` serves a county's page in the default order (deadline, then id) by reading
its first 51 entries, where the page had sorted every task of the county; `(region_code, state,
due_at)` replaces `(region_code, state)` (its prefix, so it serves every query the old one did) and
answers the counts per state and of overdue tasks by an index-only scan.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "scheduler"


def upgrade() -> None:
    op.create_index(
        "ix_report_task_region_code_due_at_id",
        "report_task",
        ["region_code", "due_at", "id"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_index(
        "ix_report_task_region_code_state_due_at",
        "report_task",
        ["region_code", "state", "due_at"],
        unique=False,
        schema=SCHEMA,
    )
    op.drop_index("ix_report_task_region_code_state", table_name="report_task", schema=SCHEMA)


def downgrade() -> None:
    op.create_index(
        "ix_report_task_region_code_state", "report_task", ["region_code", "state"], unique=False, schema=SCHEMA
    )
    op.drop_index("ix_report_task_region_code_state_due_at", table_name="report_task", schema=SCHEMA)
    op.drop_index("ix_report_task_region_code_due_at_id", table_name="report_task", schema=SCHEMA)
