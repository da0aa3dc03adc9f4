"""The size rules' SQL (pace_below_tier, promotion_candidate) agrees with `rules.py` on hand-computed
cases: each colour is stated here by hand, and each explanation must equal the reference function's."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduler.models import Finding, Round, table
from services.scheduler.rules import Colour, ElapsedBasis, LagParams, pace_below_tier, promotion_candidate
from shared.schemas.enums import EntityKind, Level, Tier
from tests.conftest import ADMIN
from tests.scheduler.helpers import insert_plan, insert_round, insert_task
from tests.scheduler.test_findings_sql import at, evaluate

PACE = {"yellow_below": "1", "red_below": "0.8", "basis": "months"}


async def accepted(
    conn: AsyncConnection, round_id: uuid.UUID, plan: uuid.UUID, entity: uuid.UUID, figures: dict[str, str], **kw: Any
) -> uuid.UUID:
    values = {"entity_kind": "enterprise", "level": "county", "tier": "billion"} | kw
    return await insert_task(
        conn, round_id, plan, entity, state="accepted", figures=figures, accepted_at=at("2026-07-05"), **values
    )


async def test_pace_below_tier_against_the_tier_threshold(db_connection: AsyncConnection, db_session: Any) -> None:
    plan = await insert_plan(db_connection)
    may = await insert_round(db_connection, plan, "2026-05", dt.date(2026, 6, 8))
    june = await insert_round(db_connection, plan, "2026-06", dt.date(2026, 7, 8))
    # 十亿级 (10亿) on 06-30 by months is 5亿 of pace: yellow below 1 × 5, red below 0.8 × 5 = 4, exactly.
    sizes = {"5": None, "4.9999": Colour.yellow, "4": Colour.yellow, "3.9999": Colour.red}
    entities: dict[uuid.UUID, tuple[str, Tier, Colour | None]] = {}
    for size, colour in sizes.items():
        entity = uuid.uuid4()
        entities[entity] = (size, Tier.billion, colour)
        await accepted(db_connection, may, plan, entity, {"revenue_ytd": "0.5"})  # superseded by June's
        await accepted(db_connection, june, plan, entity, {"revenue_ytd": size})
    # Revenue, else output, sizes an entity (as the registry does); an industry's tier is its own.
    both = uuid.uuid4()
    entities[both] = ("3", Tier.billion, Colour.red)
    await accepted(db_connection, june, plan, both, {"revenue_ytd": "3", "output_ytd": "9"})
    industry = uuid.uuid4()
    entities[industry] = ("50", Tier.ten_billion, None)
    await accepted(
        db_connection, june, plan, industry, {"output_ytd": "50"}, entity_kind="industry", tier="ten_billion"
    )
    await insert_task(db_connection, june, plan, uuid.uuid4(), entity_kind="enterprise", tier="billion")  # pending
    await insert_task(  # a project's figures are not a size
        db_connection, june, plan, uuid.uuid4(), state="accepted", figures={"investment_ytd": "1"}
    )
    rows = {r["subject_id"]: r for r in await evaluate(db_session, "pace_below_tier", at("2026-07-10"), PACE)}
    assert set(rows) == set(entities)
    params = LagParams("1", Decimal(1), Decimal("0.8"), ElapsedBasis.months)
    for entity, (size, tier, colour) in entities.items():
        reference = pace_below_tier(Decimal(size), tier, dt.date(2026, 6, 30), params)
        row = rows[entity]
        assert (row["colour"], reference.colour) == (colour, colour), size
        assert row["explanation"] == reference.explanation, size
        assert (row["period_key"], row["subject_type"]) == ("2026", "enterprise" if entity != industry else "industry")
    # By days a running period counts up to today: 06-20 is 171/365 of the year, 4.6849亿 of pace.
    by_days = PACE | {"basis": "days"}
    early = {r["subject_id"]: r for r in await evaluate(db_session, "pace_below_tier", at("2026-06-20"), by_days)}
    for entity, (size, tier, _) in entities.items():
        reference = pace_below_tier(
            Decimal(size), tier, dt.date(2026, 6, 20), LagParams("1", Decimal(1), Decimal("0.8"))
        )
        assert (early[entity]["colour"], early[entity]["explanation"]) == (reference.colour, reference.explanation)
    assert early[next(iter(entities))]["colour"] is None  # 5 ≥ 4.6849
    assert early[both]["colour"] == Colour.red  # 3 < 0.8 × 4.6849


PROMOTIONS: list[tuple[EntityKind, Level, Tier, str, tuple[str, str] | None]] = [
    (EntityKind.enterprise, Level.county, Tier.billion, "150", ("city", "ten_billion")),
    (EntityKind.enterprise, Level.county, Tier.billion, "1500", ("province", "hundred_billion")),
    (EntityKind.enterprise, Level.county, Tier.billion, "600", ("province", "fifty_billion")),
    (EntityKind.enterprise, Level.province, Tier.fifty_billion, "850", ("province", "eighty_billion")),
    (EntityKind.industry, Level.city, Tier.hundred_billion, "5000", ("province", "five_hundred_billion")),
    (EntityKind.project, Level.county, Tier.hundred_million, "12.0000", ("city", "billion")),
    (EntityKind.enterprise, Level.county, Tier.billion, "99.9999", None),
    (EntityKind.industry, Level.county, Tier.ten_billion, "500", None),  # no industry tier between 100 and 1000
    (EntityKind.enterprise, Level.county, Tier.billion, "5", None),  # below every tier of the ladder
    (EntityKind.project, Level.city, Tier.billion, "99.9999", None),
]


async def test_promotion_candidates_match_the_reference(db_connection: AsyncConnection, db_session: Any) -> None:
    plan = await insert_plan(db_connection)
    june = await insert_round(db_connection, plan, "2026-06", dt.date(2026, 7, 8))
    cases: dict[uuid.UUID, tuple[EntityKind, Level, Tier, str, tuple[str, str] | None]] = {}
    regions = {Level.province: "430000", Level.city: "430100", Level.county: "430104"}
    for kind, level, tier, size, suggested in PROMOTIONS:
        entity = uuid.uuid4()
        cases[entity] = (kind, level, tier, size, suggested)
        snapshot = {"entity_kind": kind.value, "level": level.value, "tier": tier.value, "region_code": regions[level]}
        if kind is EntityKind.project:
            await insert_task(db_connection, june, plan, entity, facts={"total_investment": size}, **snapshot)
        else:
            figure = "output_ytd" if kind is EntityKind.industry else "revenue_ytd"
            await accepted(db_connection, june, plan, entity, {figure: size}, **snapshot)
    rows = {r["subject_id"]: r for r in await evaluate(db_session, "promotion_candidate", at("2026-07-10"), {})}
    assert set(rows) == set(cases)
    for entity, (kind, level, tier, size, suggested) in cases.items():
        reference = promotion_candidate(kind, level, tier, Decimal(size))
        row = rows[entity]
        assert row["colour"] == reference.colour == (Colour.blue if suggested else None), size
        assert row["explanation"] == reference.explanation, size
        if suggested is not None:
            assert (row["explanation"]["suggested_level"], row["explanation"]["suggested_tier"]) == suggested
        assert row["period_key"] == ("-" if kind is EntityKind.project else "2026")


async def test_a_promoted_candidate_is_resolved_at_the_next_sweep(
    scheduler_app: Any, scheduler_client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    plan = await insert_plan(db_connection)
    june = await insert_round(db_connection, plan, "2026-06", dt.date(2026, 7, 8))
    entity = uuid.uuid4()
    await accepted(db_connection, june, plan, entity, {"revenue_ytd": "150"}, entity_name="湘江装备有限公司")
    sweep = scheduler_app.state.platform.state.sweep
    await sweep.run_once(at("2026-07-10"))
    listed = await scheduler_client.get("/api/v1/findings?rule=promotion_candidate", headers=ADMIN)
    [found] = listed.json()["items"]
    assert (found["colour"], found["state"], found["subject_type"], found["period_key"]) == (
        "blue",
        "open",
        "enterprise",
        "2026",
    )
    assert (found["explanation"]["suggested_level"], found["explanation"]["suggested_tier"]) == ("city", "ten_billion")
    # The office promotes it: the next round's snapshot carries the city tier, and 150亿 reaches no tier above it.
    july = await insert_round(db_connection, plan, "2026-07", dt.date(2026, 8, 7))
    await insert_task(
        db_connection,
        july,
        plan,
        entity,
        entity_kind="enterprise",
        level="city",
        tier="ten_billion",
        region_code="430100",
    )
    await sweep.run_once(at("2026-07-11"))
    again = (await scheduler_client.get(f"/api/v1/findings/{found['id']}", headers=ADMIN)).json()
    assert (again["state"], again["colour"]) == ("resolved", "blue")
    assert dt.datetime.fromisoformat(again["resolved_at"]) == at("2026-07-11")
    assert (again["explanation"]["level"], again["explanation"]["tier"]) == ("city", "ten_billion")
    assert "suggested_level" not in again["explanation"]
    # A cancelled round's snapshot does not count: back to the county tier, a candidate again.
    r = table(Round)
    await db_connection.execute(update(r).where(r.c.id == july).values(state="cancelled"))
    await sweep.run_once(at("2026-07-12"))
    f = table(Finding)
    state = (await db_connection.execute(select(f.c.state, f.c.colour).where(f.c.id == found["id"]))).one()
    assert tuple(state) == ("open", "blue")
