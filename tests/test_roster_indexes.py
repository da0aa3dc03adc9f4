"""The roster history keeps one index per entity and date: the state index, read in either direction."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


async def test_roster_adjustment_has_no_second_index_on_entity_date_and_seq(db_connection: AsyncConnection) -> None:
    rows = await db_connection.execute(
        text("SELECT indexname FROM pg_indexes WHERE schemaname = 'registry' AND tablename = 'roster_adjustment'")
    )
    assert sorted(r[0] for r in rows) == [
        "ix_roster_adjustment_state",
        "pk_roster_adjustment",
        "uq_roster_adjustment_seq",
    ]


async def test_an_entitys_history_in_order_is_served_by_the_state_index(db_connection: AsyncConnection) -> None:
    await db_connection.execute(text("SET LOCAL enable_seqscan = off"))
    plan = await db_connection.execute(
        text(
            "EXPLAIN SELECT * FROM registry.roster_adjustment"
            " WHERE entity_id = :id AND effective_on <= DATE '2024-06-01' ORDER BY effective_on, seq"
        ),
        {"id": uuid.uuid4()},
    )
    lines = "\n".join(r[0] for r in plan)
    assert "Index Scan Backward using ix_roster_adjustment_state" in lines, lines
    assert "Sort" not in lines, lines
