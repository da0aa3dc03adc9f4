"""Reference data as declared resources: one generic CRUD serves departments, chains, parks, persons."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import FromClause, RowMapping, Table

from services.registry.access import Access
from services.registry.entities.links import join_all, member_links
from services.registry.models import Chain, Department, Park, Person, entity_chain, entity_park, table
from services.registry.reference.repository import ReferenceLookups
from services.registry.reference.schemas import (
    ChainCreate,
    ChainRead,
    ChainUpdate,
    DepartmentUpdate,
    PersonCreate,
    PersonUpdate,
)
from shared.errors import Invalid
from shared.regions import covers
from shared.schemas.common import PageParams, RegionCode
from shared.schemas.enums import Level, ParkGrade
from shared.schemas.registry.actions.reference import DepartmentCreate, ParkCreate, ParkUpdate
from shared.schemas.registry.responses.reference import DepartmentRead, ParkRead, PersonRead

Check = Callable[[ReferenceLookups, Mapping[str, Any]], Awaitable[None]]


class _SearchFields(BaseModel):
    q: str | None = Field(default=None, max_length=100, description="名称包含的文字")
    sort: str | None = Field(default=None, description="排序字段，前加 - 为倒序")


class _Filters(PageParams, _SearchFields):
    """Query parameters every reference list takes; each resource's list adds its own after them."""


class DepartmentFilters(_Filters):
    level: Level | None = None
    region: RegionCode | None = Field(default=None, description="含下级地区")


class ChainFilters(_Filters):
    group_name: str | None = Field(default=None, max_length=200)


class ParkFilters(_Filters):
    grade: ParkGrade | None = None
    five_good: bool | None = None
    region: RegionCode | None = Field(default=None, description="含下级地区")


class PersonFilters(_Filters):
    department_id: uuid.UUID | None = None
    region: RegionCode | None = Field(default=None, description="含下级地区")


@dataclass(frozen=True)
class ReferenceResource:
    path: str  # plural, kebab-case: "parks"
    resource_type: str  # singular, for audit and feed: "park"
    label: str  # Chinese, for messages: "园区"
    table: Table
    create: type[BaseModel]
    update: type[BaseModel]
    read: type[BaseModel]
    unique: tuple[tuple[str, ...], ...]  # unique keys: a clash is a 409 naming the existing record
    filters: type[_Filters]
    sort_columns: tuple[str, ...] = ("name", "created_at", "updated_at")
    admin_only: bool = False  # otherwise region-scoped writers (city/county/department) may write
    # Seen only by callers whose read scope covers the record's region (404 by id otherwise); the rest
    # is province-wide reference data every caller reads.
    scoped: bool = False
    checks: tuple[Check, ...] = ()
    to_read: Callable[[Mapping[Any, Any], Access], BaseModel] | None = None
    # The link table through which entities name the record (their count and ids by kind are read with it,
    # `entities.links`), and its column holding the record's id.
    member_link: Table | None = None
    member_column: str = ""
    # Columns read beside the record's own: its members per kind, within the scope bound at execution.
    # What a read selects from: the table, joined to its members' LATERAL aggregates when it has any.
    read_source: FromClause = field(init=False)
    member_columns: tuple[Any, ...] = field(init=False)

    def __post_init__(self) -> None:
        source: FromClause = self.table
        columns: list[Any] = []
        if self.member_link is not None:
            link = self.member_link
            source, columns = join_all(source, member_links(link, link.c[self.member_column], self.table.c.id))
        object.__setattr__(self, "read_source", source)
        object.__setattr__(self, "member_columns", tuple(columns))

    def render(self, row: RowMapping, access: Access) -> BaseModel:
        if self.to_read is not None:
            return self.to_read(row, access)
        return self.read.model_validate(dict(row))


async def region_exists(lookups: ReferenceLookups, values: Mapping[str, Any]) -> None:
    code = values.get("region_code")
    if code is not None and not await lookups.region_exists(code):
        raise Invalid.field("region_code", f"行政区划代码 {code} 不是湖南省的有效代码", "region_unknown")


async def department_exists(lookups: ReferenceLookups, values: Mapping[str, Any]) -> None:
    dept = values.get("department_id")
    if dept is not None and not await lookups.department_exists(dept):
        raise Invalid.field("department_id", "部门不存在", "department_unknown")


async def master_enterprise_exists(lookups: ReferenceLookups, values: Mapping[str, Any]) -> None:
    ent = values.get("master_enterprise_id")
    if ent is not None and not await lookups.enterprise_exists(ent):
        raise Invalid.field("master_enterprise_id", "链主企业不存在", "enterprise_unknown")


def _mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    digits = phone.strip()
    return digits[:3] + "*" * max(len(digits) - 7, 1) + digits[-4:] if len(digits) > 7 else "*" * len(digits)


def _mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def person_values(row: Mapping[Any, Any], access: Access) -> dict[str, Any]:
    """A person as `PersonRead` shows them, field for field: contact details in full only to callers
    whose scope covers the person's region."""
    full = access.principal.is_admin or covers(access.principal.region, row["region_code"])
    return {
        "id": row["id"],
        "name": row["name"],
        "title": row["title"],
        "department_id": row["department_id"],
        "region_code": row["region_code"],
        "phone": row["phone"] if full else _mask_phone(row["phone"]),
        "email": row["email"] if full else _mask_email(row["email"]),
        "masked": not full,
        "version": row["version"],
    }


def person_read(row: Mapping[Any, Any], access: Access) -> BaseModel:
    return PersonRead.model_validate(person_values(row, access))


DEPARTMENTS = ReferenceResource(
    path="departments",
    resource_type="department",
    label="部门",
    table=table(Department),
    create=DepartmentCreate,
    update=DepartmentUpdate,
    read=DepartmentRead,
    unique=(("code",), ("name",)),
    filters=DepartmentFilters,
    checks=(region_exists,),
)
CHAINS = ReferenceResource(
    path="chains",
    resource_type="chain",
    label="产业链",
    table=table(Chain),
    create=ChainCreate,
    update=ChainUpdate,
    read=ChainRead,
    unique=(("name", "group_name"),),
    filters=ChainFilters,
    admin_only=True,
    checks=(master_enterprise_exists,),
    member_link=entity_chain,
    member_column="chain_id",
)
PARKS = ReferenceResource(
    path="parks",
    resource_type="park",
    label="园区",
    table=table(Park),
    create=ParkCreate,
    update=ParkUpdate,
    read=ParkRead,
    unique=(("name",),),
    filters=ParkFilters,
    checks=(region_exists,),
    scoped=True,
    member_link=entity_park,
    member_column="park_id",
)
PERSONS = ReferenceResource(
    path="persons",
    resource_type="person",
    label="责任人",
    table=table(Person),
    create=PersonCreate,
    update=PersonUpdate,
    read=PersonRead,
    unique=(),
    filters=PersonFilters,
    checks=(region_exists, department_exists),
    to_read=person_read,
    scoped=True,
)

RESOURCES = (DEPARTMENTS, CHAINS, PARKS, PERSONS)
