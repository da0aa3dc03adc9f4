"""Changing the supervision rules' parameters and the scoring profile: each change a new version.

Only the programme office (admin) changes them. A change names the version it was made against
(`If-Match`); the active row is locked, the merged parameters are checked by the same constructors
the sweep and the summaries use (so a version that would fail there is refused here, 422), and the
next version replaces it in one transaction. Findings keep the version that produced them; the next
sweep and every summary read after the commit use the new one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.access import Access
from services.scheduler.errors import SchedulerDomainError
from services.scheduler.findings import parameters as p
from services.scheduler.findings.service import rule_binds
from services.scheduler.rounds.summary import scoring_params
from services.scheduler.rounds.summary_schemas import ScoringProfileRead
from services.scheduler.rule_versions.repository import PROFILE, RULE, VersionRepository
from services.scheduler.rule_versions.schemas import RuleUpdate, RuleVersionRead, ScoringProfileUpdate
from shared.audit import AuditLog
from shared.concurrency import stale
from shared.context import RequestContext
from shared.errors import FieldError, Invalid, NotFound

# The rules whose parameters the API checks: every rule the sweep evaluates, and problem escalation.
CHECKED_RULES = frozenset({*p.SWEPT_RULES, p.PROBLEM_ESCALATION})


def _check_rule(code: str, version: int, parameters: Mapping[str, Any], zone: ZoneInfo) -> None:
    """Read `parameters` as the code that uses them does, which raises on what it cannot use."""
    if code == p.PROBLEM_ESCALATION:
        p.escalation_params(version, parameters)
    else:
        rule_binds(code, version, dict(parameters), zone)


PROFILE_CODE = "default"
ReadT = TypeVar("ReadT", bound=BaseModel)


def _check(prefix: str, build: Callable[[], object]) -> None:
    """Run the domain constructor `build`; what it refuses is a 422 naming the field."""
    try:
        build()
    except SchedulerDomainError as exc:
        field = f"{prefix}.{exc.field}" if prefix else exc.field
        raise Invalid(exc.message, code=exc.code, errors=[FieldError(field, exc.message, exc.code)]) from exc
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise Invalid(f"参数无效：{exc}", code="rule_parameters_invalid") from exc


def _merged(current: Mapping[str, Any], changes: Mapping[str, Any], field: str) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(current))
    if unknown:
        errors = [FieldError(f"{field}.{k}", f"未知参数：{k}", "parameter_unknown") for k in unknown]
        raise Invalid("；".join(e.message for e in errors), code="parameter_unknown", errors=errors)
    return {**current, **{k: str(v) if isinstance(v, Decimal) else v for k, v in changes.items()}}


class RuleVersionService:
    def __init__(self, session: AsyncSession, access: Access, audit: AuditLog) -> None:
        self.session = session
        self.access = access
        self.audit = audit
        self.rules = VersionRepository(session, RULE)
        self.profiles = VersionRepository(session, PROFILE)

    async def list_rules(self) -> list[RuleVersionRead]:
        return [RuleVersionRead.model_validate(dict(r)) for r in await self.rules.active()]

    async def rule_versions(self, code: str) -> list[RuleVersionRead]:
        rows = await self.rules.versions(code)
        if not rows:
            raise NotFound("督办规则不存在", code="rule_not_found")
        return [RuleVersionRead.model_validate(dict(r)) for r in rows]

    async def get_rule(self, code: str) -> RuleVersionRead:
        active = [r for r in await self.rules.active() if r["code"] == code]
        if not active:
            raise NotFound("督办规则不存在", code="rule_not_found")
        return RuleVersionRead.model_validate(dict(active[0]))

    async def update_rule(self, ctx: RequestContext, code: str, version: int, body: RuleUpdate) -> RuleVersionRead:
        self.access.require_admin()
        current = await self.rules.lock_active(code)
        if current is None:
            raise NotFound("督办规则不存在", code="rule_not_found")
        if current["version"] != version:
            raise stale(current["version"])
        parameters = _merged(current["parameters"], body.parameters, "parameters")
        if code in CHECKED_RULES:
            _check("parameters", lambda: _check_rule(code, current["version"] + 1, parameters, ctx.zone))
        row = await self.rules.supersede(current, {"parameters": parameters})
        return await self._recorded(ctx, "supervision_rule", current, row, RuleVersionRead)

    async def get_profile(self) -> ScoringProfileRead:
        rows = await self.profiles.versions(PROFILE_CODE)
        active = [r for r in rows if r["active"]]
        if not active:
            raise NotFound("评分方案不存在", code="scoring_profile_not_found")
        return ScoringProfileRead.model_validate(dict(active[0]))

    async def update_profile(self, ctx: RequestContext, version: int, body: ScoringProfileUpdate) -> ScoringProfileRead:
        self.access.require_admin()
        current = await self.profiles.lock_active(PROFILE_CODE)
        if current is None:
            raise NotFound("评分方案不存在", code="scoring_profile_not_found")
        if current["version"] != version:
            raise stale(current["version"])
        values = {
            name: current[name] if (changes := getattr(body, name)) is None else _merged(current[name], changes, name)
            for name in ("weights", "penalties", "cutoffs")
        }
        candidate = {**current, **values, "version": current["version"] + 1}
        _check("", lambda: scoring_params(candidate))
        row = await self.profiles.supersede(current, values)
        return await self._recorded(ctx, "scoring_profile", current, row, ScoringProfileRead)

    async def _recorded(
        self, ctx: RequestContext, resource: str, before: RowMapping, after: RowMapping, read: type[ReadT]
    ) -> ReadT:
        previous, result = read.model_validate(dict(before)), read.model_validate(dict(after))
        await self.audit.record(
            self.session,
            ctx,
            action="update",
            resource_type=resource,
            resource_id=str(after["code"]),
            before=previous.model_dump(mode="json"),
            after=result.model_dump(mode="json"),
        )
        return result
