"""Reference data a peer creates or changes through the registry's client: departments and parks."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from shared.schemas.common import Name, RegionCode, RequestModel, ShortText, Text, check_level_region
from shared.schemas.enums import Domain, Level, ParkGrade


class DepartmentCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "changsha-industry-it",
                    "name": "长沙市工业和信息化局",
                    "short_name": "市工信局",
                    "level": "city",
                    "region_code": "430100",
                    "domains": ["industry_it"],
                }
            ]
        },
    )

    code: Annotated[
        str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$", description="部门代码（令牌 department 声明的取值）")
    ]
    name: Name
    short_name: ShortText = ""
    level: Level
    region_code: RegionCode
    domains: list[Domain] = Field(default_factory=list, description="牵头负责的领域")
    role_note: Text = ""

    @field_validator("region_code")
    @classmethod
    def _level_matches_region(cls, value: str, info: ValidationInfo) -> str:
        return check_level_region(value, info)


class ParkCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "长沙经济技术开发区", "grade": "national", "five_good": True, "region_code": "430121"}
            ]
        },
    )

    name: Name
    grade: ParkGrade
    five_good: bool = Field(default=False, description="是否获评“五好”园区")
    region_code: RegionCode


class ParkUpdate(RequestModel):
    name: Name | None = None
    grade: ParkGrade | None = None
    five_good: bool | None = None
