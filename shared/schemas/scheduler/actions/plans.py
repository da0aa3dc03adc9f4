"""A dispatch plan as created and changed: its schedule, scope, window, reminders and missed-tick policy."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from shared.schemas.common import Name, RegionCode, RequestModel
from shared.schemas.enums import Domain, EntityKind, Level, Tier
from shared.schemas.scheduler.enums import MissedTickPolicy, PeriodKind, PlanStatus, ReportedPeriod

DepartmentCode = Annotated[
    str,
    Field(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$", description="牵头部门代码（与令牌 department 声明一致）"),
]
TimeZoneName = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$", description="IANA 时区名")
]
TimeOfDay = Annotated[dt.time, Field(description="本地时刻，精确到分钟，如 09:00")]


class _ScheduleBase(RequestModel):
    at: TimeOfDay = dt.time(9, 0)
    reports_on: ReportedPeriod = Field(default=ReportedPeriod.previous, description="报告上一期（默认）或当期")


class MonthlySchedule(_ScheduleBase):
    kind: Literal["monthly"]
    day: int = Field(default=1, description="每月第几日（1–28），-1 为月末")


class QuarterlySchedule(_ScheduleBase):
    kind: Literal["quarterly"]
    day: int = Field(default=1, description="1–28")
    month_of_quarter: int = Field(default=1, description="季度内第几个月（1–3）")


class WeeklySchedule(_ScheduleBase):
    kind: Literal["weekly"]
    weekday: int = Field(default=1, description="ISO 星期：1 周一 … 7 周日")


class YearlySchedule(_ScheduleBase):
    kind: Literal["yearly"]
    month: int = Field(default=1, description="1–12")
    day: int = Field(default=1, description="1–28")


class CronSchedule(RequestModel):
    kind: Literal["cron"]
    cron: str = Field(min_length=1, max_length=200, description="5 段 cron 表达式（分 时 日 月 周），按计划时区解释")
    period: PeriodKind = Field(description="每轮报告期的类型")
    reports_on: ReportedPeriod = Field(description="报告触发时所在的当期或上一期（cron 须明示）")


ScheduleSpec = Annotated[
    MonthlySchedule | QuarterlySchedule | WeeklySchedule | YearlySchedule | CronSchedule,
    Field(discriminator="kind"),
]


class PlanScope(RequestModel):
    """Which roster entities a plan's rounds ask reports of; an empty list means any."""

    kinds: list[EntityKind] = Field(min_length=1, max_length=3, description="对象类别（至少一项）")
    levels: list[Level] = Field(default_factory=list, max_length=3)
    regions: list[RegionCode] = Field(
        default_factory=list, max_length=200, description="地区（含下级）；须在计划所属地区内，空为计划所属地区"
    )
    domains: list[Domain] = Field(default_factory=list, max_length=4)
    tiers: list[Tier] = Field(default_factory=list, max_length=9)
    chains: list[uuid.UUID] = Field(default_factory=list, max_length=200, description="产业链 ID")
    parks: list[uuid.UUID] = Field(default_factory=list, max_length=500, description="园区 ID")

    @field_validator("kinds", "levels", "regions", "domains", "tiers", "chains", "parks")
    @classmethod
    def _distinct(cls, values: list[object]) -> list[object]:
        return list(dict.fromkeys(values))


class SubmissionWindowSpec(RequestModel):
    due_after_working_days: int | None = Field(default=None, ge=0, le=60, description="开启后第 N 个工作日截止")
    due_day_of_month: int | None = Field(default=None, ge=1, le=31, description="每月第 D 日截止（遇非工作日顺延）")
    grace_working_days: int = Field(default=0, ge=0, le=30, description="截止后的宽限工作日数")


class ReminderSpec(RequestModel):
    working_days_before_due: int = Field(default=0, ge=0, le=30, description="截止日前第 n 个工作日提醒；0 为截止当日")
    at: TimeOfDay = dt.time(9, 0)


class PlanCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "重点项目月度调度",
                    "owner_department": "development-reform",
                    "schedule": {"kind": "monthly", "day": 1, "at": "09:00"},
                    "scope": {"kinds": ["project"], "levels": ["province"]},
                    "submission_window": {"due_after_working_days": 5, "grace_working_days": 2},
                    "reminders": [{"working_days_before_due": 1, "at": "09:00"}],
                }
            ]
        },
    )

    name: Name
    owner_department: DepartmentCode
    region_code: RegionCode = Field(default="430000", description="计划所属地区：其操作员可管理本计划")
    schedule: ScheduleSpec
    timezone: TimeZoneName = "Asia/Shanghai"
    scope: PlanScope
    template_versions: dict[EntityKind, int] = Field(
        default_factory=dict, description="各类别使用的报表模板版本；缺省为最新版本"
    )
    submission_window: SubmissionWindowSpec
    reminders: list[ReminderSpec] = Field(default_factory=list, max_length=10)
    missed_tick_policy: MissedTickPolicy = MissedTickPolicy.latest
    missed_tick_cap: int = Field(default=12, ge=1, le=60, description="all 策略下最多补开的轮次")
    status: PlanStatus = PlanStatus.active


class PlanUpdate(RequestModel):
    """A merge patch of a plan: only the fields sent change, each replacing the stored value whole (a
    `scope` sent is the new scope); none of them may be null. The owning region does not change."""

    name: Name | None = None
    owner_department: DepartmentCode | None = None
    schedule: ScheduleSpec | None = None
    timezone: TimeZoneName | None = None
    scope: PlanScope | None = None
    template_versions: dict[EntityKind, int] | None = None
    submission_window: SubmissionWindowSpec | None = None
    reminders: list[ReminderSpec] | None = Field(default=None, max_length=10)
    missed_tick_policy: MissedTickPolicy | None = None
    missed_tick_cap: int | None = Field(default=None, ge=1, le=60)
    status: PlanStatus | None = None


class BackfillRoundCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"period_key": "2026-09"}]})

    period_key: str = Field(
        min_length=4, max_length=10, description="要补开的报告期，如 2026-09、2026-Q3、2026-W40、2026"
    )
