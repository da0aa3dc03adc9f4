"""Point in time, both ways: `as_of` (what was true for a date) and `known_at` (what the registry said
at a moment).

`as_of` replays the history as it stands now: the latest roster adjustment effective on or before the
date, and the latest revision of each metric. `known_at` replays it as it stood at that moment: only
adjustments and metric revisions recorded (`roster_adjustment.created_at`, `metric_value.recorded_at`)
at or before it count, and records created after it do not exist. So a ranking circulated on a day
is reproduced exactly later, whatever has been corrected since. Without `as_of`, `known_at` answers
for its own date (in the programme's zone): what the registry said that day about that day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from shared.context import local_date
from shared.edge import StoredDatetime
from shared.errors import Invalid


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError("timezone_aware", "时间须带时区偏移（RFC 3339，如 2026-03-01T09:00:00+08:00）")
    return value


KnownAt = Annotated[
    StoredDatetime,
    AfterValidator(_aware),
    Field(
        description="按某一时刻登记的情况读取（RFC 3339，带时区）：忽略此后才登记的名单调整、指标修订和新增对象，"
        "用于事后准确复现当时发布的排名；不填 as_of 时取该时刻所在日期",
        examples=["2026-03-01T09:00:00+08:00"],
    ),
]


@dataclass(frozen=True, slots=True)
class PointInTime:
    as_of: dt.date | None = None  # None: today, from the records' current state
    known_at: dt.datetime | None = None  # UTC; None: everything recorded so far


def point_in_time(
    as_of: dt.date | None, known_at: dt.datetime | None, *, now: dt.datetime, zone: ZoneInfo
) -> PointInTime:
    """The date and the moment a read answers for; 422 `known_at_in_future` for a moment yet to come."""
    if known_at is None:
        return PointInTime(as_of)
    if known_at > now:
        raise Invalid.field("known_at", "known_at 不能晚于当前时间：尚未登记的情况无从复现", "known_at_in_future")
    return PointInTime(as_of or local_date(known_at, zone), known_at.astimezone(dt.UTC))
