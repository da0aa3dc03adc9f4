"""Create and update bodies of targets; a target as read is in shared.schemas.registry (progress carries it)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from shared.schemas.common import RequestModel, Text
from shared.schemas.enums import Domain, EntityKind, Level, Tier


class TargetCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "horizon": "2025",
                    "year": 2025,
                    "kind": "enterprise",
                    "level": "city",
                    "tier": "ten_billion",
                    "domain": None,
                    "min_count": 30,
                    "note": "市级百亿级企业目标",
                }
            ]
        },
    )

    horizon: Annotated[str, Field(min_length=1, max_length=40, description="目标期，如 2025、interim-3y")]
    year: Annotated[int, Field(ge=2000, le=2100)]
    kind: EntityKind
    level: Level
    tier: Tier
    domain: Domain | None = Field(default=None, description="领域；为空表示全部领域合计")
    min_count: Annotated[int, Field(ge=0, le=100000)]
    max_count: Annotated[int | None, Field(ge=0, le=100000)] = None
    note: Text = ""

    @model_validator(mode="after")
    def _range(self) -> TargetCreate:
        if self.max_count is not None and self.max_count < self.min_count:
            raise PydanticCustomError("target_range_invalid", "目标上限不能小于下限")
        return self


class TargetUpdate(RequestModel):
    min_count: Annotated[int | None, Field(ge=0, le=100000)] = None
    max_count: Annotated[int | None, Field(ge=0, le=100000)] = None
    note: Text | None = None
