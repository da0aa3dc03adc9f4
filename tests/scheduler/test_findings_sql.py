"""The supervision rules' SQL agrees with `rules.py`, their reference, on hand-computed cases: each
row's colour is stated here by hand, and its explanation must equal the reference function's."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import RowMapping, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from services.scheduler.circulars.compose import red_finding_letter
from services.scheduler.findings.repository import FindingRepository
from services.scheduler.findings.service import Sweep, rule_binds
from services.scheduler.findings.sweep_sql import period_end
from services.scheduler.models import Finding, outbox, table
from services.scheduler.periods import parse_period_key
from services.scheduler.rules import (
    Colour,
    DeadlineParams,
    ElapsedBasis,
    LagParams,
    OverdueParams,
    RoundProgress,
    StallParams,
    investment_lag,
    problem_overdue,
    report_deadline,
    stalled_project,
)
from shared.schemas.enums import ProjectStage
from tests.conftest import ADMIN
from tests.scheduler.helpers import insert_plan, insert_round, insert_task

ZONE = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=ZONE)


async def evaluate(
    sessions: async_sessionmaker[AsyncSession], rule: str, now: dt.datetime, parameters: dict[str, Any]
) -> list[RowMapping]:
    async with sessions.begin() as session:
        rows = await FindingRepository(session).evaluate(rule, rule_binds(rule, 1, parameters, ZONE), now)
    return list(rows)


async def test_period_end_in_sql_is_the_periods_end(db_connection: AsyncConnection) -> None:
    from sqlalchemy import text

    keys = ["2026", "2026-02", "2024-02", "2026-12", "2026-Q1", "2026-Q4", "2026-W01", "2026-W53", "2027-W01"]
    for key in keys:
        got = await db_connection.scalar(text(f"SELECT {period_end(':k')}"), {"k": key})
        assert got == parse_period_key(key).end, key


async def test_report_deadline_ladder(db_connection: AsyncConnection, db_session: Any) -> None:
    plan = await insert_plan(db_connection)
    due_on = dt.date(2026, 11, 10)
    round_id = await insert_round(db_connection, plan, "2026-10", due_on)
    await insert_task(db_connection, round_id, plan, uuid.uuid4())
    params = {"blue_within_days": 3, "red_overdue_days": 3}
    cases = [
        (at("2026-11-06"), None),  # 4 days ahead
        (dt.datetime(2026, 11, 6, 20, tzinfo=dt.UTC), Colour.blue),  # already 11-07 in Shanghai: 3 days ahead
        (at("2026-11-07"), Colour.blue),
        (at("2026-11-10"), Colour.yellow),  # the due date itself
        (at("2026-11-12"), Colour.yellow),
        (at("2026-11-13"), Colour.red),  # 3 days late
    ]
    for now, colour in cases:
        [row] = await evaluate(db_session, "report_deadline", now, params)
        reference = report_deadline(due_on, now.astimezone(ZONE).date(), False, DeadlineParams("1", 3, 3))
        assert (row["colour"], reference.colour) == (colour, colour), now
        assert row["explanation"] == reference.explanation


async def test_investment_lag_against_the_time_share(db_connection: AsyncConnection, db_session: Any) -> None:
    plan = await insert_plan(db_connection)
    round_id = await insert_round(db_connection, plan, "2026-06", dt.date(2026, 7, 8))
    facts = {"annual_plans": {"2026": "100.0000"}}
    by_entity: dict[uuid.UUID, str] = {}
    for ytd in ("45", "44.9999", "35", "34.9999"):
        entity = uuid.uuid4()
        by_entity[entity] = ytd
        figures = {"investment_ytd": ytd, "investment_period": "1", "stage": "under_construction"}
        await insert_task(
            db_connection,
            round_id,
            plan,
            entity,
            state="accepted",
            figures=figures,
            facts=facts,
            accepted_at=at("2026-07-05"),
        )
    no_plan = uuid.uuid4()
    await insert_task(
        db_connection,
        round_id,
        plan,
        no_plan,
        state="accepted",
        figures={"investment_ytd": "3"},
        accepted_at=at("2026-07-05"),
    )
    # By months, 06-30 is 6/12 of the year: yellow below 0.9 × 50% = 45, red below 0.7 × 50% = 35, exactly.
    params = {"yellow_below": "0.9", "red_below": "0.7", "basis": "months"}
    rows = {r["subject_id"]: r for r in await evaluate(db_session, "investment_lag", at("2026-07-10"), params)}
    expected = {"45": None, "44.9999": Colour.yellow, "35": Colour.yellow, "34.9999": Colour.red}
    lag = LagParams("1", Decimal("0.9"), Decimal("0.7"), ElapsedBasis.months)
    for entity, ytd in by_entity.items():
        reference = investment_lag(Decimal(ytd), Decimal("100.0000"), dt.date(2026, 6, 30), lag)
        assert (rows[entity]["colour"], reference.colour) == (expected[ytd], expected[ytd]), ytd
        assert rows[entity]["explanation"] == reference.explanation
        assert rows[entity]["period_key"] == "2026"
    reference = investment_lag(Decimal(3), Decimal(0), dt.date(2026, 6, 30), lag)
    assert (rows[no_plan]["colour"], rows[no_plan]["explanation"]) == (None, reference.explanation)
    assert reference.explanation["reason"] == "no_plan"
    # By days, 06-30 is 181/365; a report period still running counts up to today only.
    by_days = {"yellow_below": "0.9", "red_below": "0.7", "basis": "days"}
    early = {r["subject_id"]: r for r in await evaluate(db_session, "investment_lag", at("2026-06-20"), by_days)}
    for entity, ytd in by_entity.items():
        reference = investment_lag(
            Decimal(ytd), Decimal("100.0000"), dt.date(2026, 6, 20), LagParams("1", Decimal("0.9"), Decimal("0.7"))
        )
        assert early[entity]["explanation"] == reference.explanation
        assert early[entity]["colour"] == reference.colour


async def test_stalled_project_by_rounds_and_by_months(db_connection: AsyncConnection, db_session: Any) -> None:
    plan = await insert_plan(db_connection)
    rounds = [await insert_round(db_connection, plan, f"2026-0{m}", dt.date(2026, m + 1, 8)) for m in (1, 2, 3, 4)]
    histories = {
        "still": [("signed", "0")] * 4,  # three rounds without movement: yellow; signed 7 months ago: yellow
        "moving": [("started", "0"), ("started", "0"), ("started", "0"), ("started", "2.5")],  # money flows
        "finished": [("under_construction", "1"), ("completed", "0"), ("completed", "0"), ("completed", "0")],
    }
    entities = {}
    for name, history in histories.items():
        entity = uuid.uuid4()
        entities[name] = entity
        for (stage, period), round_id in zip(history, rounds, strict=True):
            figures = {"stage": stage, "investment_period": period, "investment_ytd": period}
            await insert_task(
                db_connection,
                round_id,
                plan,
                entity,
                state="accepted",
                figures=figures,
                facts={"signed_on": "2025-09-15"},
                accepted_at=at("2026-05-01"),
            )
    params = {
        "yellow_rounds": 3,
        "red_rounds": 6,
        "yellow_months": 6,
        "red_months": 12,
        "investment_counts_as_progress": True,
    }
    rows = {r["subject_id"]: r for r in await evaluate(db_session, "stalled_project", at("2026-04-20"), params)}
    expected = {"still": Colour.yellow, "moving": None, "finished": None}
    for name, history in histories.items():
        progress = [RoundProgress(ProjectStage(s), Decimal(p)) for s, p in history]
        reference = stalled_project(progress, dt.date(2025, 9, 15), dt.date(2026, 4, 20), StallParams())
        row = rows[entities[name]]
        assert (row["colour"], reference.colour) == (expected[name], expected[name]), name
        assert row["explanation"] == reference.explanation, name
    assert rows[entities["still"]]["explanation"]["months_since_signing"] == 7
    assert rows[entities["still"]]["explanation"]["rounds_without_movement"] == 3


async def test_problem_overdue_ladder(scheduler_client: httpx.AsyncClient, db_session: Any) -> None:
    body = {"category": "difficulty", "title": "融资难", "description": "贷款审批慢", "region_code": "430104"}
    created = (await scheduler_client.post("/api/v1/problems", json=body, headers=ADMIN)).json()
    due_on = dt.date.fromisoformat(created["due_on"])
    params = {"yellow_overdue_days": 1, "red_overdue_days": 5}
    for days, colour in ((0, None), (1, Colour.yellow), (4, Colour.yellow), (5, Colour.red)):
        today = due_on + dt.timedelta(days=days)
        [row] = await evaluate(db_session, "problem_overdue", at(today.isoformat()), params)
        reference = problem_overdue(due_on, today, False, OverdueParams("1", 1, 5))
        assert (row["colour"], reference.colour) == (colour, colour), days
        assert row["explanation"] == reference.explanation


async def test_red_letters_are_queued_set_wise_as_the_composer_writes_them(
    db_connection: AsyncConnection, db_session: Any
) -> None:
    f = table(Finding)
    base: dict[str, Any] = {
        "rule_code": "problem_overdue",
        "rule_version": 3,
        "subject_type": "problem",
        "period_key": "-",
        "region_code": "430104",
        "colour": "red",
        "state": "open",
        "explanation": {"days_overdue": 9, "version": "3"},
        "first_seen_at": at("2026-07-01"),
        "evaluated_at": at("2026-07-01"),
    }
    variants: list[dict[str, Any]] = [
        {"entity_name": "长沙智能制造产业园项目", "lead_department_code": "industry-it"},
        {"entity_name": None, "lead_department_code": None},  # named by its region, no department
        {"entity_name": "", "lead_department_code": ""},
        {"entity_name": "湘" * 200, "lead_department_code": "agriculture"},  # the title is cut at 200
        {"entity_name": "已发函", "red_notified_at": at("2026-06-01"), "state": "notified"},
        {"entity_name": "黄色", "colour": "yellow"},
        {"entity_name": "已解除", "state": "resolved"},
    ]
    ids = []
    for variant in variants:
        values = base | {"subject_id": uuid.uuid4()} | variant
        ids.append(await db_connection.scalar(insert(f).values(**values).returning(f.c.id)))
    async with db_session.begin() as session:
        assert await FindingRepository(session).queue_red_letters(at("2026-07-02")) == 4
    rows = {r["id"]: r for r in (await db_connection.execute(select(f))).mappings()}
    messages = {m["idempotency_key"]: m for m in (await db_connection.execute(select(outbox))).mappings()}
    assert set(messages) == {f"scheduler:finding:{i}" for i in ids[:4]}
    for finding_id in ids[:4]:
        key, request = red_finding_letter({**rows[finding_id], "state": "open"})
        message = messages[key]
        assert (message["peer"], message["operation"]) == ("notify", "request_circular")
        assert message["payload"] == request.model_dump(mode="json")
        assert (rows[finding_id]["state"], rows[finding_id]["version"]) == ("notified", 2)
        assert rows[finding_id]["red_notified_at"] == at("2026-07-02")
    assert len(messages[f"scheduler:finding:{ids[3]}"]["payload"]["title"]) == 200
    assert messages[f"scheduler:finding:{ids[1]}"]["payload"]["audience"] == {
        "regions": ["430104"],
        "departments": [],
        "topics": [],
        "subscribers": [],
    }
    assert [rows[i]["version"] for i in ids[4:]] == [1, 1, 1]
    async with db_session.begin() as session:
        assert await FindingRepository(session).queue_red_letters(at("2026-07-03")) == 0


async def test_a_sweep_rewrites_only_the_findings_whose_evaluation_changed(
    db_connection: AsyncConnection, db_session: Any
) -> None:
    plan = await insert_plan(db_connection)
    round_id = await insert_round(db_connection, plan, "2026-10", dt.date(2026, 11, 10))
    await insert_task(db_connection, round_id, plan, uuid.uuid4())
    f = table(Finding)

    async def sweep_at(now: dt.datetime) -> tuple[int, tuple[Any, ...]]:
        async with db_session.begin() as session:
            result = await Sweep(session, ZONE).run(now)
        assert result is not None
        [deadline] = [r for r in result.rules if r.rule.value == "report_deadline"]
        row = (await db_connection.execute(select(f.c.colour, f.c.evaluated_at, f.c.version))).one()
        return deadline.upserted, tuple(row)

    assert await sweep_at(at("2026-11-10")) == (1, ("yellow", at("2026-11-10"), 1))
    assert await sweep_at(at("2026-11-10", 15)) == (0, ("yellow", at("2026-11-10"), 1))  # the same day: unchanged
    assert await sweep_at(at("2026-11-11")) == (1, ("yellow", at("2026-11-11"), 1))  # a day later: `today` moved
    assert await sweep_at(at("2026-11-13")) == (1, ("red", at("2026-11-13"), 3))  # red, then notified
