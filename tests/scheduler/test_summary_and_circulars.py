"""Round summaries (JSON and the printed XLSX), and the circulars they and the supervision sweep request
reaching the real notify app through the outbox and `NotifyClient`: a bulletin when a round closes,
supervision letters for a red finding and its case, a reminder to late units; each issued once by
notify, with its kind, source and audience, though notify was down at first or an answer was lost."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduler.models import Finding, ReportSubmission, outbox, table
from shared.clients import NotifyClient
from shared.db import Database
from shared.schemas.notify.actions.circulars import CircularCreate
from shared.schemas.notify.responses.circulars import CircularRead
from tests.conftest import ADMIN, FAST_RETRY, auth, scheduler_factory, scheduler_settings, token
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


class NotifyLink(httpx.AsyncBaseTransport):
    """The scheduler's way to the real notify app in process: refused (as if nothing listened) while
    `down`; while `lose_answers` is above zero, a request reaches notify but its answer is lost on the
    way back. `sent` keeps the Idempotency-Key of every request that was tried."""

    def __init__(self, app: Any) -> None:
        self.down = False
        self.lose_answers = 0
        self.sent: list[str | None] = []
        self.real = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.headers.get("Idempotency-Key"))
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        response = await self.real.handle_async_request(request)
        if self.lose_answers > 0:
            self.lose_answers -= 1
            await response.aclose()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


@pytest.fixture
def link(notify_app: Any) -> NotifyLink:
    return NotifyLink(notify_app)


@pytest.fixture
async def scheduler(
    database_url: str, db_connection: AsyncConnection, registry_app: Any, link: NotifyLink
) -> AsyncIterator[Any]:
    """The scheduler with the registry and notify apps in process, all in the test's transaction."""
    factory = scheduler_factory(registry_app, notify=link)
    async with started(factory, scheduler_settings(database_url), Database.inside(db_connection)) as app:
        yield app


async def issued(conn: AsyncConnection) -> list[tuple[str, str, str]]:
    """Every circular notify holds: (kind, source type, source id), in the order they were made."""
    rows = await conn.execute(text("SELECT kind, source_type, source_id FROM notify.circular ORDER BY created_at, id"))
    return [(r.kind, r.source_type, r.source_id) for r in rows]


