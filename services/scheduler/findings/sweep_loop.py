"""The supervision loop: each tick reads back from notify the receipts of the scheduler's circulars still
unsigned, sweeps the rules, sends due reminders and escalates cases past their reply deadline, each
write step in its own transaction with the outbox messages it causes."""

from __future__ import annotations

import datetime as dt

from services.scheduler.cases.service import escalate_overdue_cases
from services.scheduler.circulars.receipts import refresh_unsigned_receipts
from services.scheduler.findings.service import Sweep
from services.scheduler.peers import Peers
from services.scheduler.rounds.reminders import send_due_reminders
from shared.loops import Clock, LoopService, utc_now
from shared.outbox import Outbox


class SupervisionSweep(LoopService):
    name = "supervision-sweep"

    def __init__(self, outbox: Outbox, peers: Peers, *, interval_s: float, clock: Clock = utc_now) -> None:
        super().__init__(clock=clock)
        self.outbox = outbox
        self.peers = peers
        self.interval_s = interval_s

    async def run_once(self, now: dt.datetime) -> int:
        """Findings upserted or cleared, reminders sent and cases escalated, in all."""
        platform = self.platform
        handled = 0
        await refresh_unsigned_receipts(platform.sessionmaker, self.peers.notify, now)
        async with platform.sessionmaker.begin() as session:
            swept = await Sweep(session, platform.zone).run(now)
            if swept is not None:
                handled += sum(r.upserted + r.cleared for r in swept.rules)
        async with platform.sessionmaker.begin() as session:
            handled += await send_due_reminders(session, self.outbox, now)
        async with platform.sessionmaker.begin() as session:
            handled += await escalate_overdue_cases(session, platform.audit, now, platform.zone)
        return handled
