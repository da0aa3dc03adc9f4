"""Import jobs run on the loop-service primitive: the runner's lease on the job row.

Replaces the session-level advisory lock a job ran under (held on a pooled connection) with a lease
that expires: `lease_owner` (the process) and `lease_expires_at`. A job whose process died is claimed
again once its lease has expired.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("import_job", sa.Column("lease_owner", sa.String(length=64), nullable=True), schema="registry")
    op.add_column(
        "import_job", sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True), schema="registry"
    )


def downgrade() -> None:
    op.drop_column("import_job", "lease_expires_at", schema="registry")
    op.drop_column("import_job", "lease_owner", schema="registry")
