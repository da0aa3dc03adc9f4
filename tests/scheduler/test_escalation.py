"""Problem-list coordination: the transition table, the raiser's 销号, escalation by rule."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from services.scheduler.calendar import BusinessCalendar
from services.scheduler.errors import ParametersInvalid, TransitionNotAllowed
from services.scheduler.escalation import (
    TRANSITIONS,
    Actor,
    CoordinationLevel,
    Escalation,
    EscalationParams,
    Problem,
    ProblemAction,
    ProblemState,
    apply,
    escalate_by_rule,
    initial_level,
    raise_problem,
)
from shared.schemas.enums import Level

D = dt.date
CAL = BusinessCalendar()
PARAMS = EscalationParams()
OPEN = ProblemState.open
IN_PROGRESS = ProblemState.in_progress
RESOLVED = ProblemState.resolved
CLOSED = ProblemState.closed


def test_a_problem_starts_at_the_raising_units_level() -> None:
    assert [initial_level(level) for level in (Level.county, Level.city, Level.province)] == [
        CoordinationLevel.county,
        CoordinationLevel.city,
        CoordinationLevel.department,
    ]


def test_the_first_due_date_counts_the_national_day_make_up_days() -> None:
    # Raised Friday 09-26: 09-28 (Sunday, make-up), 09-29, 09-30, 10-09, 10-10, 10-11 (Saturday, make-up),
    # 10-13 … 10-16 are the ten working days.
    assert raise_problem(Level.county, D(2025, 9, 26), CAL, PARAMS) == Problem(
        OPEN, CoordinationLevel.county, D(2025, 10, 16), due_provisional=False
    )
    province = raise_problem(Level.province, D(2026, 3, 2), CAL, PARAMS)
    assert (province.level, province.due_on) == (CoordinationLevel.department, D(2026, 3, 23))


def test_a_due_date_counted_into_an_unknown_year_is_provisional() -> None:
    problem = raise_problem(Level.city, D(2026, 12, 21), CAL, PARAMS)
    assert (problem.due_on, problem.due_provisional) == (D(2027, 1, 4), True)


def test_the_whole_life_of_a_problem() -> None:
    problem = raise_problem(Level.county, D(2025, 9, 26), CAL, PARAMS)
    day = D(2025, 9, 29)
    problem = apply(problem, ProblemAction.accept, Actor.handler, day, CAL, PARAMS)
    problem = apply(problem, ProblemAction.resolve, Actor.handler, day, CAL, PARAMS)
    problem = apply(problem, ProblemAction.reopen, Actor.raiser, day, CAL, PARAMS)
    assert (problem.state, problem.due_on) == (IN_PROGRESS, D(2025, 10, 16))
    problem = apply(problem, ProblemAction.resolve, Actor.handler, day, CAL, PARAMS)
    problem = apply(problem, ProblemAction.confirm, Actor.raiser, day, CAL, PARAMS)
    assert problem == Problem(CLOSED, CoordinationLevel.county, D(2025, 10, 16))


ALLOWED = {
    (OPEN, ProblemAction.accept, Actor.handler),
    (IN_PROGRESS, ProblemAction.resolve, Actor.handler),
    (RESOLVED, ProblemAction.confirm, Actor.raiser),
    (RESOLVED, ProblemAction.reopen, Actor.raiser),
    (OPEN, ProblemAction.escalate, Actor.handler),
    (OPEN, ProblemAction.escalate, Actor.office),
    (IN_PROGRESS, ProblemAction.escalate, Actor.handler),
    (IN_PROGRESS, ProblemAction.escalate, Actor.office),
}


@pytest.mark.parametrize(("state", "action", "actor"), list(itertools.product(ProblemState, ProblemAction, Actor)))
def test_only_the_table_allows_a_transition(state: ProblemState, action: ProblemAction, actor: Actor) -> None:
    problem = Problem(state, CoordinationLevel.city, D(2026, 3, 2))
    if (state, action, actor) in ALLOWED:
        after = apply(problem, action, actor, D(2026, 3, 2), CAL, PARAMS)
        assert after.state is TRANSITIONS[state, action].to
    else:
        with pytest.raises(TransitionNotAllowed) as caught:
            apply(problem, action, actor, D(2026, 3, 2), CAL, PARAMS)
        assert caught.value.code == "problem_transition_not_allowed"


def test_only_the_raiser_closes_a_problem() -> None:
    resolved = Problem(RESOLVED, CoordinationLevel.city, D(2026, 3, 2))
    for actor in (Actor.handler, Actor.office):
        with pytest.raises(TransitionNotAllowed):
            apply(resolved, ProblemAction.confirm, actor, D(2026, 3, 3), CAL, PARAMS)


def test_a_manual_escalation_opens_the_problem_one_level_up_with_a_new_due_date() -> None:
    problem = Problem(IN_PROGRESS, CoordinationLevel.city, D(2026, 3, 2))
    after = apply(problem, ProblemAction.escalate, Actor.office, D(2026, 3, 6), CAL, PARAMS)
    assert after == Problem(OPEN, CoordinationLevel.department, D(2026, 3, 27))  # 15 working days after 03-06


def test_nothing_escalates_above_the_provincial_leader() -> None:
    top = Problem(OPEN, CoordinationLevel.leader, D(2026, 3, 2))
    with pytest.raises(TransitionNotAllowed) as caught:
        apply(top, ProblemAction.escalate, Actor.office, D(2026, 3, 6), CAL, PARAMS)
    assert caught.value.code == "problem_at_top_level"
    assert escalate_by_rule(top, D(2026, 6, 1), CAL, PARAMS) is None


def test_escalation_by_rule_waits_for_the_overdue_days() -> None:
    problem = Problem(IN_PROGRESS, CoordinationLevel.county, D(2025, 10, 16))
    assert escalate_by_rule(problem, D(2025, 10, 16), CAL, PARAMS) is None
    assert escalate_by_rule(problem, D(2025, 10, 18), CAL, PARAMS) is None
    assert escalate_by_rule(problem, D(2025, 10, 19), CAL, PARAMS) == Escalation(
        Problem(OPEN, CoordinationLevel.city, D(2025, 10, 31)),  # 10 working days after Sunday 10-19
        {
            "version": "1",
            "from_level": "county",
            "to_level": "city",
            "due_on": "2025-10-16",
            "today": "2025-10-19",
            "days_overdue": 3,
            "overdue_days": 3,
            "handling_working_days": 10,
            "new_due_on": "2025-10-31",
            "provisional": False,
        },
    )


def test_escalation_by_rule_moves_one_level_per_pass() -> None:
    problem = Problem(OPEN, CoordinationLevel.county, D(2026, 1, 5))
    levels = []
    today = D(2026, 6, 1)
    while (step := escalate_by_rule(problem, today, CAL, PARAMS)) is not None:
        assert escalate_by_rule(step.problem, today, CAL, PARAMS) is None  # the new due date lies ahead
        problem = step.problem
        levels.append(problem.level)
        today = problem.due_on + dt.timedelta(days=PARAMS.overdue_days)
    assert levels == [CoordinationLevel.city, CoordinationLevel.department, CoordinationLevel.leader]


@pytest.mark.parametrize("state", [RESOLVED, CLOSED])
def test_resolved_and_closed_problems_do_not_escalate(state: ProblemState) -> None:
    assert escalate_by_rule(Problem(state, CoordinationLevel.county, D(2026, 1, 5)), D(2026, 6, 1), CAL, PARAMS) is None


@pytest.mark.parametrize(
    "build",
    [
        lambda: EscalationParams(overdue_days=0),
        lambda: EscalationParams(handling_working_days={CoordinationLevel.county: 5}),
        lambda: EscalationParams(handling_working_days=dict.fromkeys(CoordinationLevel, 0)),
    ],
)
def test_bad_parameters_are_refused(build: object) -> None:
    with pytest.raises(ParametersInvalid):
        build()  # type: ignore[operator]
