"""Valid request bodies for notify, overridable per test."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")  # the service's default TIMEZONE: the 文号's year is its year at publication


def number(prefix: str, sequence: int, published_at: dt.datetime) -> str:
    """The 文号 of the `sequence`-th circular of a prefix published at `published_at` (the test's clock)."""
    return f"{prefix}〔{published_at.astimezone(ZONE).year}〕{sequence}号"


def circular(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "bulletin",
        "title": "关于2026年第三季度“万千百”工程调度情况的通报",
        "body": "各市州：\n\n现将第三季度调度情况通报如下。\n\n| 地区 | 排名 |\n|---|---|\n| 长沙市 | 1 |",
        "data": {"ranking": [{"region_code": "430100", "rank": 1}]},
        "issuer": "wqb_office",
        "audience": {"regions": ["430100"]},
    } | overrides


def subscriber(url: str, **overrides: Any) -> dict[str, Any]:
    return {"name": "长沙市政务协同平台", "region_code": "430100", "url": url} | overrides
