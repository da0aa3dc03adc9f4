"""Extended statistics on the progress cube's grouping: kind, level, domain, target tier and size bucket.

`GET /progress` counts the listed entities grouped by those five (`progress.repository._current_cube`).
Without statistics on them together the planner multiplies the columns' own distinct counts and expects
some 12,000 groups where there are about a hundred: it then finds a parallel scan with partial
aggregates not worth its cost and scans 122,000 rows on one core. With these `ndistinct` statistics it
expects the real number and splits the scan (about 160-190 ms → 95-110 ms on the bench's data).

The size bucket is an expression, so the statement must write it exactly as here: `width_bucket` over
the ladder as a literal array (`progress.repository.LADDER_SQL`; a test compares the two as PostgreSQL
reads them). A new ladder needs a new revision.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LADDER_SQL = "ARRAY[1, 10, 100, 500, 800, 1000, 5000, 8000, 10000]::numeric[]"


def upgrade() -> None:
    op.execute(
        "CREATE STATISTICS registry.entity_size_cube (ndistinct)"
        f" ON kind, level, domain, target_tier, (width_bucket(size_value, {LADDER_SQL})) FROM registry.entity"
    )
    op.execute("ANALYZE registry.entity")


def downgrade() -> None:
    op.execute("DROP STATISTICS registry.entity_size_cube")
