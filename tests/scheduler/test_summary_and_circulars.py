"""Round summaries (JSON and the printed XLSX), and circular requests reaching a real HTTP stand-in for
notify through the outbox: a bulletin when a round closes, once, though notify was down at first."""

from __future__ import annotations

import datetime as dt
import io
import socket
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiohttp import web
from openpyxl import load_workbook
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduler.models import Finding, ReportSubmission, outbox, table
from shared.db import Database
from tests.conftest import ADMIN, scheduler_factory, scheduler_settings
from tests.harness import asgi_client, started
from tests.scheduler.helpers import insert_plan, insert_round, insert_task
from tests.scheduler.test_findings_sql import at

CHANGSHA = {"city_name": "长沙市"}


async def _submitted(conn: AsyncConnection, task: uuid.UUID, when: dt.datetime) -> None:
    await conn.execute(
        insert(table(ReportSubmission)).values(
            task_id=task, seq=1, figures={}, submitted_by="county-430104", submitted_at=when
        )
    )


@pytest.fixture
async def closed_world(db_connection: AsyncConnection) -> dict[str, Any]:
    """One round: 岳麓区 with a project accepted on time and one pending (and a red finding), 芙蓉区
    with a late filing, 株洲市 (city level) on time."""
    plan = await insert_plan(db_connection)
    round_id = await insert_round(db_connection, plan, "2026-06", dt.date(2026, 7, 8))
    yuelu = CHANGSHA | {"region_name": "岳麓区"}
    t1 = await insert_task(
        db_connection,
        round_id,
        plan,
        uuid.uuid4(),
        state="accepted",
        figures={"investment_ytd": "30", "investment_period": "5", "stage": "started"},
        facts=yuelu | {"annual_plans": {"2026": "60"}},
        accepted_at=at("2026-07-06"),
    )
    await _submitted(db_connection, t1, at("2026-07-05"))
    await insert_task(db_connection, round_id, plan, uuid.uuid4(), facts=yuelu | {"annual_plans": {"2026": "40"}})
    t3 = await insert_task(
        db_connection,
        round_id,
        plan,
        uuid.uuid4(),
        entity_kind="enterprise",
        region_code="430102",
        state="submitted",
        figures={"revenue_ytd": "5"},
        facts=CHANGSHA | {"region_name": "芙蓉区"},
    )
    await _submitted(db_connection, t3, at("2026-07-09"))
    t4 = await insert_task(
        db_connection,
        round_id,
        plan,
        uuid.uuid4(),
        entity_kind="enterprise",
        region_code="430200",
        level="city",
        state="accepted",
        figures={"revenue_ytd": "50"},
        facts={"region_name": "株洲市", "city_name": None},
        accepted_at=at("2026-07-07"),
    )
    await _submitted(db_connection, t4, at("2026-07-06"))
    await db_connection.execute(
        insert(table(Finding)).values(
            rule_code="report_deadline",
            rule_version=1,
            subject_type="report_task",
            subject_id=uuid.uuid4(),
            period_key="2026-06",
            round_id=round_id,
            region_code="430104",
            colour="red",
            state="open",
            explanation={},
            first_seen_at=at("2026-07-12"),
            evaluated_at=at("2026-07-12"),
        )
    )
    return {"round": round_id}


def _unit(units: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(u["rank"], u["unit"], u["name"], u["score"], u["grade"]) for u in units]


async def test_the_summary_scores_ranks_and_grades_cities_and_counties(
    scheduler_client: httpx.AsyncClient, closed_world: dict[str, Any]
) -> None:
    response = await scheduler_client.get(f"/api/v1/rounds/{closed_world['round']}/summary", headers=ADMIN)
    assert response.status_code == 200, response.text
    summary = response.json()
    # 430104: ½ filed, ½ on time, 30/100 invested, one red against two reports: 15+10+9+10 = 44.
    # 430102: filed late, no investment planned: (30×1 + 20×0 + 20×1) / 70 = 71.43.
    assert _unit(summary["counties"]) == [
        (1, "430102", "芙蓉区", "71.43", "fair"),
        (2, "430104", "岳麓区", "44.00", "poor"),
    ]
    # 长沙市: 2/3 filed, 1/3 on time, 30/100, one red per three: 20 + 6.6667 + 9 + 13.3333 = 49.
    assert _unit(summary["cities"]) == [
        (1, "430200", "株洲市", "100.00", "excellent"),
        (2, "430100", "长沙市", "49.00", "poor"),
    ]
    totals = summary["totals"]
    assert (totals["expected"], totals["submitted"], totals["on_time"], totals["score"]) == (4, 3, 2, "56.50")
    assert (totals["submission_rate"], totals["on_time_rate"], totals["investment_rate"]) == (
        "0.7500",
        "0.5000",
        "0.3000",
    )
    assert totals["findings"] == {"red": 1, "yellow": 0, "blue": 0}
    assert summary["scoring"]["weights"] == {"submission": "30", "on_time": "20", "investment": "30", "findings": "20"}
    bad = await scheduler_client.get(f"/api/v1/rounds/{closed_world['round']}/summary?format=pdf", headers=ADMIN)
    assert bad.status_code == 422


