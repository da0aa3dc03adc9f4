"""Covering indexes for GET /progress: the roster state and the latest annual size of every entity.

The progress query reads, for every entity at once, its latest roster adjustment up to a date and its
latest annual revenue/output up to a year (DISTINCT ON in entity order). These indexes hold the rows
in exactly that order with every column the query reads, so both become index-only scans without a
sort (measured on 122,000 entities: each lookup about 2.5x faster and no sort spilling to disk).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_roster_adjustment_state",
        "roster_adjustment",
        ["entity_id", sa.text("effective_on DESC"), sa.text("seq DESC")],
        unique=False,
        schema="registry",
        postgresql_include=["status_after", "to_level", "to_region_code", "to_tier"],
    )
    op.create_index(
        "ix_metric_value_annual_latest",
        "metric_value",
        ["entity_id", sa.text("year DESC"), sa.text("metric DESC"), sa.text("revision DESC")],
        unique=False,
        schema="registry",
        postgresql_include=["value"],
        postgresql_where=sa.text("month = 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_metric_value_annual_latest", table_name="metric_value", schema="registry")
    op.drop_index("ix_roster_adjustment_state", table_name="roster_adjustment", schema="registry")
