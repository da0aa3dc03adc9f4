"""Query parameters of /targets and /progress; unknown ones are a 422, not silently ignored."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.registry.pointintime import KnownAt
from shared.schemas.common import PageParams, RegionCode
from shared.schemas.enums import Domain, EntityKind, Level

Horizon = Annotated[str, Field(min_length=1, max_length=40, description="目标期，如 2025、interim-3y")]


class _TargetFilterFields(BaseModel):
    horizon: Horizon | None = None
    year: int | None = Field(default=None, ge=2000, le=2100)
    kind: EntityKind | None = None
    level: Level | None = None
    domain: Domain | None = Field(default=None, description="领域；不填为全部（含全领域合计目标）")
    sort: str | None = Field(default=None, description="year、created_at、updated_at，前加 - 为倒序；默认 year")


class TargetFilters(PageParams, _TargetFilterFields):
    """Query parameters of the target list."""


class ProgressFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: dt.date | None = Field(
        default=None, description="统计日期：取当日名单状态与该年及以前的最新年度指标；默认今天（北京时间）"
    )
    known_at: KnownAt | None = None
    level: Level | None = None
    region: RegionCode | None = Field(default=None, description="地区，含下级地区（按统计日期的名单地区）")
    domain: Domain | None = None
    chain: uuid.UUID | None = Field(default=None, description="产业链 ID")
    horizon: Horizon | None = Field(default=None, description="对照哪一期目标；不填为全部目标期")
