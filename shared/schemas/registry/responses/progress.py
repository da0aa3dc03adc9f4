"""Progress against the programme's targets: counts by tier, echelon and growth band, and each target's gap."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import Field

from shared.schemas.common import ResponseModel
from shared.schemas.enums import Domain, EntityKind, Level, Tier


class TargetRead(ResponseModel):
    id: uuid.UUID
    horizon: str
    year: int
    kind: EntityKind
    level: Level
    tier: Tier
    domain: Domain | None
    min_count: int
    max_count: int | None
    note: str
    source: str
    version: int


class TierCount(ResponseModel):
    kind: EntityKind
    level: Level
    tier: Tier
    listed: int = Field(description="名单内以该层级为目标的对象数")
    achieved: int = Field(description="其中最新年度指标已达到目标层级的数量")


class EchelonCount(ResponseModel):
    kind: EntityKind
    tier: Tier
    count: int = Field(description="最新年度指标处于该梯队的省级对象数")


class GrowthBandCount(ResponseModel):
    level: Level
    low: Decimal
    high: Decimal
    count: int


class TargetProgress(ResponseModel):
    target: TargetRead
    achieved: int
    gap: int = Field(description="距目标下限的差额；已达到为 0")
    met: bool


class ProgressRead(ResponseModel):
    as_of: dt.date
    known_at: dt.datetime | None = Field(
        default=None, description="给出时：只统计该时刻以前已登记的名单调整与指标修订（UTC）"
    )
    tiers: list[TierCount]
    echelons: list[EchelonCount]
    growth_bands: list[GrowthBandCount]
    targets: list[TargetProgress]
