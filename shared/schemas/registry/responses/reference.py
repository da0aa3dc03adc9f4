"""Reference data as the registry returns it: regions, departments, parks, responsible persons."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field

from shared.schemas.common import ResponseModel
from shared.schemas.enums import Domain, Level, ParkGrade


class RegionRead(ResponseModel):
    code: str
    name: str
    level: Level
    parent_code: str | None
    county_type: str | None = None


class RegionDetail(RegionRead):
    children: list[RegionRead]


class DepartmentRead(ResponseModel):
    id: uuid.UUID
    code: str
    name: str
    short_name: str
    level: Level
    region_code: str
    domains: list[Domain]
    role_note: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


_IDS_NOTE = "（调用方辖区内，按名称排序，至多 100 个；其余用列表筛选查询 ?park=）"


class ParkRead(ResponseModel):
    id: uuid.UUID
    name: str
    grade: ParkGrade
    five_good: bool
    region_code: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    industry_count: int = Field(default=0, description="成员产业数（调用方辖区内）")
    industry_ids: list[uuid.UUID] = Field(default_factory=list, description="成员产业 ID" + _IDS_NOTE)
    enterprise_count: int = Field(default=0, description="成员企业数（调用方辖区内）")
    enterprise_ids: list[uuid.UUID] = Field(default_factory=list, description="成员企业 ID" + _IDS_NOTE)
    project_count: int = Field(default=0, description="成员项目数（调用方辖区内）")
    project_ids: list[uuid.UUID] = Field(default_factory=list, description="成员项目 ID" + _IDS_NOTE)


class PersonRead(ResponseModel):
    id: uuid.UUID
    name: str
    title: str
    department_id: uuid.UUID | None
    region_code: str
    phone: str | None = Field(description="调用方辖区覆盖该责任人所在地区时完整显示，否则打码")
    email: str | None = Field(description="调用方辖区覆盖该责任人所在地区时完整显示，否则打码")
    masked: bool
    version: int
