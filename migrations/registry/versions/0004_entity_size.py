"""The latest annual size on the entity row, for current standing and progress without a history pass.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("entity", sa.Column("size_metric", sa.String(length=30), nullable=True), schema="registry")
    op.add_column("entity", sa.Column("size_year", sa.SmallInteger(), nullable=True), schema="registry")
    op.add_column("entity", sa.Column("size_value", sa.Numeric(16, 4), nullable=True), schema="registry")
    op.execute(
        """
        UPDATE registry.entity AS e
           SET size_metric = latest.metric, size_year = latest.year, size_value = latest.value
          FROM (SELECT DISTINCT ON (entity_id) entity_id, metric, year, value
                  FROM registry.metric_value
                 WHERE month = 0 AND metric IN ('revenue', 'output')
                 ORDER BY entity_id, year DESC, metric DESC, revision DESC) AS latest
         WHERE latest.entity_id = e.id AND e.kind IN ('industry', 'enterprise')
        """
    )


def downgrade() -> None:
    op.drop_column("entity", "size_value", schema="registry")
    op.drop_column("entity", "size_year", schema="registry")
    op.drop_column("entity", "size_metric", schema="registry")
