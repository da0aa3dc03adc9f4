"""Queries over findings: the sweep's set-wise statements, the red findings still to notify, lists.
Returns rows or None; never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, Select, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.circulars.compose import NOTIFY, REQUEST_CIRCULAR
from services.scheduler.findings.sweep_sql import RED_LETTERS, evaluation, sweep
from services.scheduler.models import Finding, table
from services.scheduler.rules import Colour
from shared.pagination import PageRequest, Sorting
from shared.regions import code_range

F = table(Finding)
SORTING = Sorting(
    columns={"created_at": F.c.created_at, "updated_at": F.c.updated_at},
    tiebreak=F.c.id,
    default="-updated_at",
)
# One sweep at a time across replicas: a second finds the lock taken and skips its turn.
SWEEP_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtext('scheduler.finding_sweep'))")
# For the sweep's transaction only: its rules sort and hash every accepted report (hundreds of thousands
# of rows), which spill to disk in the default 4 MB; and each statement is run once per pass, so the
# JIT compilation its cost estimate would trigger (0.36 s measured for one) is never paid back.
SWEEP_SETTINGS = (text("SET LOCAL work_mem = '64MB'"), text("SET LOCAL jit = off"))


class FindingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def try_lock_sweep(self) -> bool:
        """The sweep's lock and settings, for the rest of the transaction; False if another holds the lock."""
        if not await self.session.scalar(SWEEP_LOCK):
            return False
        for setting in SWEEP_SETTINGS:
            await self.session.execute(setting)
        return True

    async def sweep(self, rule: str, version: int, binds: dict[str, Any], now: dt.datetime) -> tuple[int, int]:
        """One rule's sweep statement: (findings upserted, findings stepped down or resolved)."""
        row = (
            await self.session.execute(sweep(rule), {"rule": rule, "rule_version": version, "now": now, **binds})
        ).one()
        return int(row.upserted), int(row.cleared)

    async def evaluate(self, rule: str, binds: dict[str, Any], now: dt.datetime) -> Sequence[RowMapping]:
        """The rule's evaluation of every candidate, without writing anything (tests, explanations)."""
        return (await self.session.execute(evaluation(rule), {"now": now, **binds})).mappings().all()

    async def queue_red_letters(self, now: dt.datetime) -> int:
        """A supervision letter in the outbox for every red finding not yet notified, each then `notified`;
        how many. Findings another transaction holds are left to the next sweep."""
        params = {"peer": NOTIFY, "operation": REQUEST_CIRCULAR, "red_label": Colour.red.label, "now": now}
        return int((await self.session.execute(RED_LETTERS, params)).scalar_one())

    async def get(self, finding_id: uuid.UUID, *, lock: bool = False) -> RowMapping | None:
        stmt = select(F).where(F.c.id == finding_id)
        if lock:
            stmt = stmt.with_for_update()
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row

    async def set_state(self, finding_id: uuid.UUID, state: str, now: dt.datetime) -> None:
        values: dict[str, Any] = {"state": state, "version": F.c.version + 1, "updated_at": func.now()}
        if state == "resolved":
            values["resolved_at"] = now
        await self.session.execute(update(F).where(F.c.id == finding_id).values(**values))

    async def list(
        self,
        page: PageRequest,
        *,
        colour: str | None,
        rule: str | None,
        region: str | None,
        kind: str | None,
        state: str | None,
        round_id: uuid.UUID | None,
        scope: str | None,
    ) -> tuple[Sequence[RowMapping], str]:
        stmt: Select[Any] = select(F)
        for column, value in (
            (F.c.colour, colour),
            (F.c.rule_code, rule),
            (F.c.entity_kind, kind),
            (F.c.state, state),
            (F.c.round_id, round_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        for code in (region, scope):
            if code is not None:
                stmt = stmt.where(F.c.region_code.between(*code_range(code)))
        stmt, key, _ = SORTING.apply(stmt, page)
        return (await self.session.execute(stmt)).mappings().all(), key
