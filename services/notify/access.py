"""Who may issue, read and sign circulars, and manage subscribers (API.md, "Who may do what").

    issue (create, edit drafts, publish, revoke)   admin and service as any issuer; a lead
                                                   department as its own issuer only
    read a published or revoked circular           admin and service all; others when it is
                                                   addressed to their region, a region above it
                                                   or one below it, or to their department
    read a draft                                   whoever may issue as its issuer
    sign or return for a unit                      admin and service any (a subscriber system's
                                                   `service` token its own units only, see
                                                   receipts.service); city and county operators a
                                                   region they cover; a department its own
    manage a subscriber                            admin any; city, county and department
                                                   operators one owned in their region scope (a
                                                   department also its own department's)

Anything outside what the caller may read answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends

from shared.auth import Principal, Role
from shared.context import PrincipalDep
from shared.errors import Forbidden
from shared.regions import covers, parent_city
from shared.schemas.notify.enums import Issuer, UnitType

# The registry department each issuing department is; the programme office is the admin's alone.
ISSUER_DEPARTMENTS: Mapping[Issuer, str] = {
    Issuer.fgw: "development-reform",
    Issuer.gxt: "industry-it",
    Issuer.nynct: "agriculture-rural",
    Issuer.zjt: "housing-construction",
    Issuer.kjt: "science-technology",
    Issuer.jtt: "transport",
    Issuer.swt: "commerce",
    Issuer.wlt: "culture-tourism",
    Issuer.jrj: "finance-regulation",
}


def ancestors(region: str) -> list[str]:
    """The region itself and the regions above it (its city, the province)."""
    found = [region, parent_city(region), region[:2] + "0000"]
    return list(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class NotifyAccess:
    principal: Principal

    @property
    def reads_everything(self) -> bool:
        return self.principal.reads_all_regions

    def may_issue(self, issuer: Issuer) -> bool:
        p = self.principal
        if p.role in (Role.admin, Role.service):
            return True
        return p.role is Role.department and ISSUER_DEPARTMENTS.get(issuer) == p.department

    def require_issue(self, issuer: Issuer) -> None:
        p = self.principal
        if p.role in (Role.admin, Role.service):
            return
        if p.role is not Role.department:
            raise Forbidden("当前角色不能发文", code="role_cannot_issue")
        if ISSUER_DEPARTMENTS.get(issuer) != p.department:
            raise Forbidden("部门只能以本部门名义发文", code="issuer_not_own")

    def require_audience(self, regions: Sequence[str]) -> None:
        """An issuer below the province (a city's department) addresses only regions within its own
        region; admin and service callers address any."""
        p = self.principal
        if p.role in (Role.admin, Role.service):
            return
        outside = [r for r in regions if not covers(p.region, r)]
        if outside:
            raise Forbidden(f"受文地区 {'、'.join(outside)} 不在您的辖区范围内", code="audience_out_of_scope")

    def own_issuers(self) -> list[str]:
        """Issuers whose drafts the caller sees (all of them for admin and service)."""
        return [issuer.value for issuer in Issuer if self.may_issue(issuer)]

    def addressed(self, regions: Sequence[str], departments: Sequence[str]) -> bool:
        """Whether an audience of `regions` and `departments` reaches the caller's scope."""
        if self.reads_everything:
            return True
        p = self.principal
        mine = ancestors(p.region)
        if any(r in mine or covers(p.region, r) for r in regions):
            return True
        return p.department is not None and p.department in departments

    def can_read_circular(self, row: Any) -> bool:
        if row["status"] == "draft":
            return self.may_issue(Issuer(row["issuer"]))
        return self.addressed(row["audience_regions"], row["audience_departments"])

    def can_act_for(self, unit_type: UnitType, unit_code: str) -> bool:
        p = self.principal
        if p.role in (Role.admin, Role.service):
            return True
        if unit_type is UnitType.region:
            return p.role in (Role.city, Role.county) and covers(p.region, unit_code)
        return p.role is Role.department and p.department == unit_code

    def can_read_subscriber(self, region_code: str, department: str | None) -> bool:
        p = self.principal
        if self.reads_everything:
            return True
        return covers(p.region, region_code) or (department is not None and department == p.department)

    def require_subscriber_write(self, region_code: str, department: str | None) -> None:
        p = self.principal
        if p.role is Role.admin:
            return
        if p.role not in (Role.city, Role.county, Role.department):
            raise Forbidden("当前角色不能管理接收系统", code="role_read_only")
        if p.role is Role.department and department is not None and department != p.department:
            raise Forbidden("部门只能管理本部门的接收系统", code="department_not_own")
        if not covers(p.region, region_code):
            raise Forbidden("接收系统所属地区不在您的辖区范围内", code="region_out_of_scope")


async def notify_access(principal: PrincipalDep) -> NotifyAccess:
    return NotifyAccess(principal)


AccessDep = Annotated[NotifyAccess, Depends(notify_access)]
