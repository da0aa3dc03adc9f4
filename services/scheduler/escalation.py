"""The problem list's four-level coordination (协调服务): who handles a problem, its states, escalation.

Levels, lowest first:

    county       县市区
    city         市州
    department   省直牵头部门
    leader       联系该产业链的省领导

A problem starts at the level of the unit that raised it (a province-level entity's at the
department) and must be handled within that level's working days (`handling_working_days`).

States and the actions between them (`TRANSITIONS`, the whole table, as data):

    open          accept    handler           → in_progress
    in_progress   resolve   handler           → resolved
    resolved      confirm   raiser            → closed        销号: only the raiser closes a problem
    resolved      reopen    raiser            → in_progress   the raiser does not accept the answer
    open          escalate  handler, office   → open, one level up, with a new due date
    in_progress   escalate  handler, office   → open, one level up, with a new due date

Anything else raises `TransitionNotAllowed` (code `problem_transition_not_allowed`). Reopening keeps
the due date: the problem was not solved in time. Escalating at the top level is refused
(`problem_at_top_level`).

Escalation by rule (`escalate_by_rule`, the scheduler's daily pass, acting as the office): an
open or in-progress problem `overdue_days` or more calendar days past its due date moves one level
up, is open again for its new handler, and is due `handling_working_days[new level]` working days
after `today`. One level per pass: the new due date lies ahead, so it never cascades. At the top
level nothing moves; the problem_overdue finding keeps it red.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType

from services.scheduler.calendar import BusinessCalendar
from services.scheduler.errors import ParametersInvalid, TransitionNotAllowed
from shared.schemas.enums import LabelledEnum, Level


class CoordinationLevel(LabelledEnum):
    county = "county", "县市区"
    city = "city", "市州"
    department = "department", "省直牵头部门"
    leader = "leader", "联系产业链的省领导"


LEVELS: tuple[CoordinationLevel, ...] = tuple(CoordinationLevel)


class ProblemState(LabelledEnum):
    open = "open", "待办理"
    in_progress = "in_progress", "办理中"
    resolved = "resolved", "已办结待确认"
    closed = "closed", "已销号"


class ProblemAction(LabelledEnum):
    accept = "accept", "受理"
    resolve = "resolve", "办结"
    confirm = "confirm", "确认销号"
    reopen = "reopen", "退回重办"
    escalate = "escalate", "提级协调"


class Actor(StrEnum):
    raiser = "raiser"
    handler = "handler"
    office = "office"


@dataclass(frozen=True, slots=True)
class Transition:
    to: ProblemState
    actors: frozenset[Actor]


_HANDLER = frozenset({Actor.handler})
_RAISER = frozenset({Actor.raiser})
_ESCALATORS = frozenset({Actor.handler, Actor.office})

TRANSITIONS: Mapping[tuple[ProblemState, ProblemAction], Transition] = MappingProxyType(
    {
        (ProblemState.open, ProblemAction.accept): Transition(ProblemState.in_progress, _HANDLER),
        (ProblemState.in_progress, ProblemAction.resolve): Transition(ProblemState.resolved, _HANDLER),
        (ProblemState.resolved, ProblemAction.confirm): Transition(ProblemState.closed, _RAISER),
        (ProblemState.resolved, ProblemAction.reopen): Transition(ProblemState.in_progress, _RAISER),
        (ProblemState.open, ProblemAction.escalate): Transition(ProblemState.open, _ESCALATORS),
        (ProblemState.in_progress, ProblemAction.escalate): Transition(ProblemState.open, _ESCALATORS),
    }
)

_ENTRY_LEVEL = {
    Level.county: CoordinationLevel.county,
    Level.city: CoordinationLevel.city,
    Level.province: CoordinationLevel.department,
}
_DEFAULT_HANDLING = {
    CoordinationLevel.county: 10,
    CoordinationLevel.city: 10,
    CoordinationLevel.department: 15,
    CoordinationLevel.leader: 20,
}


@dataclass(frozen=True, slots=True)
class EscalationParams:
    version: str = "1"
    overdue_days: int = 3
    handling_working_days: Mapping[CoordinationLevel, int] = field(default_factory=lambda: dict(_DEFAULT_HANDLING))

    def __post_init__(self) -> None:
        if self.overdue_days < 1:
            raise ParametersInvalid("overdue_days", "escalation_parameters_invalid", "提级前的逾期天数须至少为 1")
        if set(self.handling_working_days) != set(LEVELS) or any(n < 1 for n in self.handling_working_days.values()):
            raise ParametersInvalid(
                "handling_working_days",
                "escalation_parameters_invalid",
                "须为四个协调层级各给出至少 1 个工作日的办理时限",
            )
        object.__setattr__(self, "handling_working_days", MappingProxyType(dict(self.handling_working_days)))


@dataclass(frozen=True, slots=True)
class Problem:
    state: ProblemState
    level: CoordinationLevel
    due_on: dt.date
    due_provisional: bool = False  # the due date was counted on a provisional calendar


@dataclass(frozen=True, slots=True)
class Escalation:
    problem: Problem
    explanation: dict[str, str | int | bool | None]


def initial_level(entity_level: Level) -> CoordinationLevel:
    return _ENTRY_LEVEL[entity_level]


def raise_problem(
    entity_level: Level, raised_on: dt.date, calendar: BusinessCalendar, params: EscalationParams
) -> Problem:
    """A new open problem at the raising unit's level, due after that level's handling time."""
    level = initial_level(entity_level)
    due_on, provisional = calendar.add_working_days(raised_on, params.handling_working_days[level])
    return Problem(ProblemState.open, level, due_on, provisional)


def _level_above(level: CoordinationLevel) -> CoordinationLevel | None:
    index = LEVELS.index(level)
    return LEVELS[index + 1] if index + 1 < len(LEVELS) else None


def _escalated(problem: Problem, today: dt.date, calendar: BusinessCalendar, params: EscalationParams) -> Problem:
    above = _level_above(problem.level)
    if above is None:
        raise TransitionNotAllowed(
            "action", "problem_at_top_level", f"问题已在最高协调层级（{problem.level.label}），不能再提级"
        )
    due_on, provisional = calendar.add_working_days(today, params.handling_working_days[above])
    return Problem(ProblemState.open, above, due_on, provisional)


def apply(
    problem: Problem,
    action: ProblemAction,
    actor: Actor,
    today: dt.date,
    calendar: BusinessCalendar,
    params: EscalationParams,
) -> Problem:
    """The problem after `actor` takes `action` on `today`; raises `TransitionNotAllowed`."""
    transition = TRANSITIONS.get((problem.state, action))
    if transition is None or actor not in transition.actors:
        raise TransitionNotAllowed(
            "action",
            "problem_transition_not_allowed",
            f"当前状态为 {problem.state.value} 的问题不能由 {actor.value} 执行 {action.value}",
        )
    if action is ProblemAction.escalate:
        return _escalated(problem, today, calendar, params)
    return replace(problem, state=transition.to)


def escalate_by_rule(
    problem: Problem, today: dt.date, calendar: BusinessCalendar, params: EscalationParams
) -> Escalation | None:
    """The escalation the daily pass makes on `today`, or None when the problem stays where it is."""
    overdue = (today - problem.due_on).days
    if (
        problem.state not in (ProblemState.open, ProblemState.in_progress)
        or overdue < params.overdue_days
        or _level_above(problem.level) is None
    ):
        return None
    escalated = _escalated(problem, today, calendar, params)
    return Escalation(
        escalated,
        {
            "version": params.version,
            "from_level": problem.level.value,
            "to_level": escalated.level.value,
            "due_on": problem.due_on.isoformat(),
            "today": today.isoformat(),
            "days_overdue": overdue,
            "overdue_days": params.overdue_days,
            "handling_working_days": params.handling_working_days[escalated.level],
            "new_due_on": escalated.due_on.isoformat(),
            "provisional": escalated.due_provisional,
        },
    )
