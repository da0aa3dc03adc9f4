"""Alembic operations every service's history shares: the platform tables, created once per schema.

A service's first migration calls `create_platform_tables(schema)` (and its downgrade
`drop_platform_tables(schema)`) instead of copying the DDL of

- `audit_event`, append-only: a trigger rejects every UPDATE and DELETE, whoever sends them;
- `idempotency_record`, the stored responses of creating POSTs (`shared.idempotency`);
- `outbox_message`, with `outbox=True`: requests to peer services written in the same transaction as
  the change that causes them, and delivered later with retries (`shared.outbox`).

The DDL is written out here, as a migration's is, and not derived from the models at run time: a
revision already applied must keep creating what it created. The models-agree-with-migrations test
holds the tables in `shared/tables.py` to it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def create_platform_tables(schema: str, *, outbox: bool = False) -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_sub", sa.String(length=200), nullable=False),
        sa.Column("actor_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("actor_region", sa.String(length=6), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("resource_type", sa.String(length=60), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_event"),
        schema=schema,
    )
    op.create_index("ix_audit_event_actor_sub_id", "audit_event", ["actor_sub", "id"], schema=schema)
    op.create_index(
        "ix_audit_event_resource_type_resource_id_id",
        "audit_event",
        ["resource_type", "resource_id", "id"],
        schema=schema,
    )
    op.execute(f"""
        CREATE FUNCTION "{schema}".audit_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$""")
    op.execute(f"""
        CREATE TRIGGER audit_event_immutable BEFORE UPDATE OR DELETE ON "{schema}".audit_event
        FOR EACH ROW EXECUTE FUNCTION "{schema}".audit_event_immutable()""")
    op.create_table(
        "idempotency_record",
        sa.Column("caller", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("caller", "key", name="pk_idempotency_record"),
        schema=schema,
    )
    op.create_index("ix_idempotency_record_created_at", "idempotency_record", ["created_at"], schema=schema)
    if outbox:
        create_outbox_table(schema)


def create_outbox_table(schema: str) -> None:
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("peer", sa.String(length=40), nullable=False),
        sa.Column("operation", sa.String(length=60), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_message"),
        sa.UniqueConstraint("peer", "idempotency_key", name="uq_outbox_message_peer_idempotency_key"),
        schema=schema,
    )
    op.create_index(
        "ix_outbox_message_due",
        "outbox_message",
        ["next_attempt_at"],
        schema=schema,
        postgresql_where=sa.text("delivered_at IS NULL"),
    )


def drop_platform_tables(schema: str, *, outbox: bool = False) -> None:
    if outbox:
        op.drop_table("outbox_message", schema=schema)
    op.drop_table("idempotency_record", schema=schema)
    op.execute(f'DROP TRIGGER audit_event_immutable ON "{schema}".audit_event')
    op.execute(f'DROP FUNCTION "{schema}".audit_event_immutable()')
    op.drop_table("audit_event", schema=schema)
