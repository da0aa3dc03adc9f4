"""The scheduler's authorization matrix: every route × admin, department (owning/leading and not),
city, county, viewer, another region, service and no token; each cell its own rolled-back test.

The records under test: a plan of 长沙市 (430100) owned by the industry department, and the task of
a 岳麓区 (430104) county enterprise led by that department. So the city and the county see them, the
city 430200 does not (404), the county cannot manage a city plan, the city reviews county reports,
and the industry department both files and reviews for the entities it leads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from tests import factories
from tests.conftest import ADMIN, auth
from tests.scheduler.helpers import plan

ROLES: dict[str, dict[str, str]] = {
    "admin": auth("admin", "430000"),
    "dept_led": auth("department", "430000", department="industry-it"),
    "dept_other": auth("department", "430000", department="agriculture-rural"),
    "city": auth("city", "430100"),
    "county": auth("county", "430104"),
    "viewer": auth("viewer", "430000"),
    "other_city": auth("city", "430200"),
    "service": auth("service", "430000"),
    "none": {},
}
CITY_PLAN = plan(region_code="430100", scope={"kinds": ["enterprise"], "levels": ["county"]})
FIGURES = {"revenue_ytd": "5.5", "progress": "进展", "next_steps": "计划"}


@dataclass
class World:
    scheduler: httpx.AsyncClient
    registry: httpx.AsyncClient
    app: Any
    ids: dict[str, str]


Setup = Callable[[World], Awaitable[None]]


async def _plan(world: World) -> None:
    response = await world.scheduler.post("/api/v1/plans", json=CITY_PLAN, headers=ADMIN)
    assert response.status_code == 201, response.text
    world.ids["plan"] = response.json()["id"]
    rounds = await world.scheduler.get(f"/api/v1/rounds?plan_id={world.ids['plan']}", headers=ADMIN)
    world.ids["round"] = rounds.json()["items"][0]["id"]


async def _task(world: World) -> None:
    departments = (await world.registry.get("/api/v1/departments?limit=200", headers=ADMIN)).json()["items"]
    industry = next(d["id"] for d in departments if d["code"] == "industry-it")
    body = factories.enterprise(
        5,
        level="county",
        region_code="430104",
        target_tier="billion",
        uscc=factories.make_uscc(5, "430104"),
        listed_on="2024-01-10",
        lead_department_id=industry,
    )
    assert (await world.registry.post("/api/v1/enterprises", json=body, headers=ADMIN)).status_code == 201
    await _plan(world)
    plan_row = (await world.scheduler.get(f"/api/v1/plans/{world.ids['plan']}", headers=ADMIN)).json()
    now = dt.datetime.fromisoformat(plan_row["next_tick_at"]) + dt.timedelta(minutes=1)
    assert await world.app.state.platform.state.ticker.run_once(now) == 1
    [task] = (await world.scheduler.get("/api/v1/tasks", headers=ADMIN)).json()["items"]
    world.ids["task"] = task["id"]
    world.ids["opened"] = task["round_id"]


async def _submitted(world: World) -> None:
    await _task(world)
    response = await world.scheduler.post(
        f"/api/v1/tasks/{world.ids['task']}/submit", json={"figures": FIGURES}, headers=ADMIN
    )
    assert response.status_code == 200, response.text


async def _override(world: World) -> None:
    body = {"day": "2027-02-06", "working": True}
    assert (await world.scheduler.post("/api/v1/calendar/overrides", json=body, headers=ADMIN)).status_code == 201


async def _year(world: World) -> None:
    assert (await world.scheduler.post("/api/v1/calendar/years", json={"year": 2027}, headers=ADMIN)).status_code == 201
    world.ids["year"] = "2027"


PROBLEM = {
    "category": "coordination",
    "title": "用地指标未落实",
    "description": "需协调落实二期用地",
    "region_code": "430104",
    "assigned_department": "industry-it",
}


async def _problem(world: World) -> None:
    response = await world.scheduler.post("/api/v1/problems", json=PROBLEM, headers=ADMIN)
    assert response.status_code == 201, response.text
    world.ids["problem"] = response.json()["id"]


def _problem_after(*actions: str) -> Setup:
    async def setup(world: World) -> None:
        await _problem(world)
        for action in actions:
            moved = await world.scheduler.post(f"/api/v1/problems/{world.ids['problem']}/{action}", headers=ADMIN)
            assert moved.status_code == 200, moved.text

    return setup


async def _red_finding(world: World) -> None:
    """A problem 40 days on, swept: its problem_overdue finding is red."""
    await _problem(world)
    problem = (await world.scheduler.get(f"/api/v1/problems/{world.ids['problem']}", headers=ADMIN)).json()
    later = dt.datetime.fromisoformat(problem["due_on"] + "T12:00:00+08:00") + dt.timedelta(days=40)
    assert await world.app.state.platform.state.sweep.run_once(later) >= 1
    [finding] = (await world.scheduler.get("/api/v1/findings?colour=red", headers=ADMIN)).json()["items"]
    world.ids["finding"] = finding["id"]


async def _case(world: World) -> None:
    await _red_finding(world)
    path = f"/api/v1/findings/{world.ids['finding']}/case"
    response = await world.scheduler.post(path, json={"requirement": "限期协调解决"}, headers=ADMIN)
    assert response.status_code == 201, response.text
    world.ids["case"] = response.json()["id"]


async def _replied(world: World) -> None:
    await _case(world)
    path = f"/api/v1/cases/{world.ids['case']}/replies"
    response = await world.scheduler.post(path, json={"body": "已协调落实"}, headers=ADMIN)
    assert response.status_code == 201, response.text


async def _rule(world: World) -> None:
    world.ids["rule"] = "report_deadline"


async def _nothing(_: World) -> None:
    return None


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expected: dict[str, int]
    setup: Setup = _nothing
    body: dict[str, Any] | None = None
    if_match: int | None = None  # the version sent as If-Match


def _row(
    admin: int,
    dept_led: int,
    dept_other: int,
    city: int,
    county: int,
    viewer: int,
    other_city: int,
    service: int,
    none: int = 401,
) -> dict[str, int]:
    return dict(
        admin=admin,
        dept_led=dept_led,
        dept_other=dept_other,
        city=city,
        county=county,
        viewer=viewer,
        other_city=other_city,
        service=service,
        none=none,
    )


READ_ALL = _row(200, 200, 200, 200, 200, 200, 200, 200)
READ_SCOPED = _row(200, 200, 200, 200, 200, 200, 404, 200)
PLAN_CREATE = _row(201, 201, 403, 201, 403, 403, 403, 403)
PLAN_WRITE = _row(200, 200, 403, 200, 403, 403, 404, 403)
PLAN_DELETE = _row(204, 204, 403, 204, 403, 403, 404, 403)
ADMIN_CREATE = _row(201, 403, 403, 403, 403, 403, 403, 403)
BACKFILL = _row(201, 403, 403, 403, 403, 403, 404, 403)
SUBMIT = _row(200, 200, 403, 200, 200, 403, 404, 403)
REVIEW = _row(200, 200, 403, 200, 403, 403, 404, 403)
ADMIN_READ = _row(200, 403, 403, 403, 403, 403, 403, 403)
ADMIN_WRITE = _row(200, 403, 403, 403, 403, 403, 403, 403)
ADMIN_DELETE = _row(204, 403, 403, 403, 403, 403, 403, 403)
# The problem is of 岳麓区 (430104), raised by the office: the county is its raising unit and, at the
# county level, its handler; the city above is neither.
PROBLEM_CREATE = _row(201, 201, 201, 201, 201, 403, 403, 403)
PROBLEM_ACT = _row(200, 403, 403, 403, 200, 403, 404, 403)
PROBLEM_DELETE = _row(204, 403, 403, 403, 204, 403, 404, 403)
# The finding's lead department is industry-it; the city 430100 is above the county finding.
CASE_OPEN = _row(201, 201, 403, 201, 403, 403, 404, 403)
CASE_REPLY = _row(201, 201, 403, 201, 201, 403, 404, 403)

CASES: dict[str, Case] = {
    "enums": Case("GET", "/api/v1/enums", READ_ALL),
    "plans.list": Case("GET", "/api/v1/plans", READ_ALL),
    "plans.create": Case("POST", "/api/v1/plans", PLAN_CREATE, body=CITY_PLAN),
    "plans.get": Case("GET", "/api/v1/plans/{plan}", READ_SCOPED, setup=_plan),
    "plans.preview": Case("GET", "/api/v1/plans/{plan}/preview?count=2", READ_SCOPED, setup=_plan),
    "plans.update": Case("PATCH", "/api/v1/plans/{plan}", PLAN_WRITE, setup=_plan, body={"name": "改名"}, if_match=1),
    "plans.delete": Case("DELETE", "/api/v1/plans/{plan}", PLAN_DELETE, setup=_plan, if_match=1),
    "plans.backfill": Case(
        "POST", "/api/v1/plans/{plan}/rounds", BACKFILL, setup=_plan, body={"period_key": "2026-09"}
    ),
    "rounds.list": Case("GET", "/api/v1/rounds", READ_ALL),
    "rounds.get": Case("GET", "/api/v1/rounds/{round}", READ_SCOPED, setup=_plan),
    "rounds.cancel": Case("POST", "/api/v1/rounds/{round}/cancel", PLAN_WRITE, setup=_plan, if_match=1),
    "calendar.list": Case("GET", "/api/v1/calendar/overrides", READ_ALL),
    "calendar.create": Case(
        "POST", "/api/v1/calendar/overrides", ADMIN_CREATE, body={"day": "2027-02-06", "working": True}
    ),
    "calendar.get": Case("GET", "/api/v1/calendar/overrides/2027-02-06", READ_ALL, setup=_override),
    "calendar.update": Case(
        "PATCH",
        "/api/v1/calendar/overrides/2027-02-06",
        ADMIN_WRITE,
        setup=_override,
        body={"note": "调休"},
        if_match=1,
    ),
    "calendar.delete": Case(
        "DELETE", "/api/v1/calendar/overrides/2027-02-06", ADMIN_DELETE, setup=_override, if_match=1
    ),
    "calendar.years.delete": Case("DELETE", "/api/v1/calendar/years/{year}", ADMIN_DELETE, setup=_year),
    "rounds.close": Case("POST", "/api/v1/rounds/{opened}/close", PLAN_WRITE, setup=_task, if_match=2),
    "calendar.years": Case("GET", "/api/v1/calendar/years", READ_ALL),
    "calendar.years.create": Case("POST", "/api/v1/calendar/years", ADMIN_CREATE, body={"year": 2027}),
    "tasks.list": Case("GET", "/api/v1/tasks", READ_ALL),
    "tasks.get": Case("GET", "/api/v1/tasks/{task}", READ_SCOPED, setup=_task),
    "tasks.submit": Case("POST", "/api/v1/tasks/{task}/submit", SUBMIT, setup=_task, body={"figures": FIGURES}),
    "tasks.accept": Case("POST", "/api/v1/tasks/{task}/accept", REVIEW, setup=_submitted),
    "tasks.return": Case("POST", "/api/v1/tasks/{task}/return", REVIEW, setup=_submitted, body={"comment": "补充"}),
    "audit.list": Case("GET", "/api/v1/audit-events", ADMIN_READ),
    "rounds.summary": Case("GET", "/api/v1/rounds/{round}/summary", READ_SCOPED, setup=_plan),
    "rounds.summary.xlsx": Case("GET", "/api/v1/rounds/{round}/summary.xlsx", READ_SCOPED, setup=_plan),
    "problems.list": Case("GET", "/api/v1/problems", READ_ALL),
    "problems.create": Case("POST", "/api/v1/problems", PROBLEM_CREATE, body=PROBLEM),
    "problems.get": Case("GET", "/api/v1/problems/{problem}", READ_SCOPED, setup=_problem),
    "problems.history": Case("GET", "/api/v1/problems/{problem}/history", READ_SCOPED, setup=_problem),
    "problems.update": Case(
        "PATCH", "/api/v1/problems/{problem}", PROBLEM_ACT, setup=_problem, body={"title": "改"}, if_match=1
    ),
    "problems.delete": Case("DELETE", "/api/v1/problems/{problem}", PROBLEM_DELETE, setup=_problem, if_match=1),
    "problems.accept": Case("POST", "/api/v1/problems/{problem}/accept", PROBLEM_ACT, setup=_problem),
    "problems.escalate": Case("POST", "/api/v1/problems/{problem}/escalate", PROBLEM_ACT, setup=_problem),
    "problems.resolve": Case(
        "POST", "/api/v1/problems/{problem}/resolve", PROBLEM_ACT, setup=_problem_after("accept"), body={}
    ),
    "problems.confirm": Case(
        "POST", "/api/v1/problems/{problem}/confirm", PROBLEM_ACT, setup=_problem_after("accept", "resolve")
    ),
    "problems.reopen": Case(
        "POST", "/api/v1/problems/{problem}/reopen", PROBLEM_ACT, setup=_problem_after("accept", "resolve")
    ),
    "findings.list": Case("GET", "/api/v1/findings", READ_ALL),
    "findings.get": Case("GET", "/api/v1/findings/{finding}", READ_SCOPED, setup=_red_finding),
    "findings.sweep": Case("POST", "/api/v1/findings:sweep", ADMIN_WRITE),
    "cases.create": Case(
        "POST", "/api/v1/findings/{finding}/case", CASE_OPEN, setup=_red_finding, body={"requirement": "限期整改"}
    ),
    "cases.list": Case("GET", "/api/v1/cases", READ_ALL),
    "cases.get": Case("GET", "/api/v1/cases/{case}", READ_SCOPED, setup=_case),
    "cases.reply": Case("POST", "/api/v1/cases/{case}/replies", CASE_REPLY, setup=_case, body={"body": "已整改"}),
    "cases.accept": Case("POST", "/api/v1/cases/{case}/accept", REVIEW, setup=_replied),
    "cases.return": Case("POST", "/api/v1/cases/{case}/return", REVIEW, setup=_replied, body={"comment": "不充分"}),
    "rules.list": Case("GET", "/api/v1/supervision-rules", READ_ALL),
    "rules.get": Case("GET", "/api/v1/supervision-rules/{rule}", READ_ALL, setup=_rule),
    "rules.versions": Case("GET", "/api/v1/supervision-rules/{rule}/versions", READ_ALL, setup=_rule),
    "rules.update": Case(
        "PATCH",
        "/api/v1/supervision-rules/{rule}",
        ADMIN_WRITE,
        setup=_rule,
        body={"parameters": {"blue_within_days": 4}},
        if_match=1,
    ),
    "scoring.get": Case("GET", "/api/v1/scoring-profile", READ_ALL),
    "scoring.update": Case(
        "PATCH", "/api/v1/scoring-profile", ADMIN_WRITE, body={"cutoffs": {"excellent": "88"}}, if_match=1
    ),
}
MATRIX = [(name, role) for name, case in CASES.items() for role in case.expected]


@pytest.mark.parametrize(("case_name", "role"), MATRIX)
async def test_authorization_matrix(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, client: httpx.AsyncClient, case_name: str, role: str
) -> None:
    case = CASES[case_name]
    world = World(scheduler_client, client, scheduler_app, {})
    await case.setup(world)
    headers = dict(ROLES[role]) | ({"If-Match": f'"{case.if_match}"'} if case.if_match is not None else {})
    response = await scheduler_client.request(
        case.method, case.path.format(**world.ids), json=case.body, headers=headers
    )
    assert response.status_code == case.expected[role], response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"


def test_every_route_is_in_the_matrix(scheduler_app: Any) -> None:
    served = {
        (method, route.path)
        for route in scheduler_app.routes
        if isinstance(route, APIRoute) and route.path.startswith("/api/v1")
        for method in route.methods or ()
    }
    names = {
        "plan": "id",
        "round": "id",
        "task": "id",
        "opened": "id",
        "year": "year",
        "problem": "id",
        "finding": "id",
        "case": "id",
        "rule": "code",
    }
    covered = {
        (case.method, case.path.split("?")[0].format(**{k: "{" + v + "}" for k, v in names.items()}))
        for case in CASES.values()
    }
    covered = {(m, p.replace("2027-02-06", "{day}")) for m, p in covered}
    assert served - covered == set()
