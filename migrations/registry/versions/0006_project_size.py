"""A project's total investment as its size on the entity row, so current progress is one scan of `entity`.

Industries and enterprises already carry their latest annual size there (0004). Projects are sized by
`project.total_investment`; the copy is `size_metric = 'total_investment'`, `size_year` null and
`size_value` the investment. Two statement-level triggers on `project` (after INSERT, after UPDATE; a
trigger with transition tables takes one event) rewrite the copy for every project row whose entity
does not already hold it, whichever path wrote the row. Writers that can put the value on the entity
row themselves (the bulk import) do, and the trigger then writes nothing: a second version of a row
just inserted would update every index of `entity` again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION registry.project_size() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE registry.entity AS e
             SET size_metric = 'total_investment', size_year = NULL, size_value = p.total_investment
            FROM project_rows AS p
           WHERE e.id = p.entity_id
             AND (e.size_metric, e.size_year, e.size_value)
                 IS DISTINCT FROM ('total_investment', NULL::smallint, p.total_investment);
          RETURN NULL;
        END $$""")
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER project_size_after_{event.lower()} AFTER {event} ON registry.project"
            " REFERENCING NEW TABLE AS project_rows FOR EACH STATEMENT EXECUTE FUNCTION registry.project_size()"
        )
    op.execute("""
        UPDATE registry.entity AS e
           SET size_metric = 'total_investment', size_year = NULL, size_value = p.total_investment
          FROM registry.project AS p
         WHERE p.entity_id = e.id""")


def downgrade() -> None:
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER project_size_after_{event} ON registry.project")
    op.execute("DROP FUNCTION registry.project_size()")
    op.execute(
        "UPDATE registry.entity SET size_metric = NULL, size_year = NULL, size_value = NULL WHERE kind = 'project'"
    )
