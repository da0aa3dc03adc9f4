"""notify: circulars and their numbers and documents, receipts, subscribers, deliveries, events; platform tables.

Revision ID: 0001
Revises:
Create Date: 2026-12-01 16:16:15.165205
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.migration_ops import create_platform_tables, drop_platform_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_platform_tables("notify")
    op.create_table(
        "circular",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("issuer", sa.String(length=30), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("audience", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("audience_regions", postgresql.ARRAY(sa.String(length=6)), server_default="{}", nullable=False),
        sa.Column("audience_departments", postgresql.ARRAY(sa.String(length=60)), server_default="{}", nullable=False),
        sa.Column("recipients", postgresql.ARRAY(sa.String(length=200)), server_default="{}", nullable=False),
        sa.Column("reply_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_type", sa.String(length=60), nullable=True),
        sa.Column("source_id", sa.String(length=100), nullable=True),
        sa.Column("reminder_of", sa.UUID(), nullable=True),
        sa.Column("document_number", sa.String(length=60), nullable=True),
        sa.Column("document_year", sa.SmallInteger(), nullable=True),
        sa.Column("document_sequence", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status = 'draft') = (document_number IS NULL)", name=op.f("ck_circular_number_when_published")
        ),
        sa.CheckConstraint("status IN ('draft', 'published', 'revoked')", name=op.f("ck_circular_status")),
        sa.ForeignKeyConstraint(["reminder_of"], ["notify.circular.id"], name=op.f("fk_circular_reminder_of_circular")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circular")),
        sa.UniqueConstraint("document_number", name=op.f("uq_circular_document_number")),
        sa.UniqueConstraint("source_type", "source_id", name=op.f("uq_circular_source_type_source_id")),
        schema="notify",
    )
    op.create_index(
        op.f("ix_circular_audience_regions"),
        "circular",
        ["audience_regions"],
        unique=False,
        schema="notify",
        postgresql_using="gin",
    )
    op.create_index(op.f("ix_circular_created_at_id"), "circular", ["created_at", "id"], unique=False, schema="notify")
    op.create_index(
        op.f("ix_circular_published_at_id"), "circular", ["published_at", "id"], unique=False, schema="notify"
    )
    op.create_index(op.f("ix_circular_reminder_of"), "circular", ["reminder_of"], unique=False, schema="notify")
    op.create_table(
        "document_counter",
        sa.Column("issuer", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "kind", "year", name=op.f("pk_document_counter")),
        schema="notify",
    )
    op.create_table(
        "event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("circular_id", sa.UUID(), nullable=True),
        sa.Column("subscriber_id", sa.UUID(), nullable=True),
        sa.Column("regions", postgresql.ARRAY(sa.String(length=6)), server_default="{}", nullable=False),
        sa.Column("departments", postgresql.ARRAY(sa.String(length=60)), server_default="{}", nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        schema="notify",
    )
    op.create_table(
        "subscriber",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=60), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("event_types", postgresql.ARRAY(sa.String(length=60)), server_default="{}", nullable=False),
        sa.Column("topics", postgresql.ARRAY(sa.String(length=60)), server_default="{}", nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("secrets", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('active', 'disabled')", name=op.f("ck_subscriber_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriber")),
        sa.UniqueConstraint("name", name=op.f("uq_subscriber_name")),
        schema="notify",
    )
    op.create_index(
        op.f("ix_subscriber_created_at_id"), "subscriber", ["created_at", "id"], unique=False, schema="notify"
    )
    op.create_index(op.f("ix_subscriber_region_code"), "subscriber", ["region_code"], unique=False, schema="notify")
    op.create_index(
        op.f("ix_subscriber_topics"), "subscriber", ["topics"], unique=False, schema="notify", postgresql_using="gin"
    )
    op.create_table(
        "circular_document",
        sa.Column("circular_id", sa.UUID(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["circular_id"],
            ["notify.circular.id"],
            name=op.f("fk_circular_document_circular_id_circular"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("circular_id", name=op.f("pk_circular_document")),
        schema="notify",
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("subscriber_id", sa.UUID(), nullable=False),
        sa.Column("circular_id", sa.UUID(), nullable=True),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("webhook_id", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name=op.f("ck_delivery_status")),
        sa.ForeignKeyConstraint(
            ["circular_id"], ["notify.circular.id"], name=op.f("fk_delivery_circular_id_circular"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["notify.subscriber.id"],
            name=op.f("fk_delivery_subscriber_id_subscriber"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("webhook_id", name=op.f("uq_delivery_webhook_id")),
        schema="notify",
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
    op.create_index(
        op.f("ix_delivery_subscriber_id_status_created_at"),
        "delivery",
        ["subscriber_id", "status", "created_at"],
        unique=False,
        schema="notify",
    )
    op.create_table(
        "receipt",
        sa.Column("circular_id", sa.UUID(), nullable=False),
        sa.Column("unit_type", sa.String(length=20), nullable=False),
        sa.Column("unit_code", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor_sub", sa.String(length=200), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'signed', 'returned')", name=op.f("ck_receipt_status")),
        sa.ForeignKeyConstraint(
            ["circular_id"], ["notify.circular.id"], name=op.f("fk_receipt_circular_id_circular"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("circular_id", "unit_type", "unit_code", name=op.f("pk_receipt")),
        schema="notify",
    )
    op.create_index(
        op.f("ix_receipt_unit_type_unit_code_status"),
        "receipt",
        ["unit_type", "unit_code", "status"],
        unique=False,
        schema="notify",
    )
    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("delivery_id", sa.UUID(), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("response_excerpt", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["notify.delivery.id"],
            name=op.f("fk_delivery_attempt_delivery_id_delivery"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempt")),
        sa.UniqueConstraint("delivery_id", "attempt_no", name=op.f("uq_delivery_attempt_delivery_id_attempt_no")),
        schema="notify",
    )


def downgrade() -> None:
    op.drop_table("delivery_attempt", schema="notify")
    op.drop_index(op.f("ix_receipt_unit_type_unit_code_status"), table_name="receipt", schema="notify")
    op.drop_table("receipt", schema="notify")
    op.drop_index(op.f("ix_delivery_subscriber_id_status_created_at"), table_name="delivery", schema="notify")
    op.drop_index(
        "ix_delivery_due", table_name="delivery", schema="notify", postgresql_where=sa.text("status = 'pending'")
    )
    op.drop_index(op.f("ix_delivery_circular_id"), table_name="delivery", schema="notify")
    op.drop_table("delivery", schema="notify")
    op.drop_table("circular_document", schema="notify")
    op.drop_index(op.f("ix_subscriber_topics"), table_name="subscriber", schema="notify", postgresql_using="gin")
    op.drop_index(op.f("ix_subscriber_region_code"), table_name="subscriber", schema="notify")
    op.drop_index(op.f("ix_subscriber_created_at_id"), table_name="subscriber", schema="notify")
    op.drop_table("subscriber", schema="notify")
    op.drop_table("event", schema="notify")
    op.drop_table("document_counter", schema="notify")
    op.drop_index(op.f("ix_circular_reminder_of"), table_name="circular", schema="notify")
    op.drop_index(op.f("ix_circular_published_at_id"), table_name="circular", schema="notify")
    op.drop_index(op.f("ix_circular_created_at_id"), table_name="circular", schema="notify")
    op.drop_index(op.f("ix_circular_audience_regions"), table_name="circular", schema="notify", postgresql_using="gin")
    op.drop_table("circular", schema="notify")
    drop_platform_tables("notify")
