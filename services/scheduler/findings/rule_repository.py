"""The active supervision rules and scoring profile. Returns rows or None; never commits."""

from __future__ import annotations

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.escalation import EscalationParams
from services.scheduler.findings.parameters import PROBLEM_ESCALATION, escalation_params
from services.scheduler.models import ScoringProfile, SupervisionRule, table

RULE = table(SupervisionRule)
PROFILE = table(ScoringProfile)


class RuleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active(self) -> dict[str, RowMapping]:
        """Each rule code's active version."""
        rows = (await self.session.execute(select(RULE).where(RULE.c.active))).mappings().all()
        return {row["code"]: row for row in rows}

    async def escalation(self) -> EscalationParams:
        """The problem escalation parameters in force (the seeded defaults unless an admin changed them)."""
        row = (await self.active()).get(PROBLEM_ESCALATION)
        return escalation_params(row["version"], row["parameters"]) if row is not None else EscalationParams()

    async def scoring_profile(self) -> RowMapping | None:
        stmt = select(PROFILE).where(PROFILE.c.active, PROFILE.c.code == "default")
        row: RowMapping | None = (await self.session.execute(stmt)).mappings().first()
        return row
