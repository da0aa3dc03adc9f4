"""`GET /tier-rules`: the programme's size rules as data, the same the API enforces."""

from __future__ import annotations

from typing import Any

import httpx

from shared.schemas.enums import EntityKind, Level
from shared.tiers import allowed_tiers
from tests.conftest import ADMIN, auth


async def _rules(client: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/tier-rules", params=params, headers=auth("viewer", "430100"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_every_kind_and_level_has_its_rules(client: httpx.AsyncClient) -> None:
    rules = await _rules(client)
    assert [(r["kind"], r["level"]) for r in rules] == [(k.value, lv.value) for k in EntityKind for lv in Level]
    for rule in rules:
        kind, level = EntityKind(rule["kind"]), Level(rule["level"])
        assert [t["code"] for t in rule["allowed_tiers"]] == [t.value for t in allowed_tiers(kind, level)]


async def test_province_enterprises_read_as_the_policy_states_them(client: httpx.AsyncClient) -> None:
    [rule] = await _rules(client, kind="enterprise", level="province")
    assert rule["programme_tier"] == {"code": "hundred_billion", "label": "千亿级", "threshold_yi": "1000"}
    assert rule["echelons"] == [
        {"code": "eighty_billion", "label": "800亿级", "threshold_yi": "800"},
        {"code": "fifty_billion", "label": "500亿级", "threshold_yi": "500"},
    ]
    assert rule["growth_band"] == {"low_yi": "100", "high_yi": "1000"}
    assert [p["code"] for p in rule["pathways"]] == ["consolidate", "attract", "nurture", "merge"]
    assert rule["sized_by"] == [{"code": "revenue", "label": "营业收入"}, {"code": "output", "label": "产值"}]


async def test_projects_are_sized_by_investment_and_have_no_band(client: httpx.AsyncClient) -> None:
    [rule] = await _rules(client, kind="project", level="county")
    assert rule["programme_tier"] == {"code": "hundred_million", "label": "亿元级", "threshold_yi": "1"}
    assert (rule["echelons"], rule["growth_band"]) == ([], None)
    assert rule["sized_by"] == [{"code": "total_investment", "label": "总投资"}]
    assert len(rule["pathways"]) == 5


async def test_tier_rules_need_a_token_and_refuse_unknown_filters(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/tier-rules")).status_code == 401
    bad = await client.get("/api/v1/tier-rules", params={"tier": "trillion"}, headers=ADMIN)
    assert (bad.status_code, bad.json()["errors"][0]["code"]) == (422, "extra_forbidden")
