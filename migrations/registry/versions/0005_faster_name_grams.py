"""A faster name_grams(): a plpgsql loop instead of a set-returning SQL query with DISTINCT.

It runs once for every entity insert or rename (the GIN search index is built on it), and bulk imports
spent most of their database time there. The grams are the same; duplicates are no longer removed
because GIN stores each key of an item once anyway. The index is rebuilt so it holds exactly what the
new function returns.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE OR REPLACE FUNCTION registry.name_grams(t text) RETURNS text[]
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
        DECLARE
          s text := lower(t);
          n int := char_length(s);
          grams text[] := '{}';
        BEGIN
          FOR i IN 1..n LOOP
            grams := grams || substr(s, i, 1);
            IF i < n THEN
              grams := grams || substr(s, i, 2);
            END IF;
          END LOOP;
          RETURN grams;
        END $$""")
    op.execute("REINDEX INDEX registry.ix_entity_name_grams")


def downgrade() -> None:
    op.execute("""
        CREATE OR REPLACE FUNCTION registry.name_grams(t text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
          SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
            SELECT substr(lower(t), i, 1) AS g FROM generate_series(1, char_length(t)) AS i
            UNION ALL
            SELECT substr(lower(t), i, 2) FROM generate_series(1, char_length(t) - 1) AS i
          ) AS grams
        $$""")
    op.execute("REINDEX INDEX registry.ix_entity_name_grams")
