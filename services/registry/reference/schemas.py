"""Reference data bodies and reads that only the registry uses; those its client sends or returns are shared."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import ConfigDict, Field

from shared.schemas.common import Name, RegionCode, RequestModel, ResponseModel, ShortText, Text
from shared.schemas.enums import Domain


class DepartmentUpdate(RequestModel):
    name: Name | None = None
    short_name: ShortText | None = None
    domains: list[Domain] | None = None
    role_note: Text | None = None


class ChainCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "工程机械",
                    "group_name": "3+3+2:世界级",
                    "leader_name": "（省领导姓名）",
                    "leader_title": "副省长",
                }
            ]
        },
    )

    name: Name
    group_name: ShortText = ""
    leader_name: ShortText | None = Field(default=None, description="联系该产业链的省领导（链长）")
    leader_title: ShortText | None = None
    master_enterprise_id: uuid.UUID | None = Field(default=None, description="链主企业")
    source: Text = ""


class ChainUpdate(RequestModel):
    name: Name | None = None
    group_name: ShortText | None = None
    leader_name: ShortText | None = None
    leader_title: ShortText | None = None
    master_enterprise_id: uuid.UUID | None = None
    source: Text | None = None


_IDS_NOTE = "（调用方辖区内，按名称排序，至多 100 个；其余用列表筛选查询 ?chain=）"


class ChainRead(ResponseModel):
    id: uuid.UUID
    name: str
    group_name: str
    leader_name: str | None
    leader_title: str | None
    master_enterprise_id: uuid.UUID | None
    source: str
    confidence: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    industry_count: int = Field(default=0, description="成员产业数（调用方辖区内）")
    industry_ids: list[uuid.UUID] = Field(default_factory=list, description="成员产业 ID" + _IDS_NOTE)
    enterprise_count: int = Field(default=0, description="成员企业数（调用方辖区内）")
    enterprise_ids: list[uuid.UUID] = Field(default_factory=list, description="成员企业 ID" + _IDS_NOTE)
    project_count: int = Field(default=0, description="成员项目数（调用方辖区内）")
    project_ids: list[uuid.UUID] = Field(default_factory=list, description="成员项目 ID" + _IDS_NOTE)


class PersonCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "张三",
                    "title": "产业科科长",
                    "region_code": "430100",
                    "phone": "0731-88888888",
                    "email": "zhangsan@example.gov.cn",
                }
            ]
        },
    )

    name: Annotated[str, Field(min_length=1, max_length=100)]
    title: ShortText = ""
    department_id: uuid.UUID | None = None
    region_code: RegionCode
    phone: Annotated[str | None, Field(default=None, pattern=r"^[0-9+\-() ]{5,30}$")] = None
    email: Annotated[
        str | None, Field(default=None, max_length=200, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")
    ] = None


class PersonUpdate(RequestModel):
    name: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    title: ShortText | None = None
    department_id: uuid.UUID | None = None
    phone: Annotated[str | None, Field(pattern=r"^[0-9+\-() ]{5,30}$")] = None
    email: Annotated[str | None, Field(max_length=200, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")] = None
