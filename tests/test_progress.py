"""Targets as data and progress against them: exact counts by tier, echelon, growth band and target."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from services.registry.progress.repository import LADDER_SQL, CubeQuery, cube_statement
from tests import factories
from tests.conftest import ADMIN, auth

AS_OF = "2025-06-30"
LISTED_ON = "2024-01-01"
CITY_430100 = auth("city", "430100")


# ---- helpers ------------------------------------------------------------------------------------


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> str:
    response = await client.post(f"/api/v1/{path}", json={"listed_on": LISTED_ON} | body, headers=ADMIN)
    assert response.status_code == 201, response.text
    entity_id: str = response.json()["id"]
    return entity_id


async def record(
    client: httpx.AsyncClient, entity_id: str, value: str, *, year: int = 2024, metric: str = "revenue", **extra: Any
) -> None:
    body = {"entity_id": entity_id, "metric": metric, "year": year, "value": value} | extra
    response = await client.post("/api/v1/metrics", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text


async def province_industry(client: httpx.AsyncClient, value: str | None = None, **overrides: Any) -> str:
    entity_id = await create(client, "industries", factories.industry(**overrides))
    if value is not None:
        await record(client, entity_id, value)
    return entity_id


async def enterprise(client: httpx.AsyncClient, n: int, value: str | None = None, **overrides: Any) -> str:
    entity_id = await create(client, "enterprises", factories.enterprise(n, **overrides))
    if value is not None:
        await record(client, entity_id, value)
    return entity_id


def province_enterprise(n: int) -> dict[str, Any]:
    return {
        "level": "province",
        "region_code": "430000",
        "target_tier": "hundred_billion",
        "uscc": factories.make_uscc(n),
    }


def county_enterprise(n: int) -> dict[str, Any]:
    return {"level": "county", "region_code": "430102", "target_tier": "billion", "uscc": factories.make_uscc(n)}


async def progress(client: httpx.AsyncClient, headers: dict[str, str] = ADMIN, **params: str) -> dict[str, Any]:
    response = await client.get("/api/v1/progress", params={"as_of": AS_OF} | params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def tiers(body: dict[str, Any]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(kind, level, tier) → (listed, achieved), rows with anything to count only."""
    return {
        (t["kind"], t["level"], t["tier"]): (t["listed"], t["achieved"])
        for t in body["tiers"]
        if t["listed"] or t["achieved"]
    }


def echelons(body: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(e["kind"], e["tier"]): e["count"] for e in body["echelons"]}


def bands(body: dict[str, Any]) -> dict[str, int]:
    return {b["level"]: b["count"] for b in body["growth_bands"]}


def targets(body: dict[str, Any]) -> dict[tuple[str, str, str, str | None], tuple[int, int, bool]]:
    """(horizon, kind, tier, domain) → (achieved, gap, met)."""
    return {
        (p["target"]["horizon"], p["target"]["kind"], p["target"]["tier"], p["target"]["domain"]): (
            p["achieved"],
            p["gap"],
            p["met"],
        )
        for p in body["targets"]
    }


async def adjust(
    db_session: async_sessionmaker[AsyncSession], entity_id: str, action: str, effective_on: str, **to: str
) -> None:
    """A roster adjustment written straight into the test's transaction (the roster API has its own tests)."""
    async with db_session() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO registry.roster_adjustment (entity_id, action, reason, effective_on, actor_sub,"
                " to_level, to_region_code, to_tier, status_after)"
                " SELECT id, :action, 'test', :on, 'test', :level, :region, :tier, :status"
                " FROM registry.entity WHERE id = :id"
            ),
            {
                "id": entity_id,
                "action": action,
                "on": dt.date.fromisoformat(effective_on),
                "level": to["level"],
                "region": to["region"],
                "tier": to["tier"],
                "status": to.get("status", "listed"),
            },
        )


# ---- targets as data ----------------------------------------------------------------------------