async def test_the_summary_workbook_is_laid_out_for_printing(
    scheduler_client: httpx.AsyncClient, closed_world: dict[str, Any]
) -> None:
    for path in ("summary.xlsx", "summary?format=xlsx"):
        response = await scheduler_client.get(f"/api/v1/rounds/{closed_world['round']}/{path}", headers=ADMIN)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["市州", "县市区"]
        cities, counties = book["市州"], book["县市区"]
        assert cities["A1"].value == "2026-06 “万千百”工程调度情况（市州）"
        assert "A1:P1" in {str(r) for r in cities.merged_cells.ranges}
        assert [c.value for c in cities[3]][:4] == ["排名", "地区代码", "地区", "应报"]
        assert cities["A3"].font.bold and cities.column_dimensions["C"].width == 18
        assert [c.value for c in cities[4]] == [1, "430200", "株洲市", 1, 1, 1, 1, 1, 0, 0, None, 0, 0, 0, 100, "优秀"]
        assert [c.value for c in cities[6]][2:6] == ["合计", 4, 3, 2]
        assert cities["G5"].number_format == "0.00%"
        assert [c.value for c in counties[4]][:3] == [1, "430102", "芙蓉区"]
        assert counties.max_row == 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class NotifyStandIn:
    """A real HTTP server standing in for notify: records every request; answers 503 to the first
    `fail_first`, then 201 with a circular id (the same one for a key already answered)."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.received: list[tuple[str, dict[str, Any], int]] = []
        self.issued: dict[str, str] = {}

    async def handle(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        body = await request.json()
        assert request.headers["Authorization"].startswith("Bearer ")
        if self.fail_first > 0:
            self.fail_first -= 1
            self.received.append((key, body, 503))
            return web.json_response({"code": "unavailable"}, status=503, content_type="application/problem+json")
        self.received.append((key, body, 201))
        circular = self.issued.setdefault(key, str(uuid.uuid4()))
        return web.json_response({"id": circular, "kind": body["kind"]}, status=201)


async def test_a_closed_rounds_bulletin_reaches_notify_once_though_it_was_down(
    database_url: str, db_connection: AsyncConnection, registry_app: Any, closed_world: dict[str, Any]
) -> None:
    port = _free_port()
    settings = scheduler_settings(database_url, notify_url=f"http://127.0.0.1:{port}")
    factory = scheduler_factory(registry_app)
    stand_in = NotifyStandIn(fail_first=1)
    async with started(factory, settings, Database.inside(db_connection)) as app, asgi_client(app, "scheduler") as http:
        closed = await http.post(f"/api/v1/rounds/{closed_world['round']}/close", headers=ADMIN | {"If-Match": '"1"'})
        assert closed.status_code == 200, closed.text
        key = f"scheduler:bulletin:{closed_world['round']}"
        [queued] = (await db_connection.execute(select(outbox))).mappings().all()
        assert (queued["peer"], queued["operation"], queued["idempotency_key"]) == ("notify", "request_circular", key)
        relay = app.state.platform.state.relay
        assert await relay.run_once(queued["next_attempt_at"]) == 1  # notify is down: nothing listens on the port
        [failed] = (await db_connection.execute(select(outbox))).mappings().all()
        assert (failed["attempts"], failed["delivered_at"]) == (1, None)
        assert failed["last_error"].startswith("peer_unavailable")
        server = web.Application()
        server.router.add_post("/api/v1/circulars", stand_in.handle)
        runner = web.AppRunner(server)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            assert await relay.run_once(failed["next_attempt_at"]) == 1
            assert await relay.run_once(failed["next_attempt_at"] + dt.timedelta(days=1)) == 0
        finally:
            await runner.cleanup()
    [delivered] = (await db_connection.execute(select(outbox))).mappings().all()
    assert delivered["delivered_at"] == failed["next_attempt_at"]
    assert delivered["response"] == {"id": stand_in.issued[key], "kind": "bulletin"}
    # The retry after notify's 503 carried the same key; one request was accepted.
    assert [(k, status) for k, _, status in stand_in.received] == [(key, 503), (key, 201)]
    body = stand_in.received[1][1]
    assert (body["kind"], body["source"], body["audience"]) == (
        "bulletin",
        {"type": "round", "id": str(closed_world["round"])},
        {"regions": ["430000"], "departments": []},
    )
    assert [u["unit"] for u in body["data"]["cities"]] == ["430200", "430100"]
    assert Decimal(body["data"]["totals"]["score"]) == Decimal("56.50")


async def test_a_reminder_goes_once_to_the_late_units_before_the_deadline(
    scheduler_app: Any, db_connection: AsyncConnection
) -> None:
    plan = await insert_plan(db_connection)
    instant = at("2026-07-07", 9)
    round_id = await insert_round(
        db_connection, plan, "2026-06", dt.date(2026, 7, 8), reminders=[instant.astimezone(dt.UTC).isoformat()]
    )
    await insert_task(db_connection, round_id, plan, uuid.uuid4())
    await insert_task(db_connection, round_id, plan, uuid.uuid4(), region_code="430102", state="submitted")
    sweep = scheduler_app.state.platform.state.sweep
    await sweep.run_once(instant - dt.timedelta(minutes=1))
    assert (await db_connection.execute(select(outbox))).all() == []
    await sweep.run_once(instant)
    await sweep.run_once(instant + dt.timedelta(hours=1))
    messages = (await db_connection.execute(select(outbox).where(outbox.c.operation == "request_circular"))).mappings()
    reminders = [m for m in messages if m["idempotency_key"].startswith("scheduler:reminder:")]
    assert len(reminders) == 1
    payload = reminders[0]["payload"]
    assert (payload["kind"], payload["audience"]["regions"], payload["data"]["late_tasks"]) == (
        "reminder",
        ["430104"],
        1,
    )
