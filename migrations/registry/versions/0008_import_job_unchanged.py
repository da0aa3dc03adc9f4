"""Import jobs count the rows that matched a record and left it as it was (`unchanged`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "import_job",
        sa.Column("unchanged", sa.Integer(), server_default="0", nullable=False),
        schema="registry",
    )


def downgrade() -> None:
    op.drop_column("import_job", "unchanged", schema="registry")
