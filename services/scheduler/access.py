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

    problems    read: the caller's region covers the problem's. raise: admin, department, city and
                county operators for a region in their scope. Who acts on one (`actors`): the office
                (admin) may take every part; the raiser is the one who raised it or an operator of the
                raising region; the handler is the level's unit: county and city operators of the
                region at those levels, the assigned department at the department level, the office
                at the leader level. PATCH and DELETE: admin and the raiser.
    findings    read: the caller's region covers the finding's. sweep: admin.
    cases       open from a red finding: admin; the lead department of the finding's entity; a city
                operator for a county finding below it. reply: the responsible unit (an operator of
                the case's region or below, or the responsible department) and admin. review: whoever
                may open it.
    summaries   as rounds: a round's summary is seen by whoever sees its plan.

A record outside the read scope answers 404, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends

from services.scheduler.escalation import Actor, CoordinationLevel
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

    def can_read_region(self, region_code: str) -> bool:
        return self.principal.can_read_region(region_code)

    def require_operator(self, region_code: str) -> None:
        """Raising a problem: a writing role whose region covers `region_code`."""
        p = self.principal
        if p.role in (Role.viewer, Role.service):
            raise Forbidden("当前角色不能提出问题", code="role_read_only")
        if p.role is not Role.admin and not covers(p.region, region_code):
            raise Forbidden("地区不在您的辖区范围内", code="region_out_of_scope")

    def actors(self, problem: Any) -> set[Actor]:
        """The parts the caller may take on `problem` (escalation.Actor)."""
        p = self.principal
        if p.role is Role.admin:
            return {Actor.raiser, Actor.handler, Actor.office}
        found: set[Actor] = set()
        if p.sub == problem["raised_by"] or (
            p.role in (Role.city, Role.county) and p.region == problem["raised_region"]
        ):
            found.add(Actor.raiser)
        level = CoordinationLevel(problem["level"])
        operator = {CoordinationLevel.county: Role.county, CoordinationLevel.city: Role.city}.get(level)
        if operator is not None and p.role is operator and covers(p.region, problem["region_code"]):
            found.add(Actor.handler)
        if (
            level is CoordinationLevel.department
            and p.role is Role.department
            and p.department == problem["assigned_department"]
        ):
            found.add(Actor.handler)
        return found

    def require_raiser(self, problem: Any) -> None:
        if Actor.raiser not in self.actors(problem):
            if self.principal.role in (Role.viewer, Role.service):
                raise Forbidden("当前角色不能修改问题", code="role_read_only")
            raise Forbidden("只有提出问题的单位或工程办公室可以修改该问题", code="problem_not_raiser")

    def require_case_open(self, finding: Any) -> None:
        """Opening or reviewing a case: admin, the entity's lead department, a city over a county finding."""
        p = self.principal
        if p.role is Role.admin:
            return
        if p.role is Role.department and finding["lead_department_code"] == p.department:
            return
        if p.role is Role.city and finding["region_code"] != p.region and covers(p.region, finding["region_code"]):
            return
        raise Forbidden("只有工程办公室、牵头部门或上一级可以督办", code="case_not_allowed")

    def require_case_reply(self, case: Any) -> None:
        p = self.principal
        if p.role is Role.admin:
            return
        if p.role in (Role.city, Role.county) and covers(p.region, case["region_code"]):
            return
        if p.role is Role.department and p.department is not None and p.department == case["responsible_department"]:
            return
        raise Forbidden("只有责任单位可以提交整改反馈", code="case_reply_not_allowed")


async def access(principal: PrincipalDep) -> Access:
    return Access(principal)


AccessDep = Annotated[Access, Depends(access)]
