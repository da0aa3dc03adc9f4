"""Reference data: Hunan regions, policy departments, chains and the policy's targets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import csv
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERENCE = Path(__file__).resolve().parents[3] / "services" / "registry" / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def upgrade() -> None:
    conn = op.get_bind()
    for row in _rows("regions.csv"):
        conn.execute(
            sa.text(
                "INSERT INTO registry.region (code, name, level, parent_code, county_type)"
                " VALUES (:code, :name, :level, :parent, :county_type) ON CONFLICT (code) DO NOTHING"
            ),
            {
                "code": row["code"],
                "name": row["name"],
                "level": row["level"],
                "parent": row["parent_code"] or None,
                "county_type": row["county_type"] or None,
            },
        )
    for row in _rows("departments.csv"):
        conn.execute(
            sa.text(
                "INSERT INTO registry.department (code, name, short_name, level, region_code, domains, role_note)"
                " VALUES (:code, :name, :short, 'province', '430000', :domains, :note)"
                " ON CONFLICT (code) DO NOTHING"
            ),
            {
                "code": row["code"],
                "name": row["name"],
                "short": row["short_name"],
                "domains": row["domains"].split(),
                "note": row["role_note"],
            },
        )
    for row in _rows("chains.csv"):
        conn.execute(
            sa.text(
                "INSERT INTO registry.chain (name, group_name, source, confidence)"
                " VALUES (:name, :group, :source, :confidence) ON CONFLICT (name, group_name) DO NOTHING"
            ),
            {"name": row["name"], "group": row["group"], "source": row["source"], "confidence": row["confidence"]},
        )
    if conn.scalar(sa.text("SELECT count(*) FROM registry.target")) == 0:
        for row in _rows("targets.csv"):
            conn.execute(
                sa.text(
                    "INSERT INTO registry.target (horizon, year, kind, level, tier, domain, min_count, max_count,"
                    " note, source) VALUES (:horizon, :year, :kind, :level, :tier, :domain, :min, :max, :note,"
                    " :source)"
                ),
                {
                    "horizon": row["horizon"],
                    "year": int(row["year"]),
                    "kind": row["kind"],
                    "level": row["level"],
                    "tier": row["tier"],
                    "domain": row["domain"] or None,
                    "min": int(row["min_count"]),
                    "max": int(row["max_count"]) if row["max_count"] else None,
                    "note": row["note"],
                    "source": "湘政办发〔2022〕4号 三、总体目标",
                },
            )


def downgrade() -> None:
    op.execute("DELETE FROM registry.target")
    op.execute("DELETE FROM registry.chain")
    op.execute("DELETE FROM registry.department")
    op.execute("DELETE FROM registry.region")
