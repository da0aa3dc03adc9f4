"""The queries behind a round's summary: its tasks and its findings, aggregated by region. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncSession

_TASKS = text("""
SELECT t.region_code,
       max(t.facts ->> 'region_name') AS region_name,
       max(t.facts ->> 'city_name') AS city_name,
       count(*) AS expected,
       count(*) FILTER (WHERE t.state IN ('submitted', 'resubmitted', 'accepted')) AS submitted,
       count(*) FILTER (WHERE t.state IN ('submitted', 'resubmitted', 'accepted') AND first.submitted_at <= t.due_at)
           AS on_time,
       coalesce(sum((t.facts -> 'annual_plans' ->> CAST(:year AS text))::numeric)
                FILTER (WHERE t.entity_kind = 'project'), 0) AS investment_planned,
       coalesce(sum((t.figures ->> 'investment_ytd')::numeric)
                FILTER (WHERE t.entity_kind = 'project' AND t.state = 'accepted'), 0) AS investment_completed
FROM scheduler.report_task t
LEFT JOIN scheduler.report_submission first ON first.task_id = t.id AND first.seq = 1
WHERE t.round_id = :round_id AND t.state <> 'withdrawn'
GROUP BY t.region_code
ORDER BY t.region_code
""")

_FINDINGS = text("""
SELECT region_code, colour, count(*) AS n
FROM scheduler.finding
WHERE round_id = :round_id AND state <> 'resolved'
GROUP BY region_code, colour
""")


class SummaryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_region(self, round_id: uuid.UUID, year: int) -> Sequence[RowMapping]:
        return (await self.session.execute(_TASKS, {"round_id": round_id, "year": str(year)})).mappings().all()

    async def findings(self, round_id: uuid.UUID) -> Sequence[RowMapping]:
        return (await self.session.execute(_FINDINGS, {"round_id": round_id})).mappings().all()
