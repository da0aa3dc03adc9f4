"""Dispatch plans over HTTP: create, validation, preview, If-Match, and rescheduling on edits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, auth
from tests.scheduler.helpers import create_plan, plan


async def test_create_plan_is_201_with_location_etag_and_scheduled_rounds(scheduler_client: httpx.AsyncClient) -> None:
    response = await scheduler_client.post("/api/v1/plans", json=plan(), headers=ADMIN)
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/api/v1/plans/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert (body["cron"], body["period_kind"], body["timezone"], body["status"]) == (
        "0 9 1 * *",
        "month",
        "Asia/Shanghai",
        "active",
    )
    assert body["template_versions"] == {"enterprise": 1}
    rounds = (await scheduler_client.get(f"/api/v1/rounds?plan_id={body['id']}", headers=ADMIN)).json()["items"]
    assert [r["state"] for r in rounds] == ["scheduled"] * 3
    audit = await scheduler_client.get(f"/api/v1/audit-events?resource_id={body['id']}", headers=ADMIN)
    assert [e["action"] for e in audit.json()["items"]] == ["create"]


async def test_create_plan_replays_with_the_same_idempotency_key(scheduler_client: httpx.AsyncClient) -> None:
    headers = ADMIN | {"Idempotency-Key": "plan-1"}
    first = await scheduler_client.post("/api/v1/plans", json=plan(), headers=headers)
    again = await scheduler_client.post("/api/v1/plans", json=plan(), headers=headers)
    other = await scheduler_client.post("/api/v1/plans", json=plan(name="另一个"), headers=headers)
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert other.json()["code"] == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        (
            {"schedule": {"kind": "cron", "cron": "0 9 1 *", "period": "month", "reports_on": "previous"}},
            "schedule.cron",
            "cron_field_count",
        ),
        (
            {"schedule": {"kind": "cron", "cron": "0 9 30 2 *", "period": "month", "reports_on": "previous"}},
            "schedule.cron",
            "cron_never_fires",
        ),
        ({"schedule": {"kind": "monthly", "day": 30}}, "schedule.day", "monthly_day_invalid"),
        ({"schedule": {"kind": "weekly", "weekday": 8}}, "schedule.weekday", "weekday_invalid"),
        ({"timezone": "Mars/Olympus"}, "timezone", "timezone_unknown"),
        (
            {"submission_window": {"due_after_working_days": 5, "due_day_of_month": 10}},
            "submission_window.due_after_working_days",
            "due_rule_ambiguous",
        ),
        (
            {"scope": {"kinds": ["enterprise"], "regions": ["430100"]}, "region_code": "430200"},
            "scope.regions.0",
            "scope_region_outside_plan",
        ),
        ({"template_versions": {"enterprise": 9}}, "template_versions.enterprise", "template_unknown"),
        ({"template_versions": {"project": 1}}, "template_versions.project", "template_kind_not_in_scope"),
    ],
)
async def test_invalid_plans_are_422_naming_the_field(
    scheduler_client: httpx.AsyncClient, overrides: dict[str, Any], field: str, code: str
) -> None:
    response = await scheduler_client.post("/api/v1/plans", json=plan(**overrides), headers=ADMIN)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]


async def test_unknown_fields_and_hostile_input_are_4xx(scheduler_client: httpx.AsyncClient) -> None:
    extra = await scheduler_client.post("/api/v1/plans", json=plan(colour="red"), headers=ADMIN)
    nul = await scheduler_client.post("/api/v1/plans", json=plan(name="a\x00b"), headers=ADMIN)
    garbage = await scheduler_client.post(
        "/api/v1/plans", content=b"\xff\xfe", headers=ADMIN | {"Content-Type": "application/json"}
    )
    bad_id = await scheduler_client.get("/api/v1/plans/not-a-uuid", headers=ADMIN)
    assert (extra.status_code, nul.status_code, garbage.status_code, bad_id.status_code) == (422, 422, 422, 422)
    assert extra.json()["errors"][0]["code"] == "extra_forbidden"
    assert nul.json()["errors"][0]["code"] == "string_nul_byte"


async def test_preview_lists_the_next_rounds_with_their_timings(scheduler_client: httpx.AsyncClient) -> None:
    created = await create_plan(
        scheduler_client, schedule={"kind": "quarterly", "day": 5}, scope={"kinds": ["project"]}
    )
    response = await scheduler_client.get(f"/api/v1/plans/{created['id']}/preview?count=2", headers=ADMIN)
    assert response.status_code == 200
    rounds = response.json()["rounds"]
    assert len(rounds) == 2
    first, second = rounds
    assert first["period_key"] < second["period_key"]
    assert first["period_key"].endswith(("-Q1", "-Q2", "-Q3", "-Q4"))
    assert first["opens_at"].endswith("T09:00:00+08:00")
    assert first["opens_at"] < first["due_at"] <= first["grace_until"]
    assert len(first["reminders"]) == 1


@pytest.mark.parametrize("count", [0, 25, -1])
async def test_preview_count_outside_1_to_24_is_422(scheduler_client: httpx.AsyncClient, count: int) -> None:
    created = await create_plan(scheduler_client)
    response = await scheduler_client.get(f"/api/v1/plans/{created['id']}/preview?count={count}", headers=ADMIN)
    assert response.status_code == 422


async def test_patch_needs_if_match_and_a_current_version(scheduler_client: httpx.AsyncClient) -> None:
    created = await create_plan(scheduler_client)
    path = f"/api/v1/plans/{created['id']}"
    missing = await scheduler_client.patch(path, json={"name": "改名"}, headers=ADMIN)
    ok = await scheduler_client.patch(path, json={"name": "改名"}, headers=ADMIN | {"If-Match": '"1"'})
    stale = await scheduler_client.patch(path, json={"name": "再改"}, headers=ADMIN | {"If-Match": '"1"'})
    null = await scheduler_client.patch(path, json={"name": None}, headers=ADMIN | {"If-Match": '"2"'})
    assert (missing.status_code, ok.status_code, stale.status_code, null.status_code) == (428, 200, 412, 422)
    assert ok.headers["etag"] == '"2"'
    assert ok.json()["name"] == "改名"
    assert stale.json()["code"] == "precondition_failed"
    assert null.json()["code"] == "field_required"


async def test_editing_the_schedule_replaces_the_scheduled_rounds(scheduler_client: httpx.AsyncClient) -> None:
    created = await create_plan(scheduler_client)
    path = f"/api/v1/plans/{created['id']}"
    before = (await scheduler_client.get(f"/api/v1/rounds?plan_id={created['id']}", headers=ADMIN)).json()["items"]
    patch = {"schedule": {"kind": "quarterly", "day": 3}}
    response = await scheduler_client.patch(path, json=patch, headers=ADMIN | {"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.json()["period_kind"] == "quarter"
    after = (await scheduler_client.get(f"/api/v1/rounds?plan_id={created['id']}", headers=ADMIN)).json()["items"]
    assert {r["id"] for r in before}.isdisjoint({r["id"] for r in after})
    assert len(after) == 3
    assert all("-Q" in r["period_key"] for r in after)


async def test_pausing_drops_scheduled_rounds_and_next_tick(scheduler_client: httpx.AsyncClient) -> None:
    created = await create_plan(scheduler_client)
    response = await scheduler_client.patch(
        f"/api/v1/plans/{created['id']}", json={"status": "paused"}, headers=ADMIN | {"If-Match": '"1"'}
    )
    assert response.json()["next_tick_at"] is None
    rounds = await scheduler_client.get(f"/api/v1/rounds?plan_id={created['id']}", headers=ADMIN)
    assert rounds.json()["items"] == []


async def test_delete_needs_if_match_and_removes_the_plan(scheduler_client: httpx.AsyncClient) -> None:
    created = await create_plan(scheduler_client)
    path = f"/api/v1/plans/{created['id']}"
    stale = await scheduler_client.delete(path, headers=ADMIN | {"If-Match": '"7"'})
    deleted = await scheduler_client.delete(path, headers=ADMIN | {"If-Match": '"1"'})
    gone = await scheduler_client.get(path, headers=ADMIN)
    assert (stale.status_code, deleted.status_code, gone.status_code) == (412, 204, 404)


async def test_plans_outside_the_callers_region_are_404(scheduler_client: httpx.AsyncClient) -> None:
    created = await create_plan(scheduler_client, region_code="430100", scope={"kinds": ["enterprise"]})
    path = f"/api/v1/plans/{created['id']}"
    own = await scheduler_client.get(path, headers=auth("county", "430104"))
    other = await scheduler_client.get(path, headers=auth("city", "430200"))
    listed = await scheduler_client.get("/api/v1/plans", headers=auth("city", "430200"))
    assert (own.status_code, other.status_code) == (200, 404)
    assert listed.json()["items"] == []


async def test_calendar_year_marked_complete_makes_its_rounds_final(scheduler_client: httpx.AsyncClient) -> None:
    created = await create_plan(scheduler_client)
    before = (await scheduler_client.get(f"/api/v1/rounds?plan_id={created['id']}", headers=ADMIN)).json()["items"]
    years = {int(r["period_key"][:4]) for r in before if r["provisional"]} | {
        int(r["opens_at"][:4]) for r in before if r["provisional"]
    }
    for year in sorted(years):
        response = await scheduler_client.post("/api/v1/calendar/years", json={"year": year}, headers=ADMIN)
        assert response.status_code == 201, response.text
    again = await scheduler_client.post("/api/v1/calendar/years", json={"year": min(years)}, headers=ADMIN)
    assert again.status_code == 409
    after = (await scheduler_client.get(f"/api/v1/rounds?plan_id={created['id']}", headers=ADMIN)).json()["items"]
    assert [r["provisional"] for r in after] == [False] * len(after)


async def test_calendar_override_moves_a_due_date(scheduler_client: httpx.AsyncClient) -> None:
    created = await create_plan(scheduler_client)
    first = (await scheduler_client.get(f"/api/v1/plans/{created['id']}/preview?count=1", headers=ADMIN)).json()
    due_on = first["rounds"][0]["due_on"]
    response = await scheduler_client.post(
        "/api/v1/calendar/overrides", json={"day": due_on, "working": False, "note": "临时休息"}, headers=ADMIN
    )
    assert response.status_code == 201
    moved = (await scheduler_client.get(f"/api/v1/plans/{created['id']}/preview?count=1", headers=ADMIN)).json()
    assert moved["rounds"][0]["due_on"] > due_on
    forbidden = await scheduler_client.post(
        "/api/v1/calendar/overrides", json={"day": due_on, "working": True}, headers=auth("city", "430100")
    )
    assert forbidden.status_code == 403
