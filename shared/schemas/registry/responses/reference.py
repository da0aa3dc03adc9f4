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


class ParkRead(ResponseModel):
    id: uuid.UUID
    name: str
    grade: ParkGrade
    five_good: bool
    region_code: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


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
