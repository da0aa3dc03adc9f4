"""Queries over round reminders (提醒). Never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import RowMapping, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.models import RoundReminder, table

RR = table(RoundReminder)

# Each open round's reminder instants that have come and are not yet recorded, with the regions of
# the units still late (pending or returned) at that moment.
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


class ReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def due(self, now: dt.datetime) -> Sequence[RowMapping]:
        return (await self.session.execute(_DUE, {"now": now})).mappings().all()

    async def record(
        self,
        round_id: uuid.UUID,
        remind_at: dt.datetime,
        regions: list[str],
        late_tasks: int,
        now: dt.datetime,
    ) -> int | None:
        """The new reminder row's id; None when another pass recorded this instant first."""
        stmt = (
            insert(RR)
            .values(round_id=round_id, remind_at=remind_at, regions=regions, late_tasks=late_tasks, sent_at=now)
            .on_conflict_do_nothing(index_elements=["round_id", "remind_at"])
            .returning(RR.c.id)
        )
        reminder_id: int | None = await self.session.scalar(stmt)
        return reminder_id
