"""Reminders (提醒) before a round's deadline, to the units still late, through notify.

Each of a round's reminder instants that has come is handled once: a `round_reminder` row (UNIQUE on
round and instant) records it with the late units, and, while the deadline is still ahead and some
unit is late, a reminder circular is queued with key `scheduler:reminder:<row id>` in the same
transaction. A reminder instant found after the deadline is recorded without a circular.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.circulars.compose import enqueue, reminder
from services.scheduler.models import RoundReminder, table
from shared.outbox import Outbox

RR = table(RoundReminder)

_DUE = text("""
SELECT r.id, r.period_key, r.due_at, rem.at AS remind_at,
       coalesce(array_agg(DISTINCT t.region_code ORDER BY t.region_code)
                FILTER (WHERE t.id IS NOT NULL), '{}') AS regions,
       count(t.id) AS late
FROM scheduler.round r
CROSS JOIN LATERAL (SELECT CAST(x AS timestamptz) AS at FROM jsonb_array_elements_text(r.reminders) x) rem
LEFT JOIN scheduler.report_task t ON t.round_id = r.id AND t.state IN ('pending', 'returned')
WHERE r.state = 'open' AND rem.at <= CAST(:now AS timestamptz)
  AND NOT EXISTS (SELECT 1 FROM scheduler.round_reminder rr WHERE rr.round_id = r.id AND rr.remind_at = rem.at)
GROUP BY r.id, r.period_key, r.due_at, rem.at
ORDER BY rem.at, r.id
""")


async def send_due_reminders(session: AsyncSession, outbox: Outbox, now: dt.datetime) -> int:
    """Reminder circulars queued on this pass."""
    sent = 0
    for due in (await session.execute(_DUE, {"now": now})).mappings().all():
        regions = list(due["regions"])
        stmt = (
            insert(RR)
            .values(
                round_id=due["id"], remind_at=due["remind_at"], regions=regions, late_tasks=due["late"], sent_at=now
            )
            .on_conflict_do_nothing(index_elements=["round_id", "remind_at"])
            .returning(RR.c.id)
        )
        reminder_id = await session.scalar(stmt)
        if reminder_id is None or not regions or due["due_at"] <= now:
            continue
        key, request = reminder(due, reminder_id, regions, due["late"])
        await enqueue(session, outbox, key, request)
        sent += 1
    return sent
