"""Who may read and write which registry records (API.md, "Who may do what").

Reads follow the caller's region scope; a record outside it is reported as not found. Writes follow
the role: admin everything, department the domains it leads, city/county operators their scope,
viewers nothing, and other services only the calls they need (metrics; a project's stage and approvals).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from services.registry.reference.repository import ReferenceLookups
from shared.auth import Principal, Role
from shared.context import PrincipalDep
from shared.db import SessionDep
from shared.errors import Forbidden
from shared.regions import covers

# What a platform service may change on a project: what its accepted reports say about it.
SERVICE_PROJECT_FIELDS = frozenset({"stage", "approvals"})


@dataclass(frozen=True, slots=True)
class Access:
    principal: Principal
    led_domains: frozenset[str]

    @classmethod
    def reading(cls, principal: Principal) -> Access:
        """Enough to read with: reads go by region scope alone, never by the domains a department leads."""
        return cls(principal, frozenset())

    def can_read(self, region_code: str) -> bool:
        return self.principal.can_read_region(region_code)

    def require_entity_write(self, region_code: str, domain: str) -> None:
        """Raise unless the caller may write an entity in `region_code` and `domain`."""
        p = self.principal
        if p.role is Role.admin:
            return
        if p.role in (Role.viewer, Role.service):
            raise Forbidden("当前角色不能修改名单对象", code="role_read_only")
        if not covers(p.region, region_code):
            raise Forbidden("目标地区不在您的辖区范围内", code="region_out_of_scope")
        if p.role is Role.department and domain not in self.led_domains:
            raise Forbidden("部门只能修改其牵头领域的对象", code="domain_not_led")

    def require_entity_writer(self) -> None:
        """Raise unless the caller's role writes entities somewhere (before any record is looked at)."""
        if self.principal.role in (Role.viewer, Role.service):
            raise Forbidden("当前角色不能修改名单对象", code="role_read_only")

    def require_entity_update(self, region_code: str, domain: str, kind: str, fields: Collection[str]) -> None:
        """`require_entity_write`, except that a platform service may change a project's stage and approvals
        (the scheduler, from accepted reports) and nothing else."""
        if (
            self.principal.role is Role.service
            and kind == "project"
            and fields
            and set(fields) <= SERVICE_PROJECT_FIELDS
        ):
            return
        self.require_entity_write(region_code, domain)

    def require_region_write(self, region_code: str) -> None:
        """Raise unless the caller may write region-scoped reference data (parks, persons, departments)."""
        p = self.principal
        if p.role is Role.admin:
            return
        if p.role not in (Role.city, Role.county, Role.department):
            raise Forbidden("当前角色不能修改该数据", code="role_read_only")
        if not covers(p.region, region_code):
            raise Forbidden("目标地区不在您的辖区范围内", code="region_out_of_scope")


async def access(principal: PrincipalDep, session: SessionDep) -> Access:
    """What the caller may write: a department's token names it by code, and it leads the domains its
    row lists (none if the row is gone)."""
    domains: frozenset[str] = frozenset()
    if principal.role is Role.department and principal.department:
        domains = await ReferenceLookups(session).department_domains(principal.department)
    return Access(principal, domains)


AccessDep = Annotated[Access, Depends(access)]
