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
    project_code       a project code's region part names a real region and its year is plausible
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

# The province-level GB/T 2260 prefixes (省、自治区、直辖市, 台湾, 香港, 澳门): the region part of a
# project registered outside Hunan must begin with one of them.
PROVINCE_PREFIXES = frozenset(
    (
        *("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"),
        *("41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"),
        *("71", "81", "82"),
    )
)
# Project codes were first assigned by the national online approval platform in 2014 at the earliest;
# its second layout (time part YYMM) began on 2020-11-01.
PROJECT_CODE_FIRST_YEAR = 2014
PROJECT_CODE_V2_FROM = (2020, 11)

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
            f"所归属的上级产业须覆盖本产业所在地区（{region_code}）：省级产业覆盖全省，市级产业覆盖其所辖县市区",
            "parent_industry_region_mismatch",
        )
    return None


def industry_moved(
    *, level: Level, region_code: str, parent: tuple[Level, str] | None, children: list[tuple[Level, str]]
) -> FieldError | None:
    """An industry about to sit at (`level`, `region_code`) must stay below and inside its parent, and
    above and around each of its child industries: the same rule as `parent_industry`, seen from both ends."""
    if parent is not None:
        parent_level, parent_region = parent
        if LEVEL_ORDER[parent_level] <= LEVEL_ORDER[level] or not covers(parent_region, region_code):
            return FieldError(
                "to_region_code",
                "调整后本产业须仍低于并位于其所归属的上级产业所覆盖的地区之内",
                "parent_industry_region_mismatch",
            )
    for child_level, child_region in children:
        if LEVEL_ORDER[child_level] >= LEVEL_ORDER[level] or not covers(region_code, child_region):
            return FieldError(
                "to_region_code",
                "调整后本产业须仍高于并覆盖归属于它的下级产业所在的地区",
                "child_industry_region_mismatch",
            )
    return None


def project_code_region(code: str) -> str:
    """The region part of a well-formed project code (`YYYY-AAAAAA-II-TT-NNNNNN`): its second segment."""
    return code[5:11]


def _project_code_assigned(time_part: str) -> tuple[int, int]:
    """When a code was assigned, as (year, month); month 0 when the code tells only the year.

    The first layout's time part is the year (`2020`); the second's (from 2020-11) is `YYMM` (`2411`).
    A part that reads as a month of the second layout's time is one (`2011` is 2020-11, `2105` is
    2021-05); any other is a year of the first (`2016`, `2023`: no month 16 or 23).
    """
    yy, mm = int(time_part[:2]), int(time_part[2:])
    if 1 <= mm <= 12 and (2000 + yy, mm) >= PROJECT_CODE_V2_FROM:
        return 2000 + yy, mm
    return int(time_part), 0


def project_code(code: str, *, today: dt.date, region_exists: bool) -> FieldError | None:
    """A well-formed code's region and year parts (see `shared.identifiers.validate_project_code`).

    The region part is one of Hunan's codes (`region_exists`: it is in the region table) or, for a
    project registered elsewhere, begins with another province's two digits; the year is neither before
    2014 nor after `today` (nor, in the second layout, a month after this one).
    """
    region = project_code_region(code)
    if not (region_exists if region.startswith("43") else region[:2] in PROVINCE_PREFIXES):
        where = (
            "湖南省的有效行政区划代码"
            if region.startswith("43")
            else "以有效省级代码（如 11、44、81）开头的行政区划代码"
        )
        return FieldError("project_code", f"项目代码的地区代码 {region} 不是{where}", "project_code_region_unknown")
    year, month = _project_code_assigned(code[:4])
    if year < PROJECT_CODE_FIRST_YEAR or (year, month) > (today.year, today.month if month else 0):
        return FieldError(
            "project_code",
            f"项目代码的赋码时间（{code[:4]}）不合理：应不早于 {PROJECT_CODE_FIRST_YEAR} 年、不晚于当前",
            "project_code_year_implausible",
        )
    return None
