"""Progress against the programme's targets: counts by tier, echelon and growth band, and each target's gap."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import Field

from shared.schemas.common import ResponseModel
from shared.schemas.enums import ApprovalKind, Domain, EntityKind, Level, Tier


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


class ApprovalOverdueCount(ResponseModel):
    kind: ApprovalKind
    overdue: int = Field(description="超过承诺时限仍未办结的该类审批数")


class GreenChannelProgress(ResponseModel):
    """Projects on the list in the green channel (绿色通道), and their approvals past the committed date."""

    projects: int = Field(description="名单内、处于绿色通道的项目数")
    projects_approval_overdue: int = Field(description="其中有审批超过承诺时限仍未办结的项目数")
    approvals_overdue: list[ApprovalOverdueCount] = Field(
        description="这些项目中超过承诺时限仍未办结的审批数，按审批类别（每类一项）"
    )


class ProgressRead(ResponseModel):
    as_of: dt.date
    known_at: dt.datetime | None = Field(
        default=None, description="给出时：只统计该时刻以前已登记的名单调整与指标修订（UTC）"
    )
    tiers: list[TierCount]
    echelons: list[EchelonCount]
    growth_bands: list[GrowthBandCount]
    targets: list[TargetProgress]
    green_channel: GreenChannelProgress | None = Field(
        default=None,
        description="审批绿色通道：按当前记录统计（审批不保留历史状态），as_of 早于今天时为 null",
    )
