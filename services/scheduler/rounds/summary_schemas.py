"""A round's summary as the API returns it: totals, and each city's and county's score, rank and grade."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import Field

from services.scheduler.scoring import Grade
from shared.schemas.common import ResponseModel


class ColourCounts(ResponseModel):
    red: int = 0
    yellow: int = 0
    blue: int = 0


class UnitSummary(ResponseModel):
    unit: str = Field(description="地区代码（市州或县市区；省本级为 430000）")
    name: str | None
    expected: int = Field(description="应报")
    submitted: int = Field(description="已报（含待审核与已通过）")
    on_time: int = Field(description="按时报送（首次报送不晚于截止时刻）")
    submission_rate: Decimal | None = Field(description="报送率（4 位小数）")
    on_time_rate: Decimal | None = Field(description="按时率（4 位小数）")
    investment_planned: Decimal = Field(description="本年计划投资（亿元）")
    investment_completed: Decimal = Field(description="本年累计完成投资（亿元，已审核通过的报送）")
    investment_rate: Decimal | None = Field(description="投资完成率（4 位小数，未封顶）")
    findings: ColourCounts
    components: dict[str, Decimal | None] = Field(description="各项得分（0–1，4 位小数）")
    score: Decimal | None
    rank: int | None
    grade: Grade | None
    grade_label: str | None


class ScoringProfileRead(ResponseModel):
    code: str
    version: int
    weights: dict[str, str]
    penalties: dict[str, str]
    cutoffs: dict[str, str]


class RoundSummary(ResponseModel):
    round_id: uuid.UUID
    plan_id: uuid.UUID
    period_key: str
    state: str
    due_at: dt.datetime
    generated_at: dt.datetime
    totals: UnitSummary
    cities: list[UnitSummary] = Field(description="市州（含省本级），按排名")
    counties: list[UnitSummary] = Field(description="县市区，按排名")
    scoring: ScoringProfileRead
