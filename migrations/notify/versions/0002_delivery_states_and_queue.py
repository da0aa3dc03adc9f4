"""notify: delivery states sending and retrying, one delivery per (circular, subscriber, event), queue indexes.

The claim now takes each subscriber's head from `ix_delivery_queue` (one index probe per subscriber
instead of a correlated scan of its whole backlog) and finds its delivery in flight through
`ix_delivery_in_flight`. The unique constraint covers what `ix_delivery_circular_id` served.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 15:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUED = "status IN ('pending', 'sending', 'retrying')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_delivery_status"), "delivery", schema="notify", type_="check")
    op.create_check_constraint(
        op.f("ck_delivery_status"),
        "delivery",
        "status IN ('pending', 'sending', 'delivered', 'retrying', 'failed')",
        schema="notify",
    )
    # Deliveries already retried once are `retrying` from now on.
    op.execute("UPDATE notify.delivery SET status = 'retrying' WHERE status = 'pending' AND attempts > 0")
    op.drop_index(
        "ix_delivery_due", table_name="delivery", schema="notify", postgresql_where=sa.text("status = 'pending'")
    )
    op.drop_index(op.f("ix_delivery_circular_id"), table_name="delivery", schema="notify")
    op.create_unique_constraint(
        op.f("uq_delivery_circular_id_subscriber_id_event_type"),
        "delivery",
        ["circular_id", "subscriber_id", "event_type"],
        schema="notify",
    )
    op.create_index(
        "ix_delivery_queue",
        "delivery",
        ["subscriber_id", "next_attempt_at", "id"],
        unique=False,
        schema="notify",
        postgresql_where=sa.text(QUEUED),
    )
    op.create_index(
        "ix_delivery_in_flight",
        "delivery",
        ["subscriber_id", "lease_expires_at"],
        unique=False,
        schema="notify",
        postgresql_where=sa.text("status = 'sending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_delivery_in_flight", table_name="delivery", schema="notify")
    op.drop_index("ix_delivery_queue", table_name="delivery", schema="notify")
    op.drop_constraint(
        op.f("uq_delivery_circular_id_subscriber_id_event_type"), "delivery", schema="notify", type_="unique"
    )
    op.create_index(op.f("ix_delivery_circular_id"), "delivery", ["circular_id"], unique=False, schema="notify")
    op.create_index(
        "ix_delivery_due",
        "delivery",
        ["next_attempt_at"],
        unique=False,
        schema="notify",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_constraint(op.f("ck_delivery_status"), "delivery", schema="notify", type_="check")
    op.execute("UPDATE notify.delivery SET status = 'pending' WHERE status IN ('sending', 'retrying')")
    op.create_check_constraint(
        op.f("ck_delivery_status"), "delivery", "status IN ('pending', 'delivered', 'failed')", schema="notify"
    )
