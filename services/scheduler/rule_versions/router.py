"""HTTP for /supervision-rules and /scoring-profile: the parameters supervision and scoring run on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Response

from services.scheduler.access import AccessDep
from services.scheduler.rounds.summary_schemas import ScoringProfileRead
from services.scheduler.rule_versions.schemas import RuleUpdate, RuleVersionRead, ScoringProfileUpdate
from services.scheduler.rule_versions.service import RuleVersionService
from shared.app import api_router
from shared.audit import AuditDep
from shared.concurrency import IfMatchDep, set_etag
from shared.context import ContextDep
from shared.db import SessionDep
from shared.schemas.common import Page

router = api_router(tags=["supervision-rules"])
RuleCode = Annotated[str, Path(max_length=40, pattern=r"^[a-z][a-z0-9_]*$", description="规则代码")]


async def _service(session: SessionDep, access: AccessDep, audit: AuditDep) -> RuleVersionService:
    return RuleVersionService(session, access, audit)


RuleVersionServiceDep = Annotated[RuleVersionService, Depends(_service)]


@router.get("/supervision-rules", response_model=Page[RuleVersionRead], summary="督办规则：各规则当前生效的参数版本")
async def list_supervision_rules(svc: RuleVersionServiceDep) -> Page[RuleVersionRead]:
    return Page(items=await svc.list_rules(), next_cursor=None)


@router.get("/supervision-rules/{code}", response_model=RuleVersionRead, summary="一条督办规则当前生效的参数")
async def get_supervision_rule(code: RuleCode, svc: RuleVersionServiceDep, response: Response) -> RuleVersionRead:
    rule = await svc.get_rule(code)
    set_etag(response, rule.version)
    return rule


@router.get(
    "/supervision-rules/{code}/versions",
    response_model=Page[RuleVersionRead],
    summary="一条督办规则的全部参数版本（新的在前）",
)
async def list_supervision_rule_versions(code: RuleCode, svc: RuleVersionServiceDep) -> Page[RuleVersionRead]:
    return Page(items=await svc.rule_versions(code), next_cursor=None)


@router.patch(
    "/supervision-rules/{code}",
    response_model=RuleVersionRead,
    summary="修改督办规则参数（仅管理员；需 If-Match；生成新版本，下一次巡查起生效）",
    description=(
        "Merges the parameters sent into the active version's and writes them as the next version, checked "
        "as the sweep reads them (a contradictory ladder is 422 `rule_parameters_invalid`, an unknown "
        "parameter 422 `parameter_unknown`). Findings keep the version that produced them."
    ),
)
async def update_supervision_rule(
    code: RuleCode,
    body: RuleUpdate,
    svc: RuleVersionServiceDep,
    ctx: ContextDep,
    version: IfMatchDep,
    response: Response,
) -> RuleVersionRead:
    rule = await svc.update_rule(ctx, code, version, body)
    set_etag(response, rule.version)
    return rule


@router.get("/scoring-profile", response_model=ScoringProfileRead, summary="轮次评分方案（权重、扣分、等级分数线）")
async def get_scoring_profile(svc: RuleVersionServiceDep, response: Response) -> ScoringProfileRead:
    profile = await svc.get_profile()
    set_etag(response, profile.version)
    return profile


@router.patch(
    "/scoring-profile",
    response_model=ScoringProfileRead,
    summary="修改轮次评分方案（仅管理员；需 If-Match；生成新版本，此后的汇总按新方案评分）",
)
async def update_scoring_profile(
    body: ScoringProfileUpdate, svc: RuleVersionServiceDep, ctx: ContextDep, version: IfMatchDep, response: Response
) -> ScoringProfileRead:
    profile = await svc.update_profile(ctx, version, body)
    set_etag(response, profile.version)
    return profile
