"""The scheduler's enumerations: stable codes with their Chinese labels (`GET /api/v1/enums`).

The domain core (`services.scheduler.periods`, `.schedule`) uses these same classes, so a code on
the wire and a value in a computation are one thing.
"""

from __future__ import annotations

from shared.schemas.enums import LabelledEnum


class PeriodKind(LabelledEnum):
    week = "week", "周"
    month = "month", "月"
    quarter = "quarter", "季度"
    year = "year", "年"


class ReportedPeriod(LabelledEnum):
    previous = "previous", "上一报告期"
    current = "current", "当前报告期"


class MissedTickPolicy(LabelledEnum):
    skip = "skip", "跳过错过的轮次"
    latest = "latest", "只补开最近一轮"
    all = "all", "全部补开（有上限）"


class ScheduleKind(LabelledEnum):
    monthly = "monthly", "每月"
    quarterly = "quarterly", "每季度"
    weekly = "weekly", "每周"
    yearly = "yearly", "每年"
    cron = "cron", "cron 表达式"


class PlanStatus(LabelledEnum):
    active = "active", "启用"
    paused = "paused", "暂停"


class RoundState(LabelledEnum):
    scheduled = "scheduled", "待开启"
    open = "open", "报送中"
    closed = "closed", "已结束"
    cancelled = "cancelled", "已取消"


class TaskState(LabelledEnum):
    pending = "pending", "待报送"
    submitted = "submitted", "已报送待审核"
    returned = "returned", "已退回"
    resubmitted = "resubmitted", "已重新报送待审核"
    accepted = "accepted", "已审核通过"
    withdrawn = "withdrawn", "已撤销（对象移出名单）"


SCHEDULER_ENUM_TYPES: dict[str, type[LabelledEnum]] = {
    "period_kind": PeriodKind,
    "reported_period": ReportedPeriod,
    "missed_tick_policy": MissedTickPolicy,
    "schedule_kind": ScheduleKind,
    "plan_status": PlanStatus,
    "round_state": RoundState,
    "task_state": TaskState,
}