async def read_circular(notify_client: httpx.AsyncClient, source_type: str, source_id: str) -> dict[str, Any]:
    response = await notify_client.get(
        "/api/v1/circulars", params={"source_type": source_type, "source_id": source_id}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    [circular] = response.json()["items"]
    assert isinstance(circular, dict)
    return circular


async def messages(conn: AsyncConnection) -> list[Any]:
    return list((await conn.execute(select(outbox).order_by(outbox.c.id))).mappings())


DOCUMENT_NUMBER = re.compile(r"^湘万千百办(通|督|提)〔20\d\d〕\d+号$")
ATTEMPTS_PER_TRY = 1 + FAST_RETRY.max_retries  # the client's own retries within one relay attempt


async def test_a_closed_rounds_bulletin_is_issued_once_by_notify_though_it_was_down(
    scheduler: Any,
    link: NotifyLink,
    notify_client: httpx.AsyncClient,
    db_connection: AsyncConnection,
    closed_world: dict[str, Any],
) -> None:
    round_id = str(closed_world["round"])
    async with asgi_client(scheduler, "scheduler") as http:
        closed = await http.post(f"/api/v1/rounds/{round_id}/close", headers=ADMIN | {"If-Match": '"1"'})
    assert closed.status_code == 200, closed.text
    key = f"scheduler:bulletin:{round_id}"
    [queued] = await messages(db_connection)
    assert (queued["peer"], queued["operation"], queued["idempotency_key"]) == ("notify", "request_circular", key)
    relay = scheduler.state.platform.state.relay

    link.down = True
    assert await relay.run_once(queued["next_attempt_at"]) == 1
    [failed] = await messages(db_connection)
    assert (failed["attempts"], failed["delivered_at"]) == (1, None)
    assert failed["last_error"].startswith("peer_unavailable")
    assert await issued(db_connection) == []

    link.down = False
    assert await relay.run_once(failed["next_attempt_at"]) == 1
    assert await relay.run_once(failed["next_attempt_at"] + dt.timedelta(days=1)) == 0
    [delivered] = await messages(db_connection)
    assert (delivered["attempts"], delivered["delivered_at"], delivered["last_error"]) == (
        2,
        failed["next_attempt_at"],
        None,
    )
    assert link.sent == [key] * (ATTEMPTS_PER_TRY + 1)
    assert await issued(db_connection) == [("bulletin", "round", round_id)]
    circular = await read_circular(notify_client, "round", round_id)
    assert CircularRead.model_validate(delivered["response"]) == CircularRead.model_validate(circular)
    assert (circular["status"], circular["issuer"], circular["urgency"], circular["audience"]) == (
        "published",
        "wqb_office",
        "routine",
        {"regions": ["430000"], "departments": [], "topics": [], "subscribers": []},
    )
    assert circular["title"] == "关于 2026-06 “万千百”工程调度情况的通报"
    assert DOCUMENT_NUMBER.match(circular["document_number"]), circular["document_number"]
    assert [u["unit"] for u in circular["data"]["cities"]] == ["430200", "430100"]
    assert Decimal(circular["data"]["totals"]["score"]) == Decimal("56.50")


async def test_an_answer_lost_on_the_way_back_is_retried_with_its_key_and_issues_one_circular(
    scheduler: Any,
    link: NotifyLink,
    notify_client: httpx.AsyncClient,
    db_connection: AsyncConnection,
    closed_world: dict[str, Any],
) -> None:
    round_id = str(closed_world["round"])
    async with asgi_client(scheduler, "scheduler") as http:
        closed = await http.post(f"/api/v1/rounds/{round_id}/close", headers=ADMIN | {"If-Match": '"1"'})
    assert closed.status_code == 200, closed.text
    [queued] = await messages(db_connection)
    # Every answer of the first relay attempt is lost: notify issued the circular, the scheduler never heard.
    link.lose_answers = ATTEMPTS_PER_TRY
    relay = scheduler.state.platform.state.relay
    assert await relay.run_once(queued["next_attempt_at"]) == 1
    [failed] = await messages(db_connection)
    assert (failed["attempts"], failed["delivered_at"]) == (1, None)
    assert failed["last_error"].startswith("peer_unavailable")
    [made] = await issued(db_connection)
    assert made == ("bulletin", "round", round_id)
    assert await relay.run_once(failed["next_attempt_at"]) == 1
    [delivered] = await messages(db_connection)
    assert delivered["delivered_at"] == failed["next_attempt_at"]
    assert await issued(db_connection) == [made]
    circular = await read_circular(notify_client, "round", round_id)
    assert delivered["response"]["id"] == circular["id"]
    assert link.sent == [f"scheduler:bulletin:{round_id}"] * (ATTEMPTS_PER_TRY + 1)


async def test_a_source_notify_already_issued_for_is_delivered_as_that_circular(
    scheduler: Any, notify_app: Any, db_connection: AsyncConnection, closed_world: dict[str, Any]
) -> None:
    """Past notify's memory of the key (48 hours), the same request is `circular_source_duplicate`:
    the relay takes the circular the source already has, and issues no second one."""
    round_id = str(closed_world["round"])
    async with asgi_client(scheduler, "scheduler") as http:
        closed = await http.post(f"/api/v1/rounds/{round_id}/close", headers=ADMIN | {"If-Match": '"1"'})
    assert closed.status_code == 200, closed.text
    [queued] = await messages(db_connection)
    transport = httpx.ASGITransport(app=notify_app)
    async with NotifyClient("http://notify", token=token("service"), transport=transport) as notify:
        first = await notify.request_circular(CircularCreate.model_validate(queued["payload"]), "a-forgotten-key")
    relay = scheduler.state.platform.state.relay
    assert await relay.run_once(queued["next_attempt_at"]) == 1
    [delivered] = await messages(db_connection)
    assert (delivered["attempts"], delivered["delivered_at"]) == (1, queued["next_attempt_at"])
    assert CircularRead.model_validate(delivered["response"]) == first
    assert await issued(db_connection) == [("bulletin", "round", round_id)]


async def test_a_request_notify_would_refuse_is_kept_with_its_error_and_never_sent(
    scheduler: Any, link: NotifyLink, db_connection: AsyncConnection
) -> None:
    relay = scheduler.state.platform.state.relay
    body = {"kind": "notice", "title": "外省通知", "issuer": "wqb_office", "audience": {"regions": ["110000"]}}
    async with scheduler.state.platform.sessionmaker.begin() as session:
        await scheduler.state.platform.state.outbox.enqueue(
            session, peer="notify", operation="request_circular", idempotency_key="scheduler:test:1", payload=body
        )
    [queued] = await messages(db_connection)
    assert await relay.run_once(queued["next_attempt_at"]) == 1
    [kept] = await messages(db_connection)
    assert (kept["attempts"], kept["delivered_at"], kept["lease_owner"]) == (1, None, None)
    assert (
        kept["last_error"] == "circular_request_invalid: 待发送的通报不符合通报推送服务的请求格式：audience.regions.0"
    )
    assert kept["next_attempt_at"] > queued["next_attempt_at"]
    assert link.sent == []


PROBLEM = {"category": "difficulty", "title": "融资难", "description": "贷款审批慢", "region_code": "430104"}


async def test_a_red_finding_and_its_case_each_get_one_supervision_letter_from_notify(
    scheduler: Any, link: NotifyLink, notify_client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    async with asgi_client(scheduler, "scheduler") as http:
        body = PROBLEM | {"assigned_department": "industry-it"}
        problem = (await http.post("/api/v1/problems", json=body, headers=auth("county", "430104"))).json()
        now = at(problem["due_on"]) + dt.timedelta(days=5)
        await scheduler.state.platform.state.sweep.run_once(now)
        [finding] = (await http.get("/api/v1/findings?colour=red", headers=ADMIN)).json()["items"]
        opened = await http.post(
            f"/api/v1/findings/{finding['id']}/case", json={"requirement": "五个工作日内协调解决"}, headers=ADMIN
        )
        assert opened.status_code == 201, opened.text
        case = opened.json()
    relay = scheduler.state.platform.state.relay
    link.down = True
    assert await relay.run_once(now) == 2
    assert await issued(db_connection) == []
    link.down = False
    later = now + dt.timedelta(days=1)
    assert await relay.run_once(later) == 2
    assert await relay.run_once(later + dt.timedelta(days=1)) == 0
    assert sorted(await issued(db_connection)) == sorted(
        [("supervision_letter", "finding", finding["id"]), ("supervision_letter", "case", case["id"])]
    )
    assert [m["delivered_at"] for m in await messages(db_connection)] == [later, later]
    letter = await read_circular(notify_client, "finding", finding["id"])
    assert (letter["kind"], letter["status"], letter["urgency"], letter["audience"]) == (
        "supervision_letter",
        "published",
        "urgent",
        {"regions": ["430104"], "departments": ["industry-it"], "topics": [], "subscribers": []},
    )
    assert letter["title"] == "关于融资难红色预警的督办函"
    assert letter["data"]["finding_id"] == finding["id"]
    on_case = await read_circular(notify_client, "case", case["id"])
    assert (
        on_case["kind"],
        on_case["urgency"],
        on_case["audience"]["regions"],
        on_case["audience"]["departments"],
    ) == (
        "supervision_letter",
        "urgent",
        ["430104"],
        ["industry-it"],
    )
    assert dt.datetime.fromisoformat(on_case["reply_deadline"]) == dt.datetime.fromisoformat(case["reply_due_at"])
    assert on_case["body"].startswith("五个工作日内协调解决")


async def test_a_reminder_goes_once_to_the_late_units_before_the_deadline(
    scheduler: Any, notify_client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    plan = await insert_plan(db_connection)
    instant = at("2026-07-07", 9)
    round_id = await insert_round(
        db_connection, plan, "2026-06", dt.date(2026, 7, 8), reminders=[instant.astimezone(dt.UTC).isoformat()]
    )
    await insert_task(db_connection, round_id, plan, uuid.uuid4())
    await insert_task(db_connection, round_id, plan, uuid.uuid4(), region_code="430102", state="submitted")
    sweep = scheduler.state.platform.state.sweep
    await sweep.run_once(instant - dt.timedelta(minutes=1))
    assert await messages(db_connection) == []
    await sweep.run_once(instant)
    await sweep.run_once(instant + dt.timedelta(hours=1))
    [queued] = await messages(db_connection)
    assert queued["idempotency_key"].startswith("scheduler:reminder:")
    relay = scheduler.state.platform.state.relay
    assert await relay.run_once(queued["next_attempt_at"]) == 1
    reminder_id = queued["idempotency_key"].removeprefix("scheduler:reminder:")
    assert await issued(db_connection) == [("reminder", "reminder", reminder_id)]
    circular = await read_circular(notify_client, "reminder", reminder_id)
    assert (circular["status"], circular["audience"]["regions"], circular["data"]) == (
        "published",
        ["430104"],
        {"round_id": str(round_id), "late_tasks": 1},
    )
    assert circular["title"] == "2026-06 报送提醒"
