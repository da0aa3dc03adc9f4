"""HTTP for /projects/{id}/approvals/{kind}: one approval changed, guarded by the project's If-Match."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Path, Response

from services.registry.access import AccessDep
from services.registry.approvals.schemas import ApprovalUpdate
from services.registry.approvals.service import ApprovalService
from shared.app import api_router
from shared.audit import AuditDep
from shared.concurrency import IfMatchDep, set_etag
from shared.context import ContextDep
from shared.db import SessionDep
from shared.schemas.enums import ApprovalKind
from shared.schemas.registry.responses.entities import ProjectRead

router = api_router(tags=["projects"])


async def _service(session: SessionDep, access: AccessDep, audit: AuditDep, ctx: ContextDep) -> ApprovalService:
    return ApprovalService(session, access, audit, ctx.today)


ApprovalServiceDep = Annotated[ApprovalService, Depends(_service)]


@router.patch(
    "/projects/{id}/approvals/{kind}",
    response_model=ProjectRead,
    summary="修改项目的一项审批（核准备案、环评、土地审批）及其承诺时限（需项目的 If-Match）",
    description=(
        "Changes one approval of a project (JSON merge patch: only the fields sent change, `null` clears an "
        "optional one) without resending the list; an approval the project does not have yet is added and "
        "then needs `state`. `If-Match` carries the project's ETag: the project's version goes up, and the "
        "answer is the whole project with its new ETag. An approval still `not_started` or `in_progress` "
        "after its `committed_completion_on` (承诺时限) is flagged `overdue`."
    ),
    responses={
        403: {"description": "无权修改该项目"},
        404: {"description": "项目不存在或不在调用方辖区内"},
        422: {
            "description": "state 为 null 或新增审批缺少 state（approval_state_required）；日期顺序不符"
            "（approval_dates_order、approval_commitment_before_application）；kind 不是审批类别"
        },
    },
)
async def update_project_approval(
    id: uuid.UUID,
    kind: Annotated[ApprovalKind, Path(description="审批类别：approval_filing 核准备案、eia 环评、land 土地审批")],
    body: ApprovalUpdate,
    svc: ApprovalServiceDep,
    ctx: ContextDep,
    version: IfMatchDep,
    response: Response,
) -> Any:
    project = await svc.update(ctx, id, kind, version, body)
    set_etag(response, project.version)  # type: ignore[attr-defined]
    return project
