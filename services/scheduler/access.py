"""Who may read and write which scheduler records (API.md, "Who may do what").

    plans       read: a plan whose region and the caller's overlap (one covers the other), so a county
                operator sees the provincial plans that ask it for reports; admin and service every plan.
                write: admin; a department its own plans (`owner_department`) in its region; city and
                county operators the plans of their region and below; viewer and service never.
    calendar    read: everyone; write: admin.
    backfill    admin only (opening a past period by hand).
    tasks       read: the caller's region covers the entity's (admin and service every task).
                submit: admin; city and county operators in scope; a department for the entities it
                leads. review: admin; the lead department; a city operator for county entities below it.

A record outside the read scope answers 404, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends

from shared.auth import Principal, Role
from shared.context import PrincipalDep
from shared.errors import Forbidden
from shared.regions import covers
from shared.schemas.enums import Level


@dataclass(frozen=True, slots=True)
class Access:
    principal: Principal

    def can_see_plan(self, region_code: str) -> bool:
        p = self.principal
        return p.reads_all_regions or covers(p.region, region_code) or covers(region_code, p.region)

    def require_plan_write(self, region_code: str, owner_department: str) -> None:
        p = self.principal
        if p.role is Role.admin:
            return
        if p.role in (Role.viewer, Role.service):
            raise Forbidden("当前角色不能管理调度计划", code="role_read_only")
        if not covers(p.region, region_code):
            raise Forbidden("计划所属地区不在您的辖区范围内", code="region_out_of_scope")
        if p.role is Role.department and owner_department != p.department:
            raise Forbidden("部门只能管理本部门的调度计划", code="plan_not_owned")

    def require_admin(self) -> None:
        self.principal.require_admin()

    def can_read_task(self, task: Any) -> bool:
        return self.principal.can_read_region(task["region_code"])

    def require_submit(self, task: Any) -> None:
        p = self.principal
        if p.role in (Role.admin, Role.city, Role.county):
            return
        if p.role is Role.department and task["lead_department_code"] == p.department:
            return
        if p.role is Role.department:
            raise Forbidden("部门只能报送其牵头的对象", code="task_not_led")
        raise Forbidden("当前角色不能报送", code="role_read_only")

    def require_review(self, task: Any) -> None:
        p = self.principal
        if p.role is Role.admin:
            return
        if p.role is Role.department and task["lead_department_code"] == p.department:
            return
        if p.role is Role.city and task["level"] == Level.county.value and covers(p.region, task["region_code"]):
            return
        raise Forbidden("只有上一级或牵头部门可以审核该报送", code="review_not_allowed")


async def access(principal: PrincipalDep) -> Access:
    return Access(principal)


AccessDep = Annotated[Access, Depends(access)]
