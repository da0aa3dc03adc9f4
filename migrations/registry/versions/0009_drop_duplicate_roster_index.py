"""Drop `ix_roster_adjustment_entity_id_effective_on_seq`: `ix_roster_adjustment_state` covers it.

The state index is (entity_id, effective_on DESC, seq DESC) with the state columns included. A btree
is read in either direction, so every use of the plain (entity_id, effective_on, seq) index, from an
entity's history in order to its latest adjustment on a date and the foreign key's cascade, is served
by the state index; the second copy only cost every adjustment an extra index write.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_roster_adjustment_entity_id_effective_on_seq", table_name="roster_adjustment", schema="registry")


def downgrade() -> None:
    op.create_index(
        "ix_roster_adjustment_entity_id_effective_on_seq",
        "roster_adjustment",
        ["entity_id", "effective_on", "seq"],
        unique=False,
        schema="registry",
    )
