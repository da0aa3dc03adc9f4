"""Reminders (提醒) before a round's deadline, to the units still late, through notify.

Each of a round's reminder instants that has come is handled once: a `round_reminder` row (UNIQUE on
round and instant) records it with the late units, and, while the deadline is still ahead and some
unit is late, a reminder circular is queued with key `scheduler:reminder:<row id>` in the same
transaction. A reminder instant found after the deadline is recorded without a circular.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.circulars.compose import enqueue, reminder
from services.scheduler.rounds.reminder_repository import ReminderRepository
from shared.outbox import Outbox


async def send_due_reminders(session: AsyncSession, outbox: Outbox, now: dt.datetime) -> int:
    """Reminder circulars queued on this pass."""
    sent = 0
    repo = ReminderRepository(session)
    for due in await repo.due(now):
        regions = list(due["regions"])
        reminder_id = await repo.record(due["id"], due["remind_at"], regions, due["late"], now)
        if reminder_id is None or not regions or due["due_at"] <= now:
            continue
        key, request = reminder(due, reminder_id, regions, due["late"])
        await enqueue(session, outbox, key, request)
        sent += 1
    return sent