async def list_targets(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/targets", params={"limit": 200} | params, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_seeded_targets_are_listed_by_horizon_kind_level_and_domain(client: httpx.AsyncClient) -> None:
    assert len(await list_targets(client)) == 17
    assert len(await list_targets(client, horizon="2025")) == 14
    interim = await list_targets(client, horizon="interim-3y")
    assert sorted((t["kind"], t["min_count"], t["max_count"]) for t in interim) == [
        ("enterprise", 6, None),
        ("industry", 5, 5),
        ("project", 60, 60),
    ]
    assert {t["year"] for t in interim} == {2024}
    assert len(await list_targets(client, horizon="2025", kind="project")) == 5
    agriculture = await list_targets(client, horizon="2025", domain="agriculture")
    assert sorted((t["kind"], t["min_count"], t["max_count"]) for t in agriculture) == [
        ("enterprise", 1, 1),
        ("industry", 1, 1),
        ("project", 1, 2),
    ]
    assert len(await list_targets(client, year=2024)) == 3
    assert await list_targets(client, level="city") == []


async def test_targets_page_by_cursor_without_repeats(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 5, "sort": "-year"} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/api/v1/targets", params=params, headers=ADMIN)).json()
        seen += [t["id"] for t in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert len(seen) == len(set(seen)) == 17


async def test_unknown_target_filter_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/targets", params={"tier": "trillion"}, headers=ADMIN)
    assert response.status_code == 422


async def test_any_role_reads_a_target_with_its_etag(client: httpx.AsyncClient) -> None:
    first = (await list_targets(client, horizon="interim-3y", kind="industry"))[0]
    response = await client.get(f"/api/v1/targets/{first['id']}", headers=auth("viewer", "430102"))
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert response.json() == first
    assert first["source"] == "湘政办发〔2022〕4号 三、总体目标"


async def test_unknown_target_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/targets/00000000-0000-0000-0000-000000000000", headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["code"] == "target_not_found"


NEW_TARGET = {
    "horizon": "2027",
    "year": 2027,
    "kind": "industry",
    "level": "province",
    "tier": "eight_hundred_billion",
    "min_count": 2,
    "note": "8000亿级梯队",
}


async def test_admin_creates_a_target_with_location_etag_audit_and_feed_event(
    client: httpx.AsyncClient, db_session: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post("/api/v1/targets", json=NEW_TARGET, headers=ADMIN)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/api/v1/targets/{created['id']}"
    assert response.headers["etag"] == '"1"'
    assert created | {"id": None} == NEW_TARGET | {
        "id": None,
        "domain": None,
        "max_count": None,
        "source": "",
        "version": 1,
    }
    assert (await client.get(f"/api/v1/targets/{created['id']}", headers=ADMIN)).json() == created
    audit = (
        await client.get(
            "/api/v1/audit-events", params={"resource_type": "target", "resource_id": created["id"]}, headers=ADMIN
        )
    ).json()["items"]
    assert [(a["action"], a["after"]) for a in audit] == [("create", created)]
    async with db_session() as session:
        events = await session.execute(
            text(
                "SELECT action, payload FROM registry.change_event WHERE resource_type = 'target' AND resource_id = :id"
            ),
            {"id": created["id"]},
        )
        assert [tuple(e) for e in events] == [("created", created)]


async def test_create_target_replays_with_the_same_idempotency_key(client: httpx.AsyncClient) -> None:
    headers = ADMIN | {"Idempotency-Key": "target-2027-echelon"}
    first = await client.post("/api/v1/targets", json=NEW_TARGET, headers=headers)
    again = await client.post("/api/v1/targets", json=NEW_TARGET, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(await list_targets(client, horizon="2027")) == 1


async def test_only_admin_writes_targets(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/targets", json=NEW_TARGET, headers=CITY_430100)
    assert response.status_code == 403
    assert response.json()["code"] == "role_admin_required"
    seeded = (await list_targets(client, horizon="interim-3y", kind="industry"))[0]
    for method in ("PATCH", "DELETE"):
        response = await client.request(
            method,
            f"/api/v1/targets/{seeded['id']}",
            json={"min_count": 1} if method == "PATCH" else None,
            headers=auth("department", department="industry-it") | {"If-Match": '"1"'},
        )
        assert response.status_code == 403, method
    assert (await client.get(f"/api/v1/targets/{seeded['id']}", headers=ADMIN)).json() == seeded


async def test_target_tier_not_allowed_for_kind_and_level_is_422(client: httpx.AsyncClient) -> None:
    for kind, level, tier in (
        ("enterprise", "city", "trillion"),
        ("industry", "city", "eight_hundred_billion"),
        ("project", "province", "hundred_billion"),
    ):
        body = NEW_TARGET | {"kind": kind, "level": level, "tier": tier}
        response = await client.post("/api/v1/targets", json=body, headers=ADMIN)
        assert response.status_code == 422, (kind, level, tier)
        assert response.json()["errors"][0]["field"] == "tier"
        assert response.json()["code"] == "tier_not_allowed"
    assert await list_targets(client, horizon="2027") == []


async def test_same_goal_twice_in_a_period_is_409_naming_the_existing_target(client: httpx.AsyncClient) -> None:
    seeded = (await list_targets(client, horizon="2025", kind="industry", domain="agriculture"))[0]
    body = {k: seeded[k] for k in ("horizon", "year", "kind", "level", "tier", "domain")} | {"min_count": 3}
    response = await client.post("/api/v1/targets", json=body, headers=ADMIN)
    assert response.status_code == 409
    assert response.json()["code"] == "target_duplicate"
    assert response.json()["existing_id"] == seeded["id"]
    # the all-domains target of that period is another goal, and so is another domain
    other = await client.post("/api/v1/targets", json=body | {"domain": "services"}, headers=ADMIN)
    assert other.status_code == 201, other.text


async def test_update_target_needs_if_match_and_rejects_stale_versions(client: httpx.AsyncClient) -> None:
    target = (await list_targets(client, horizon="interim-3y", kind="project"))[0]
    url = f"/api/v1/targets/{target['id']}"
    missing = await client.patch(url, json={"min_count": 65}, headers=ADMIN)
    assert missing.status_code == 428
    changed = await client.patch(url, json={"min_count": 58, "note": "调整"}, headers=ADMIN | {"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    assert changed.json() == target | {"min_count": 58, "note": "调整", "version": 2}
    stale = await client.patch(url, json={"min_count": 59}, headers=ADMIN | {"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["version"] == 2
    cleared = await client.patch(url, json={"max_count": None}, headers=ADMIN | {"If-Match": '"2"'})
    assert cleared.json()["max_count"] is None
    audit = (
        await client.get(
            "/api/v1/audit-events", params={"resource_type": "target", "resource_id": target["id"]}, headers=ADMIN
        )
    ).json()["items"]
    assert [(a["action"], a["before"]["version"], a["after"]["version"]) for a in audit] == [
        ("update", 2, 3),
        ("update", 1, 2),
    ]


async def test_update_target_rejects_an_inverted_range_and_nulls(client: httpx.AsyncClient) -> None:
    target = (await list_targets(client, horizon="interim-3y", kind="industry"))[0]  # 5..5
    url = f"/api/v1/targets/{target['id']}"
    inverted = await client.patch(url, json={"min_count": 6}, headers=ADMIN | {"If-Match": '"1"'})
    assert inverted.status_code == 422
    assert inverted.json()["code"] == "target_range_invalid"
    null = await client.patch(url, json={"min_count": None}, headers=ADMIN | {"If-Match": '"1"'})
    assert null.status_code == 422
    assert null.json()["code"] == "null_not_allowed"
    assert (await client.get(url, headers=ADMIN)).json() == target


async def test_delete_target_needs_the_current_version(client: httpx.AsyncClient) -> None:
    target = (await list_targets(client, horizon="interim-3y", kind="enterprise"))[0]
    url = f"/api/v1/targets/{target['id']}"
    assert (await client.delete(url, headers=ADMIN)).status_code == 428
    assert (await client.delete(url, headers=ADMIN | {"If-Match": '"7"'})).status_code == 412
    assert (await client.delete(url, headers=ADMIN | {"If-Match": '"1"'})).status_code == 204
    assert (await client.get(url, headers=ADMIN)).status_code == 404
    assert len(await list_targets(client)) == 16


# ---- progress -----------------------------------------------------------------------------------


async def test_progress_without_entities_lists_every_tier_band_and_target_at_zero(client: httpx.AsyncClient) -> None:
    body = await progress(client)
    assert body["as_of"] == AS_OF
    assert [(t["kind"], t["level"], t["tier"]) for t in body["tiers"]] == [
        ("industry", "province", "trillion"),
        ("industry", "province", "eight_hundred_billion"),
        ("industry", "province", "five_hundred_billion"),
        ("industry", "city", "hundred_billion"),
        ("industry", "county", "ten_billion"),
        ("enterprise", "province", "hundred_billion"),
        ("enterprise", "province", "eighty_billion"),
        ("enterprise", "province", "fifty_billion"),
        ("enterprise", "city", "ten_billion"),
        ("enterprise", "county", "billion"),
        ("project", "province", "ten_billion"),
        ("project", "city", "billion"),
        ("project", "county", "hundred_million"),
    ]
    assert tiers(body) == {}
    assert echelons(body) == {
        ("industry", "eight_hundred_billion"): 0,
        ("industry", "five_hundred_billion"): 0,
        ("enterprise", "eighty_billion"): 0,
        ("enterprise", "fifty_billion"): 0,
    }
    assert body["growth_bands"] == [
        {"level": "province", "low": "100", "high": "1000", "count": 0},
        {"level": "city", "low": "10", "high": "100", "count": 0},
        {"level": "county", "low": "1", "high": "10", "count": 0},
    ]
    assert len(body["targets"]) == 17
    total = targets(body)[("2025", "project", "ten_billion", None)]
    assert total == (0, 80, False)


async def test_progress_as_of_defaults_to_today_in_shanghai(client: httpx.AsyncClient) -> None:
    before = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    response = await client.get("/api/v1/progress", headers=ADMIN)
    after = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert response.status_code == 200
    assert response.json()["as_of"] in {before, after}


async def test_progress_counts_listed_and_achieved_before_and_after_metrics(client: httpx.AsyncClient) -> None:
    industry = await province_industry(client)
    city_enterprise = await enterprise(client, 1)  # city, target 百亿级
    county = await enterprise(client, 2, **county_enterprise(2))
    await create(client, "projects", factories.project(1, total_investment="1"))  # county, 亿元级: achieved
    await create(client, "projects", factories.project(2, total_investment="0.9999"))
    await create(
        client,
        "projects",
        factories.project(3, level="province", region_code="430000", target_tier="ten_billion", total_investment="150"),
    )
    before = await progress(client)
    assert tiers(before) == {
        ("industry", "province", "trillion"): (1, 0),
        ("enterprise", "city", "ten_billion"): (1, 0),
        ("enterprise", "county", "billion"): (1, 0),
        ("project", "county", "hundred_million"): (2, 1),
        ("project", "province", "ten_billion"): (1, 1),
    }
    await record(client, industry, "10000")
    await record(client, city_enterprise, "99.9999")
    await record(client, county, "10")
    after = await progress(client)
    assert tiers(after) == {
        ("industry", "province", "trillion"): (1, 1),
        ("enterprise", "city", "ten_billion"): (1, 0),
        ("enterprise", "county", "billion"): (1, 1),
        ("project", "county", "hundred_million"): (2, 1),
        ("project", "province", "ten_billion"): (1, 1),
    }
    assert bands(after) == {"province": 0, "city": 1, "county": 0}
    got = targets(after)
    assert got[("2025", "industry", "trillion", None)] == (1, 5, False)
    assert got[("2025", "industry", "trillion", "industry_it")] == (1, 3, False)
    assert got[("2025", "project", "ten_billion", None)] == (1, 79, False)


async def test_size_is_the_latest_annual_revenue_else_output_up_to_the_year_of_as_of(
    client: httpx.AsyncClient,
) -> None:
    a = await province_industry(client)
    await record(client, a, "9000", year=2023)
    await record(client, a, "11000", year=2024, metric="output")  # a newer year wins, output or not
    b = await province_industry(client)
    await record(client, b, "11000", year=2024, metric="output")
    await record(client, b, "9000", year=2024)  # revenue wins within a year
    c = await province_industry(client)
    await record(client, c, "11000", year=2024)
    await record(client, c, "8500", year=2024)  # the latest revision of the period
    await record(client, c, "20000", year=2024, month=6)  # monthly values do not size an entity
    d = await province_industry(client)
    await record(client, d, "5000", year=2023)
    await record(client, d, "12000", year=2025)  # after as_of's year: not yet known on 2024-12-31
    body = await progress(client, as_of="2024-12-31")
    assert tiers(body) == {("industry", "province", "trillion"): (4, 1)}
    assert echelons(body) == {
        ("industry", "eight_hundred_billion"): 2,
        ("industry", "five_hundred_billion"): 1,
        ("enterprise", "eighty_billion"): 0,
        ("enterprise", "fifty_billion"): 0,
    }
    assert tiers(await progress(client, as_of="2025-01-01")) == {("industry", "province", "trillion"): (4, 2)}


async def test_echelons_count_the_highest_echelon_reached_below_the_programme_tier(client: httpx.AsyncClient) -> None:
    for value in ("4999.9999", "5000", "7999.9999", "8000", "9999.9999", "10000", "12000"):
        await province_industry(client, value, target_tier="eight_hundred_billion")
    for n, value in enumerate(("499.9999", "500", "799.9999", "800", "999.9999", "1000"), start=1):
        await enterprise(client, n, value, **province_enterprise(n))
    body = await progress(client)
    assert echelons(body) == {
        ("industry", "eight_hundred_billion"): 2,  # 8000, 9999.9999
        ("industry", "five_hundred_billion"): 2,  # 5000, 7999.9999
        ("enterprise", "eighty_billion"): 2,  # 800, 999.9999
        ("enterprise", "fifty_billion"): 2,  # 500, 799.9999
    }
    assert tiers(body) == {
        ("industry", "province", "eight_hundred_billion"): (7, 4),
        ("enterprise", "province", "hundred_billion"): (6, 1),
    }
    assert targets(body)[("2025", "industry", "trillion", None)] == (2, 4, False)


async def test_growth_bands_are_low_inclusive_high_exclusive(client: httpx.AsyncClient) -> None:
    values = {
        "province": ("99.9999", "100", "999.9999", "1000"),
        "city": ("9.9999", "10", "99.9999", "100"),
        "county": ("0.9999", "1", "9.9999", "10"),
    }
    n = 0
    for level, amounts in values.items():
        for value in amounts:
            n += 1
            overrides = {"province": province_enterprise(n), "county": county_enterprise(n)}.get(level, {})
            await enterprise(client, n, value, **overrides)
    await province_industry(client, "500")  # industries are never in a growth band
    body = await progress(client)
    assert bands(body) == {"province": 2, "city": 2, "county": 2}
    assert echelons(body)[("enterprise", "fifty_billion")] == 0
    city = await progress(client, level="city")
    assert city["growth_bands"] == [{"level": "city", "low": "10", "high": "100", "count": 2}]
    assert city["echelons"] == []
    assert {t["level"] for t in city["tiers"]} == {"city"}
    assert tiers(city) == {("enterprise", "city", "ten_billion"): (4, 1)}
    assert city["targets"] == []  # every seeded target is a province one


async def test_as_of_reads_the_roster_state_of_that_day(
    client: httpx.AsyncClient, db_session: async_sessionmaker[AsyncSession]
) -> None:
    later = await create(client, "enterprises", factories.enterprise(1) | {"listed_on": "2025-03-01"})
    await record(client, later, "150")
    promoted = await enterprise(client, 2, "1200")
    await adjust(
        db_session, promoted, "promote", "2025-02-01", level="province", region="430000", tier="hundred_billion"
    )
    removed = await enterprise(client, 3, "50")
    await adjust(
        db_session, removed, "remove", "2025-04-01", level="city", region="430100", tier="ten_billion", status="removed"
    )
    assert tiers(await progress(client, as_of="2023-12-31")) == {}
    assert tiers(await progress(client, as_of="2025-01-31")) == {("enterprise", "city", "ten_billion"): (2, 1)}
    assert tiers(await progress(client, as_of="2025-03-01")) == {
        ("enterprise", "city", "ten_billion"): (2, 1),
        ("enterprise", "province", "hundred_billion"): (1, 1),
    }
    assert tiers(await progress(client, as_of="2025-04-01")) == {
        ("enterprise", "city", "ten_billion"): (1, 1),
        ("enterprise", "province", "hundred_billion"): (1, 1),
    }
    assert targets(await progress(client, as_of="2025-04-01"))[("2025", "enterprise", "hundred_billion", None)] == (
        1,
        7,
        False,
    )


async def test_region_filter_and_caller_scope_include_descendants_only(client: httpx.AsyncClient) -> None:
    await enterprise(client, 1, "20")  # 430100 长沙市
    await enterprise(client, 2, "5", **county_enterprise(2))  # 430102, in 长沙市
    await enterprise(client, 3, "20", region_code="430200", uscc=factories.make_uscc(3, "430200"))
    await enterprise(client, 4, "1500", **province_enterprise(4))
    everything = await progress(client)
    assert tiers(everything) == {
        ("enterprise", "city", "ten_billion"): (2, 0),
        ("enterprise", "county", "billion"): (1, 0),
        ("enterprise", "province", "hundred_billion"): (1, 1),
    }
    changsha = {("enterprise", "city", "ten_billion"): (1, 0), ("enterprise", "county", "billion"): (1, 0)}
    assert tiers(await progress(client, region="430100")) == changsha
    assert tiers(await progress(client, region="430102")) == {("enterprise", "county", "billion"): (1, 0)}
    assert tiers(await progress(client, headers=CITY_430100)) == changsha
    assert bands(await progress(client, headers=CITY_430100)) == {"province": 0, "city": 1, "county": 1}
    # a caller cannot widen its scope with the filter
    assert tiers(await progress(client, headers=CITY_430100, region="430000")) == changsha
    assert tiers(await progress(client, headers=CITY_430100, region="430200")) == {}
    viewer = await progress(client, headers=auth("viewer", "430102"))
    assert tiers(viewer) == {("enterprise", "county", "billion"): (1, 0)}
    assert targets(viewer)[("2025", "enterprise", "hundred_billion", None)] == (0, 8, False)


async def test_domain_filter_counts_that_domain_and_compares_its_targets(client: httpx.AsyncClient) -> None:
    await province_industry(client, "10500", domain="agriculture", pathway="integration")
    await province_industry(client, "10500")  # industry_it
    await province_industry(client, "9000", domain="agriculture")
    body = await progress(client, domain="agriculture")
    assert tiers(body) == {("industry", "province", "trillion"): (2, 1)}
    assert targets(body) == {
        ("2025", "industry", "trillion", "agriculture"): (1, 0, True),
        ("2025", "enterprise", "hundred_billion", "agriculture"): (0, 1, False),
        ("2025", "project", "ten_billion", "agriculture"): (0, 1, False),
    }
    everything = targets(await progress(client))
    assert everything[("2025", "industry", "trillion", None)] == (2, 4, False)
    assert everything[("2025", "industry", "trillion", "industry_it")] == (1, 3, False)
    assert everything[("2025", "industry", "trillion", "construction")] == (0, 1, False)
    assert everything[("interim-3y", "industry", "trillion", None)] == (2, 3, False)


async def test_chain_filter_counts_the_entities_on_that_chain(client: httpx.AsyncClient) -> None:
    chains = (await client.get("/api/v1/chains", params={"limit": 2}, headers=ADMIN)).json()["items"]
    on_chain, other_chain = chains[0]["id"], chains[1]["id"]
    await province_industry(client, "10000", chain_ids=[on_chain])
    await province_industry(client, "10000", chain_ids=[other_chain])
    await enterprise(client, 1, "100", chain_ids=[on_chain, other_chain])
    await enterprise(client, 2, "100")
    body = await progress(client, chain=on_chain)
    assert tiers(body) == {
        ("industry", "province", "trillion"): (1, 1),
        ("enterprise", "city", "ten_billion"): (1, 1),
    }
    assert targets(body)[("2025", "industry", "trillion", None)] == (1, 5, False)


async def test_targets_count_reaching_their_tier_whatever_the_entities_own_target(client: httpx.AsyncClient) -> None:
    # an echelon-targeted industry that reached 万亿级 counts toward the 万亿级 target
    await province_industry(client, "10000", target_tier="eight_hundred_billion")
    for _ in range(3):
        await province_industry(client, "12000", domain="agriculture")
    # a city industry of 万亿级 size is not a province industry
    await province_industry(client, "15000", level="city", region_code="430100", target_tier="hundred_billion")
    body = await progress(client, horizon="2025")
    assert {p["target"]["horizon"] for p in body["targets"]} == {"2025"}
    got = targets(body)
    assert got[("2025", "industry", "trillion", None)] == (4, 2, False)
    assert got[("2025", "industry", "trillion", "agriculture")] == (3, 0, True)
    assert got[("2025", "industry", "trillion", "industry_it")] == (1, 3, False)
    assert tiers(body) == {
        ("industry", "province", "trillion"): (3, 3),
        ("industry", "province", "eight_hundred_billion"): (1, 1),
        ("industry", "city", "hundred_billion"): (1, 1),
    }
    created = await client.post(
        "/api/v1/targets",
        json={
            "horizon": "2025",
            "year": 2025,
            "kind": "industry",
            "level": "city",
            "tier": "hundred_billion",
            "min_count": 1,
        },
        headers=ADMIN,
    )
    assert created.status_code == 201
    assert targets(await progress(client, horizon="2025"))[("2025", "industry", "hundred_billion", None)] == (
        1,
        0,
        True,
    )


async def test_progress_rejects_unknown_parameters_and_bad_values(client: httpx.AsyncClient) -> None:
    for params in ({"kind": "industry"}, {"region": "4301"}, {"as_of": "2025-13-01"}, {"chain": "x"}):
        response = await client.get("/api/v1/progress", params=params, headers=ADMIN)
        assert response.status_code == 422, params
    assert (await client.get("/api/v1/progress")).status_code == 401


async def test_the_cube_groups_by_the_very_bucket_its_statistics_are_on(db_connection: AsyncConnection) -> None:
    """The planner uses the cube's extended statistics (migration 0011) only if the statement's size bucket
    is the statistics' expression exactly: compared as PostgreSQL reads them, through a second statistics
    object on the statement's own expression."""
    cube = cube_statement(CubeQuery(as_of=dt.date(2026, 12, 6), current=True))
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    assert f"width_bucket(registry.entity.size_value, {LADDER_SQL})" in str(cube.compile(dialect=dialect))
    await db_connection.execute(
        text(
            f"CREATE STATISTICS registry.bucket_probe ON (width_bucket(size_value, {LADDER_SQL})) FROM registry.entity"
        )
    )
    expressions = text(
        "SELECT pg_get_statisticsobjdef_expressions(s.oid) FROM pg_statistic_ext AS s"
        " JOIN pg_namespace AS n ON n.oid = s.stxnamespace WHERE n.nspname = 'registry' AND s.stxname = :name"
    )
    (bucket,) = await db_connection.scalar(expressions, {"name": "bucket_probe"})
    assert bucket.startswith("width_bucket(size_value, ")
    assert await db_connection.scalar(expressions, {"name": "entity_size_cube"}) == [bucket]
