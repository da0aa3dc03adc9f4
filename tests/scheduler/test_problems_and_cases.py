"""Problems raised from accepted reports and directly, their moves, history, races and escalation by
rule; findings kept by the sweep with recovery; supervision cases; the outbox messages for notify."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduler.models import ReportTask, outbox, table
from tests.conftest import ADMIN, auth
from tests.scheduler.helpers import insert_plan, insert_round, insert_task
from tests.scheduler.test_findings_sql import at
from tests.scheduler.test_rounds_and_tasks import CITY, COUNTY, open_round, roster, tasks

__all__ = ["roster"]
PROBLEM = {"category": "difficulty", "title": "融资难", "description": "贷款审批慢", "region_code": "430104"}
CITY_OF_ANOTHER = auth("county", "430105")


async def keys(conn: AsyncConnection) -> list[str]:
    return sorted((await conn.execute(select(outbox.c.idempotency_key))).scalars())


async def test_an_accepted_report_raises_its_problems_once(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, roster: list[dict[str, Any]]
) -> None:
    await open_round(scheduler_app, scheduler_client)
    task = next(t for t in (await tasks(scheduler_client, COUNTY))["items"] if t["entity_id"] == roster[0]["id"])
    figures = {
        "revenue_ytd": "8",
        "progress": "正常",
        "next_steps": "扩产",
        "difficulties": "流动资金紧张",
        "coordination": "  ",
    }
    await scheduler_client.post(f"/api/v1/tasks/{task['id']}/submit", json={"figures": figures}, headers=COUNTY)
    accepted = await scheduler_client.post(f"/api/v1/tasks/{task['id']}/accept", headers=CITY)
    assert accepted.status_code == 200
    [problem] = (await scheduler_client.get(f"/api/v1/problems?task_id={task['id']}", headers=COUNTY)).json()["items"]
    assert (problem["category"], problem["source"], problem["level"], problem["state"]) == (
        "difficulty",
        "report",
        "county",
        "open",
    )
    assert (problem["description"], problem["region_code"], problem["figure"]) == (
        "流动资金紧张",
        "430104",
        "difficulties",
    )
    history = (await scheduler_client.get(f"/api/v1/problems/{problem['id']}/history", headers=COUNTY)).json()
    assert [(e["action"], e["to_state"], e["to_level"]) for e in history["items"]] == [("raise", "open", "county")]
    hidden = await scheduler_client.get(f"/api/v1/problems/{problem['id']}", headers=CITY_OF_ANOTHER)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "problem_not_found")


async def test_a_problem_is_handled_confirmed_and_every_step_kept(scheduler_client: httpx.AsyncClient) -> None:
    created = await scheduler_client.post("/api/v1/problems", json=PROBLEM, headers=COUNTY)
    assert created.status_code == 201
    path = f"/api/v1/problems/{created.json()['id']}"
    steps = [
        ("confirm", COUNTY, 409, "problem_transition_not_allowed"),
        ("accept", CITY, 403, "problem_action_forbidden"),
        ("accept", COUNTY, 200, None),
        ("resolve", COUNTY, 200, None),
        ("reopen", COUNTY, 200, None),
        ("resolve", COUNTY, 200, None),
        ("confirm", COUNTY, 200, None),
        ("escalate", ADMIN, 409, "problem_transition_not_allowed"),
    ]
    for action, who, status, code in steps:
        response = await scheduler_client.post(f"{path}/{action}", json={"comment": f"{action} 说明"}, headers=who)
        assert response.status_code == status, (action, response.text)
        if code is not None:
            assert response.json()["code"] == code
    final = (await scheduler_client.get(path, headers=COUNTY)).json()
    assert (final["state"], final["resolution"], final["version"]) == ("closed", "resolve 说明", 6)
    history = (await scheduler_client.get(f"{path}/history", headers=COUNTY)).json()["items"]
    assert [(e["action"], e["from_state"], e["to_state"]) for e in history] == [
        ("raise", None, "open"),
        ("accept", "open", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("reopen", "resolved", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("confirm", "resolved", "closed"),
    ]


async def test_writes_on_one_version_have_one_winner(scheduler_client: httpx.AsyncClient) -> None:
    """Both writers send the version they read; the UPDATE (or DELETE) that checks it lets one through.
    (The harness runs every request on the test's one connection, so the two are sent in turn.)"""
    created = (await scheduler_client.post("/api/v1/problems", json=PROBLEM, headers=ADMIN)).json()
    path = f"/api/v1/problems/{created['id']}"
    v1 = ADMIN | {"If-Match": '"1"'}
    first = await scheduler_client.patch(path, json={"title": "甲"}, headers=v1)
    second = await scheduler_client.patch(path, json={"title": "乙"}, headers=v1)
    assert (first.status_code, second.status_code, second.json()["code"]) == (200, 412, "precondition_failed")
    assert (await scheduler_client.get(path, headers=ADMIN)).json()["title"] == "甲"
    missing = await scheduler_client.delete(path, headers=ADMIN)
    stale = await scheduler_client.delete(path, headers=v1)
    v2 = ADMIN | {"If-Match": '"2"'}
    deleted = await scheduler_client.delete(path, headers=v2)
    again = await scheduler_client.delete(path, headers=v2)
    statuses = [r.status_code for r in (missing, stale, deleted, again)]
    assert statuses == [428, 412, 204, 404]


async def test_hostile_problem_input_is_422(scheduler_client: httpx.AsyncClient) -> None:
    bodies = [
        PROBLEM | {"title": "a\x00b"},
        PROBLEM | {"region_code": "43010"},
        PROBLEM | {"category": "other"},
        PROBLEM | {"colour": "red"},
        PROBLEM | {"description": "长" * 2001},
    ]
    codes = []
    for body in bodies:
        response = await scheduler_client.post("/api/v1/problems", json=body, headers=ADMIN)
        assert response.status_code == 422
        codes.append(response.json()["errors"][0]["code"])
    assert codes == ["string_nul_byte", "string_pattern_mismatch", "enum", "extra_forbidden", "string_too_long"]
    bad_cursor = await scheduler_client.get("/api/v1/problems?cursor=%00", headers=ADMIN)
    assert bad_cursor.status_code == 422


async def test_overdue_problems_escalate_one_level_per_pass(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient
) -> None:
    created = (await scheduler_client.post("/api/v1/problems", json=PROBLEM, headers=COUNTY)).json()
    loop = scheduler_app.state.platform.state.escalation
    due = dt.date.fromisoformat(created["due_on"])
    assert await loop.run_once(at((due + dt.timedelta(days=2)).isoformat())) == 0  # 2 days late: not yet
    assert await loop.run_once(at((due + dt.timedelta(days=3)).isoformat())) == 1
    assert await loop.run_once(at((due + dt.timedelta(days=3)).isoformat())) == 0  # its new due date is ahead
    moved = (await scheduler_client.get(f"/api/v1/problems/{created['id']}", headers=CITY)).json()
    assert (moved["level"], moved["state"], moved["version"]) == ("city", "open", 2)
    assert dt.date.fromisoformat(moved["due_on"]) > due + dt.timedelta(days=3)
    [_, escalated] = (await scheduler_client.get(f"/api/v1/problems/{created['id']}/history", headers=CITY)).json()[
        "items"
    ]
    assert (escalated["action"], escalated["actor_sub"], escalated["from_level"], escalated["to_level"]) == (
        "escalate",
        "scheduler",
        "county",
        "city",
    )
    assert escalated["explanation"]["days_overdue"] == 3
    assert escalated["explanation"]["new_due_on"] == moved["due_on"]


async def test_a_measured_finding_recovers_step_by_step(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    plan = await insert_plan(db_connection)
    round_id = await insert_round(db_connection, plan, "2026-06", dt.date(2026, 7, 8))
    figures = {"investment_ytd": "20", "investment_period": "1", "stage": "under_construction"}
    task = await insert_task(
        db_connection,
        round_id,
        plan,
        uuid.uuid4(),
        state="accepted",
        figures=figures,
        facts={"annual_plans": {"2026": "100"}},
        accepted_at=at("2026-07-01"),
    )
    sweep = scheduler_app.state.platform.state.sweep
    seen = []
    for ytd in ("20", "40", "60", "60", "20"):
        t = table(ReportTask)
        await db_connection.execute(update(t).where(t.c.id == task).values(figures=figures | {"investment_ytd": ytd}))
        await sweep.run_once(at("2026-07-10"))
        found = (await scheduler_client.get("/api/v1/findings?rule=investment_lag", headers=ADMIN)).json()["items"]
        seen.append((found[0]["colour"], found[0]["state"]) if found else None)
    # red; a better but still yellow report keeps it red; caught up: yellow; still caught up: resolved; again red.
    assert seen == [
        ("red", "notified"),
        ("red", "notified"),
        ("yellow", "notified"),
        ("yellow", "resolved"),
        ("red", "open"),
    ]
    [finding_key] = [k for k in await keys(db_connection) if k.startswith("scheduler:finding:")]
    assert finding_key == f"scheduler:finding:{found[0]['id']}"  # the letter was requested once


async def test_a_red_finding_becomes_a_case_replied_returned_and_closed(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    created = (
        await scheduler_client.post(
            "/api/v1/problems", json=PROBLEM | {"assigned_department": "industry-it"}, headers=COUNTY
        )
    ).json()
    later = at(created["due_on"]) + dt.timedelta(days=5)
    await scheduler_app.state.platform.state.sweep.run_once(later)
    [finding] = (await scheduler_client.get("/api/v1/findings?colour=red&region=430100", headers=CITY)).json()["items"]
    assert (finding["rule_code"], finding["state"], finding["explanation"]["days_overdue"]) == (
        "problem_overdue",
        "notified",
        5,
    )
    path = f"/api/v1/findings/{finding['id']}/case"
    opened = await scheduler_client.post(path, json={"requirement": "五个工作日内协调解决"}, headers=CITY)
    again = await scheduler_client.post(path, json={"requirement": "再督办"}, headers=ADMIN)
    assert (opened.status_code, again.status_code, again.json()["code"]) == (201, 409, "case_exists")
    case = opened.json()
    assert (case["state"], case["responsible_department"]) == ("awaiting_reply", "industry-it")
    assert await keys(db_connection) == sorted([f"scheduler:finding:{finding['id']}", f"scheduler:case:{case['id']}"])
    case_path = f"/api/v1/cases/{case['id']}"
    steps = [
        ("accept", CITY, None, 409),
        ("replies", COUNTY, {"body": "已对接银行"}, 201),
        ("replies", COUNTY, {"body": "重复"}, 409),
        ("return", CITY, {"comment": "未见成效"}, 200),
        ("replies", COUNTY, {"body": "贷款已到位"}, 201),
        ("accept", COUNTY, None, 403),
        ("accept", CITY, {"comment": "同意销号"}, 200),
    ]
    for step, who, body, status in steps:
        response = await scheduler_client.post(f"{case_path}/{step}", json=body, headers=who)
        assert response.status_code == status, (step, response.text)
    closed = (await scheduler_client.get(case_path, headers=COUNTY)).json()
    assert closed["state"] == "closed"
    assert [(r["seq"], r["outcome"]) for r in closed["replies"]] == [(1, "returned"), (2, "accepted")]
    resolved = (await scheduler_client.get(f"/api/v1/findings/{finding['id']}", headers=ADMIN)).json()
    assert resolved["state"] == "resolved"


async def test_a_case_without_a_reply_by_its_deadline_escalates(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient
) -> None:
    created = (await scheduler_client.post("/api/v1/problems", json=PROBLEM, headers=ADMIN)).json()
    sweep = scheduler_app.state.platform.state.sweep
    await sweep.run_once(at(created["due_on"]) + dt.timedelta(days=5))
    [finding] = (await scheduler_client.get("/api/v1/findings?colour=red", headers=ADMIN)).json()["items"]
    body = {"requirement": "限期反馈", "reply_working_days": 1}
    case = (await scheduler_client.post(f"/api/v1/findings/{finding['id']}/case", json=body, headers=ADMIN)).json()
    due_at = dt.datetime.fromisoformat(case["reply_due_at"])
    await sweep.run_once(due_at - dt.timedelta(seconds=1))
    assert (await scheduler_client.get(f"/api/v1/cases/{case['id']}", headers=ADMIN)).json()[
        "state"
    ] == "awaiting_reply"
    await sweep.run_once(due_at)
    late = (await scheduler_client.get(f"/api/v1/cases/{case['id']}", headers=ADMIN)).json()
    assert (late["state"], late["escalated_at"] is not None) == ("escalated", True)
    assert (await scheduler_client.get(f"/api/v1/findings/{finding['id']}", headers=ADMIN)).json()[
        "state"
    ] == "escalated"
    replied = await scheduler_client.post(f"/api/v1/cases/{case['id']}/replies", json={"body": "补报"}, headers=COUNTY)
    assert (replied.status_code, replied.json()["state"]) == (201, "replied")
