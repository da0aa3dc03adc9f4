"""Queries over the circulars the scheduler requested and the receipts of them notify reports unsigned.
Never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schemas.notify.responses.circulars import UnsignedReceiptRead

# The circulars notify issued at the scheduler's request: each delivered `request_circular` message
# keeps notify's answer, whose `id` is the circular's. A letter about an unsigned circular (the
# circular_unsigned rule's own red finding) is left out, so no letter is ever sent about a letter.
REQUESTED = """
SELECT CASE WHEN o.response ->> 'id' ~ '^[0-9a-fA-F-]{36}$' THEN CAST(o.response ->> 'id' AS uuid) END
FROM scheduler.outbox_message o
WHERE o.peer = :peer AND o.operation = :operation AND o.delivered_at IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM scheduler.finding f
      WHERE o.payload -> 'source' ->> 'type' = 'finding' AND f.id::text = o.payload -> 'source' ->> 'id'
        AND f.rule_code = 'circular_unsigned')
"""

ANY_REQUESTED = text(f"SELECT EXISTS ({REQUESTED})")

# Two statements, not two CTEs of one: sibling CTEs see the same snapshot, so an insert would still
# find the rows its sibling deletes.
CLEAR = text("DELETE FROM scheduler.unsigned_receipt")
INSERT = text(f"""
WITH kept AS (
INSERT INTO scheduler.unsigned_receipt
    (circular_id, unit_type, unit_code, title, document_number, published_at, fetched_at)
SELECT u.circular_id, u.unit_type, u.unit_code, u.title, u.document_number, u.published_at, CAST(:now AS timestamptz)
FROM unnest(CAST(:circular_ids AS uuid[]), CAST(:unit_types AS text[]), CAST(:unit_codes AS text[]),
            CAST(:titles AS text[]), CAST(:numbers AS text[]), CAST(:published AS timestamptz[]))
     AS u(circular_id, unit_type, unit_code, title, document_number, published_at)
WHERE u.circular_id IN ({REQUESTED})
ON CONFLICT DO NOTHING
RETURNING 1
)
SELECT count(*) FROM kept
""")  # noqa: S608 - this module's constants only


class ReceiptRepository:
    def __init__(self, session: AsyncSession, *, peer: str, operation: str) -> None:
        self.session = session
        self.request = {"peer": peer, "operation": operation}

    async def any_requested(self) -> bool:
        """Whether notify has issued any circular the scheduler asked for (else there is nothing to read)."""
        return bool(await self.session.scalar(ANY_REQUESTED, self.request))

    async def replace_unsigned(self, receipts: Sequence[UnsignedReceiptRead], now: dt.datetime) -> int:
        """Make the stored set the given receipts of the scheduler's own circulars; how many are kept."""
        params = self.request | {
            "now": now,
            "circular_ids": [r.circular_id for r in receipts],
            "unit_types": [r.unit_type.value for r in receipts],
            "unit_codes": [r.unit_code for r in receipts],
            "titles": [r.title for r in receipts],
            "numbers": [r.document_number for r in receipts],
            "published": [r.published_at for r in receipts],
        }
        await self.session.execute(CLEAR)
        return int((await self.session.execute(INSERT, params)).scalar_one())
