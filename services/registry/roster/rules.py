"""What a roster adjustment does to an entity's level, region, tier and status: pure rules, no I/O.

    include  re-lists a removed entity (optionally with a new tier at its level)
    promote  to a higher level; region defaults to the one above (county → its city, any → 430000)
    demote   to a lower level; the new region must be named and lie within the old one
    retier   another target tier and/or another region at the same level (a relocation or correction)
    remove   takes a listed entity off the list, keeping level, region and tier

A new level defaults to the adjacent one and a new tier to the programme tier of the new level.
Every violation is an `Invalid` naming the request field and a stable code; the level/region and
tier rules are the entities' own (`entities.rules`), named by the adjustment's fields.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from services.registry.entities import rules as entity_rules
from services.registry.entities.rules import require
from services.registry.roster.schemas import RosterAdjustmentCreate
from shared.errors import Invalid
from shared.regions import HUNAN, covers, parent_city
from shared.schemas.enums import EntityKind, Level, RosterAction, RosterStatus, Tier
from shared.tiers import LEVEL_ORDER, PROGRAMME_TIER

_BY_ORDER = {order: level for level, order in LEVEL_ORDER.items()}
_TARGET_FIELDS = ("to_level", "to_region_code", "to_tier")
_ALLOWED_FIELDS: dict[RosterAction, tuple[str, ...]] = {
    RosterAction.include: ("to_tier",),
    RosterAction.promote: _TARGET_FIELDS,
    RosterAction.demote: _TARGET_FIELDS,
    RosterAction.retier: _TARGET_FIELDS,
    RosterAction.remove: (),
}


@dataclass(frozen=True, slots=True)
class RosterState:
    level: Level
    region_code: str
    tier: Tier
    status: RosterStatus


def next_state(kind: EntityKind, current: RosterState, body: RosterAdjustmentCreate) -> RosterState:
    """The state after `body` is applied to an entity of `kind` now in `current`; raises `Invalid`."""
    action = body.action
    for field in _TARGET_FIELDS:
        if getattr(body, field) is not None and field not in _ALLOWED_FIELDS[action]:
            raise Invalid.field(
                field,
                f"{action.label}（{action.value}）不接受 {field}",
                "roster_field_not_applicable",
            )
    _check_status(action, current.status)
    if action is RosterAction.remove:
        return replace(current, status=RosterStatus.removed)
    if action is RosterAction.include:
        return replace(
            current, status=RosterStatus.listed, tier=_tier(kind, current.level, body.to_tier or current.tier)
        )
    if action is RosterAction.retier:
        return _retier(kind, current, body)
    level = _new_level(current.level, body.to_level, up=action is RosterAction.promote)
    region = (
        _promoted_region(level, current, body)
        if action is RosterAction.promote
        else _demoted_region(level, current, body)
    )
    tier = _tier(kind, level, body.to_tier or PROGRAMME_TIER[(kind, level)])
    return RosterState(level=level, region_code=region, tier=tier, status=RosterStatus.listed)


def _check_status(action: RosterAction, status: RosterStatus) -> None:
    if action is RosterAction.include:
        if status is RosterStatus.listed:
            raise Invalid.field("action", "该对象已在名单内，不能重复纳入", "roster_already_listed")
    elif status is RosterStatus.removed:
        if action is RosterAction.remove:
            raise Invalid.field("action", "该对象已移出名单", "roster_already_removed")
        raise Invalid.field("action", "该对象已移出名单，须先重新纳入（include）再调整", "roster_entity_removed")


def _retier(kind: EntityKind, current: RosterState, body: RosterAdjustmentCreate) -> RosterState:
    if body.to_level is not None and body.to_level is not current.level:
        raise Invalid.field(
            "to_level", "同级调整（retier）不能改变级别，请使用 promote 或 demote", "roster_retier_moves"
        )
    region = body.to_region_code or current.region_code
    tier = body.to_tier or current.tier
    if body.to_tier is None and body.to_region_code is None:
        raise Invalid.field("to_tier", "同级调整（retier）须提供 to_tier 或 to_region_code", "roster_tier_required")
    if tier is current.tier and region == current.region_code:
        raise Invalid.field("to_tier", "新目标层级与地区均与当前相同", "roster_tier_unchanged")
    _check_level_region(current.level, region)
    return replace(current, tier=_tier(kind, current.level, tier), region_code=region)


def _new_level(level: Level, requested: Level | None, *, up: bool) -> Level:
    step = 1 if up else -1
    if requested is None:
        default = _BY_ORDER.get(LEVEL_ORDER[level] + step)
        if default is not None:
            return default
    elif (LEVEL_ORDER[requested] - LEVEL_ORDER[level]) * step > 0:
        return requested
    if up:
        raise Invalid.field(
            "to_level", "升级（promote）须调整到更高级别：县级→市级/省级，市级→省级", "roster_level_not_higher"
        )
    raise Invalid.field(
        "to_level", "降级（demote）须调整到更低级别：省级→市级/县级，市级→县级", "roster_level_not_lower"
    )


def _promoted_region(level: Level, current: RosterState, body: RosterAdjustmentCreate) -> str:
    default = HUNAN if level is Level.province else parent_city(current.region_code)
    region = body.to_region_code or default
    _check_level_region(level, region)
    if not covers(region, current.region_code):
        raise Invalid.field(
            "to_region_code", f"升级后的地区须包含原地区 {current.region_code}", "roster_region_outside"
        )
    return region


def _demoted_region(level: Level, current: RosterState, body: RosterAdjustmentCreate) -> str:
    region = body.to_region_code
    if region is None:
        raise Invalid.field(
            "to_region_code",
            f"降级到{level.label}须指定新地区 to_region_code",
            "roster_region_required",
        )
    _check_level_region(level, region)
    if not covers(current.region_code, region):
        raise Invalid.field(
            "to_region_code", f"降级后的地区须位于原地区 {current.region_code} 之内", "roster_region_outside"
        )
    return region


def _check_level_region(level: Level, region: str) -> None:
    require(entity_rules.level_region(level, region, field="to_region_code"))


def _tier(kind: EntityKind, level: Level, tier: Tier) -> Tier:
    require(entity_rules.target_tier(kind, level, tier, field="to_tier"))
    return tier


def check_effective_on(effective_on: dt.date, today: dt.date, latest: dt.date | None) -> None:
    """Not in the future, and not before the latest adjustment: history stays one line in date order."""
    if effective_on > today:
        raise Invalid.field(
            "effective_on", f"生效日期不能晚于今天（{today.isoformat()}）", "roster_effective_in_future"
        )
    if latest is not None and effective_on < latest:
        raise Invalid.field(
            "effective_on",
            f"生效日期不能早于该对象最近一次名单调整的生效日期（{latest.isoformat()}）",
            "roster_effective_before_latest",
        )
