"""The rules an industry, enterprise or project must satisfy however it is written: pure, no I/O.

The API (the create and update bodies, `EntityService`, roster adjustments) and the bulk import
(`imports.validate`) call these same functions, so each rule, its error code and its Chinese message
are written once and the two paths cannot drift. Every rule returns the `FieldError` it finds, or
None; its caller reports it in its own way (a 422 problem, a pydantic error, an import row issue).
A rule that needs the database takes what the caller looked up (`exists=`).

    level_region       a level's region: province 430000, city 43xx00, county any other 43xxxx
    target_tier        the tiers (and echelons) a kind has at a level
    pathway            the cultivation pathways of a kind
    completion_order   a project's completion on or after its start (planned, and actual)
    project_dates      completion_order over a whole record, as it will be after a write
    listed_on          a listing takes effect when decided, never ahead of time
    region_known       the region is one of Hunan's (GB/T 2260)
    department_known   the lead department exists
    owner_known        a project's owner enterprise exists
    parent_industry    an industry's parent exists, is not itself, sits a level above and its region
                       contains the child's (the province contains every region, a city its counties)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from shared.errors import FieldError, Invalid
from shared.regions import covers
from shared.schemas.enums import PATHWAYS_BY_KIND, EntityKind, Level, Pathway, Tier
from shared.tiers import LEVEL_ORDER, level_region_error, tier_error

# A project's completion date → its start date, and what the pair is called in messages.
DATE_PAIRS: dict[str, tuple[str, str]] = {
    "planned_completion_on": ("planned_start_on", "计划"),
    "actual_completion_on": ("actual_start_on", "实际"),
}


def require(error: FieldError | None) -> None:
    """Raise the rule's error as a 422 naming its field, if it found one."""
    if error is not None:
        raise Invalid.field(error.field, error.message, error.code)


def level_region(level: Level, region_code: str, field: str = "region_code") -> FieldError | None:
    if message := level_region_error(level, region_code):
        return FieldError(field, message, "level_region_mismatch")
    return None


def target_tier(kind: EntityKind, level: Level, tier: Tier, field: str = "target_tier") -> FieldError | None:
    if message := tier_error(kind, level, tier):
        return FieldError(field, message, "tier_not_allowed")
    return None


def pathway(kind: EntityKind, value: Pathway | None, field: str = "pathway") -> FieldError | None:
    if value is not None and value not in PATHWAYS_BY_KIND[kind]:
        allowed = ", ".join(p.value for p in PATHWAYS_BY_KIND[kind])
        return FieldError(field, f"该类对象的培育路径只能是：{allowed}", "pathway_not_allowed")
    return None


def completion_order(field: str, start: dt.date | None, completion: dt.date | None) -> FieldError | None:
    """`field` (a key of `DATE_PAIRS`) may not fall before the start date it pairs with."""
    if start is not None and completion is not None and completion < start:
        label = DATE_PAIRS[field][1]
        return FieldError(field, f"{label}竣工日期不能早于{label}开工日期", "project_dates_order")
    return None


def project_dates(record: Mapping[str, Any]) -> FieldError | None:
    """The first completion date of `record` (planned, then actual) before its start; `record` is the
    whole record as a write leaves it, so a date sent alone is checked against the one stored."""
    for field, (start, _) in DATE_PAIRS.items():
        if error := completion_order(field, record.get(start), record.get(field)):
            return error
    return None


def listed_on(value: dt.date, today: dt.date) -> FieldError | None:
    """The roster is history: a listing takes effect when it is decided, never ahead of time."""
    if value > today:
        return FieldError("listed_on", "纳入名单日期不能晚于今天", "listed_on_future")
    return None


def region_known(code: str, *, exists: bool, field: str = "region_code") -> FieldError | None:
    if not exists:
        return FieldError(field, f"{code} 不是湖南省的有效行政区划代码", "region_unknown")
    return None


def department_known(*, exists: bool, named: str | None = None) -> FieldError | None:
    """The lead department, given by id (API) or by a name a spreadsheet cell holds (import)."""
    if not exists:
        message = "牵头部门不存在" if named is None else f"牵头部门“{named}”不存在"
        return FieldError("lead_department_id", message, "department_unknown")
    return None


def owner_known(*, exists: bool, uscc: str | None = None) -> FieldError | None:
    """A project's owner enterprise, given by id (API) or by its USCC (import)."""
    if not exists:
        message = "项目业主企业不存在" if uscc is None else f"统一社会信用代码为 {uscc} 的业主企业不存在"
        return FieldError("owner_enterprise_id", message, "enterprise_unknown")
    return None


def parent_industry(
    *, is_self: bool, level: Level, region_code: str, parent: tuple[Level, str] | None
) -> FieldError | None:
    """The industry an industry (at `level` in `region_code`) names as its parent, given as the parent's
    (level, region code) as looked up, None when there is no such industry."""
    field = "parent_industry_id"
    if is_self:
        return FieldError(field, "产业不能归属于自身", "parent_industry_self")
    if parent is None:
        return FieldError(field, "上级产业不存在", "parent_industry_unknown")
    parent_level, parent_region = parent
    if LEVEL_ORDER[parent_level] <= LEVEL_ORDER[level]:
        return FieldError(field, "所归属的产业级别须高于本产业（县→市/省，市→省）", "parent_industry_not_above")
    if not covers(parent_region, region_code):
        return FieldError(
            field,
            f"所归属的上级产业（{parent_region}）须覆盖本产业所在地区（{region_code}）：省级产业覆盖全省，市级产业覆盖其所辖县市区",
            "parent_industry_region_mismatch",
        )
    return None
