"""Supervision rules and the scoring profile as versioned data the programme office changes."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.scheduler.rule_versions.service import CHECKED_RULES
from shared.db import Database
from tests.conftest import ADMIN, auth, scheduler_factory, scheduler_settings
from tests.harness import asgi_client, started
from tests.scheduler.helpers import insert_plan, insert_round

RULES = "/api/v1/supervision-rules"
PROFILE = "/api/v1/scoring-profile"


def if_match(version: int) -> dict[str, str]:
    return ADMIN | {"If-Match": f'"{version}"'}


async def test_every_rule_the_sweep_reads_is_listed_at_its_seeded_version(scheduler_client: httpx.AsyncClient) -> None:
    response = await scheduler_client.get(RULES, headers=auth("viewer"))
    assert response.status_code == 200, response.text
    rules = {r["code"]: r for r in response.json()["items"]}
    assert set(rules) == CHECKED_RULES
    assert {r["version"] for r in rules.values()} == {1}
    assert rules["report_deadline"]["parameters"] == {"blue_within_days": 3, "red_overdue_days": 3}


async def test_a_change_is_a_new_version_merged_into_the_old_and_the_old_kept(
    scheduler_client: httpx.AsyncClient,
) -> None:
    path = f"{RULES}/report_deadline"
    missing = await scheduler_client.patch(path, json={"parameters": {"blue_within_days": 5}}, headers=ADMIN)
    city = await scheduler_client.patch(
        path, json={"parameters": {"blue_within_days": 5}}, headers=auth("city", "430100") | {"If-Match": '"1"'}
    )
    changed = await scheduler_client.patch(path, json={"parameters": {"blue_within_days": 5}}, headers=if_match(1))
    stale = await scheduler_client.patch(path, json={"parameters": {"blue_within_days": 6}}, headers=if_match(1))
    assert [r.status_code for r in (missing, city, changed, stale)] == [428, 403, 200, 412]
    assert (changed.json()["version"], changed.json()["parameters"], changed.headers["ETag"]) == (
        2,
        {"blue_within_days": 5, "red_overdue_days": 3},
        '"2"',
    )
    versions = (await scheduler_client.get(f"{path}/versions", headers=ADMIN)).json()["items"]
    assert [(v["version"], v["active"]) for v in versions] == [(2, True), (1, False)]
    assert versions[1]["parameters"] == {"blue_within_days": 3, "red_overdue_days": 3}
    current = await scheduler_client.get(path, headers=ADMIN)
    assert (current.json()["version"], current.headers["ETag"]) == (2, '"2"')
    audit = await scheduler_client.get(
        "/api/v1/audit-events", params={"resource_type": "supervision_rule"}, headers=ADMIN
    )
    [event] = audit.json()["items"]
    assert (event["resource_id"], event["before"]["version"], event["after"]["version"]) == ("report_deadline", 1, 2)


async def test_parameters_the_sweep_would_refuse_are_refused_and_change_nothing(
    scheduler_client: httpx.AsyncClient,
) -> None:
    ladder = await scheduler_client.patch(
        f"{RULES}/investment_lag", json={"parameters": {"yellow_below": "0.5"}}, headers=if_match(1)
    )
    unknown = await scheduler_client.patch(
        f"{RULES}/investment_lag", json={"parameters": {"purple_below": "0.5"}}, headers=if_match(1)
    )
    wrong_type = await scheduler_client.patch(
        f"{RULES}/report_deadline", json={"parameters": {"red_overdue_days": 0}}, headers=if_match(1)
    )
    no_rule = await scheduler_client.patch(f"{RULES}/no_such_rule", json={"parameters": {}}, headers=if_match(1))
    assert [(r.status_code, r.json()["code"]) for r in (ladder, unknown, wrong_type, no_rule)] == [
        (422, "rule_parameters_invalid"),
        (422, "parameter_unknown"),
        (422, "rule_parameters_invalid"),
        (404, "rule_not_found"),
    ]
    assert unknown.json()["errors"][0]["field"] == "parameters.purple_below"
    assert wrong_type.json()["errors"][0]["field"] == "parameters.red_overdue_days"
    for code in ("investment_lag", "report_deadline"):
        assert (await scheduler_client.get(f"{RULES}/{code}", headers=ADMIN)).json()["version"] == 1


async def test_concurrent_changes_against_one_version_make_one_new_version(
    database_url: str, engine: AsyncEngine, registry_app: Any
) -> None:
    """Each request commits for real; the rule is put back as it was afterwards."""
    settings = scheduler_settings(database_url)
    try:
        async with (
            started(scheduler_factory(registry_app), settings, Database.on(engine)) as app,
            asgi_client(app, "scheduler") as client,
        ):
            responses = await asyncio.gather(
                *(
                    client.patch(
                        f"{RULES}/problem_overdue",
                        json={"parameters": {"red_overdue_days": 5 + n}},
                        headers=if_match(1),
                    )
                    for n in range(5)
                )
            )
            versions = (await client.get(f"{RULES}/problem_overdue/versions", headers=ADMIN)).json()["items"]
        assert sorted(r.status_code for r in responses) == [200, 412, 412, 412, 412]
        assert [v["version"] for v in versions] == [2, 1]
    finally:
        async with engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM scheduler.supervision_rule WHERE code = 'problem_overdue' AND version > 1")
            )
            await conn.execute(
                text("UPDATE scheduler.supervision_rule SET active = true WHERE code = 'problem_overdue'")
            )


async def test_a_new_scoring_profile_scores_the_summaries_read_after_it(
    scheduler_client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    plan = await insert_plan(db_connection)
    round_id = await insert_round(db_connection, plan, "2026-06", dt.date(2026, 7, 10))
    profile = await scheduler_client.get(PROFILE, headers=ADMIN)
    assert (profile.json()["version"], profile.json()["cutoffs"]) == (
        1,
        {"excellent": "90", "good": "80", "fair": "60"},
    )
    inverted = await scheduler_client.patch(PROFILE, json={"cutoffs": {"good": "95"}}, headers=if_match(1))
    assert (inverted.status_code, inverted.json()["code"]) == (422, "scoring_cutoffs_invalid")
    changed = await scheduler_client.patch(
        PROFILE, json={"cutoffs": {"excellent": "85"}, "weights": {"findings": "10"}}, headers=if_match(1)
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["cutoffs"] == {"excellent": "85", "good": "80", "fair": "60"}
    summary = (await scheduler_client.get(f"/api/v1/rounds/{round_id}/summary", headers=ADMIN)).json()
    assert (summary["scoring"]["version"], summary["scoring"]["cutoffs"]["excellent"]) == (2, "85")
    assert summary["scoring"]["weights"]["findings"] == "10"
