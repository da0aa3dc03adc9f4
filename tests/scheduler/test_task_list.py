"""The task list, served from the read lane and written as JSON without models, is exactly the
`TaskPage` of the matching rows: filters, scope, sorts, cursors, counts and overdue flags.

The expected pages are computed here from every task row, read back and turned into `TaskRead` models
(`views.task_read`) filtered, sorted and paged in Python: an oracle that shares nothing with the
list's SQL or its JSON writer.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduler.models import ReportTask, table
from services.scheduler.views import task_read
from shared.regions import covers
from shared.schemas.scheduler.enums import TaskState
from shared.schemas.scheduler.responses.tasks import TaskRead
from tests.conftest import ADMIN, auth
from tests.scheduler.helpers import insert_plan, insert_round, insert_task

T = table(ReportTask)
FIGURES = {"revenue_ytd": "86.5", "progress": "新增订单 12 亿元", "nested": {"a": [1, None, "二"]}}
PAST, FUTURE = dt.date(2026, 1, 8), dt.date(2099, 1, 8)
# (state, region, level, kind, department, with figures): a spread of what a page can hold.
TASKS = [
    ("pending", "430104", "county", "enterprise", "industry-it", False),
    ("returned", "430104", "county", "project", None, True),
    ("submitted", "430104", "county", "enterprise", "agriculture-rural", True),
    ("resubmitted", "430105", "county", "industry", "industry-it", True),
    ("accepted", "430104", "county", "enterprise", None, True),
    ("pending", "430105", "county", "project", "industry-it", False),
    ("pending", "430100", "city", "enterprise", "industry-it", False),
    ("returned", "430000", "province", "industry", None, True),
    ("pending", "430104", "county", "industry", "agriculture-rural", False),
]
TIERS = {"county": "billion", "city": "ten_billion", "province": "hundred_billion"}


@pytest.fixture
async def world(db_connection: AsyncConnection) -> list[TaskRead]:
    plan = await insert_plan(db_connection)
    rounds = [
        await insert_round(db_connection, plan, "2026-01", PAST),
        await insert_round(db_connection, plan, "2098-12", FUTURE),
    ]
    for n, (state, region, level, kind, department, filed) in enumerate(TASKS * 2):
        await insert_task(
            db_connection,
            rounds[n % 2],
            plan,
            uuid.uuid4(),
            state=state,
            region_code=region,
            level=level,
            entity_kind=kind,
            entity_name=f"对象{(n * 7) % 11:02d}",
            tier=TIERS[level],
            domain="industry_it",
            lead_department_code=department,
            lead_department_id=uuid.uuid4() if department else None,
            lead_department_name="湖南省工业和信息化厅" if department else None,
            responsible_person=None if n % 3 else "张三",
            figures=FIGURES if filed else None,
            submission_count=1 if filed else 0,
            submitted_at=dt.datetime(2026, 1, 5, 8, 30, 15, 120000, tzinfo=dt.UTC) if filed else None,
            submitted_by="county-op" if filed else None,
        )
    rows = (await db_connection.execute(select(T))).mappings().all()
    now = dt.datetime.now(dt.UTC)
    return [task_read(row, now) for row in rows]


def expected_page(
    tasks: list[TaskRead], keep: Callable[[TaskRead], bool], state: str | None, sort: str
) -> tuple[list[dict[str, Any]], dict[str, int], int]:
    """Every matching task in the list's order, and the counts over the filters but the state."""
    matching = [t for t in tasks if keep(t)]
    counts = {s.value: sum(t.state == s for t in matching) for s in TaskState}
    overdue = sum(t.overdue for t in matching)
    chosen = [t for t in matching if state is None or t.state == state]
    name = sort.lstrip("-")
    chosen.sort(key=lambda t: (getattr(t, name), t.id), reverse=sort.startswith("-"))
    return [t.model_dump(mode="json") for t in chosen], counts, overdue


async def every_page(client: httpx.AsyncClient, headers: dict[str, str], query: str) -> list[dict[str, Any]]:
    pages, cursor = [], None
    while True:
        url = f"/api/v1/tasks?limit=2&{query}" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        pages.append(response.json())
        cursor = pages[-1]["next_cursor"]
        if cursor is None:
            return pages


CASES: list[tuple[str, dict[str, str], str, Callable[[TaskRead], bool], str | None]] = [
    ("admin", ADMIN, "", lambda t: True, None),
    ("county", auth("county", "430104"), "", lambda t: t.region_code == "430104", None),
    ("city", auth("city", "430100"), "", lambda t: covers("430100", t.region_code), None),
    ("city, a county", auth("city", "430100"), "region=430105", lambda t: t.region_code == "430105", None),
    ("county, pending", auth("county", "430104"), "state=pending", lambda t: t.region_code == "430104", "pending"),
    ("overdue", ADMIN, "overdue=true", lambda t: t.overdue, None),
    ("not overdue", ADMIN, "overdue=false", lambda t: not t.overdue, None),
    ("kind", ADMIN, "kind=project", lambda t: t.entity_kind == "project", None),
    ("department", ADMIN, "department=industry-it", lambda t: t.lead_department_code == "industry-it", None),
    (
        "every filter",
        auth("city", "430100"),
        "state=pending&overdue=true&kind=project&department=industry-it&region=430105",
        lambda t: (
            t.region_code == "430105"
            and t.overdue
            and t.entity_kind == "project"
            and t.lead_department_code == "industry-it"
        ),
        "pending",
    ),
]


@pytest.mark.parametrize("sort", ["due_at", "-due_at", "entity_name", "-created_at"])
@pytest.mark.parametrize(("headers", "query", "keep", "state"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_every_page_is_the_task_page_of_the_matching_rows(
    world: list[TaskRead],
    scheduler_client: httpx.AsyncClient,
    headers: dict[str, str],
    query: str,
    keep: Callable[[TaskRead], bool],
    state: str | None,
    sort: str,
) -> None:
    pages = await every_page(scheduler_client, headers, f"{query}&sort={sort}")
    items, counts, overdue = expected_page(world, keep, state, sort)
    assert [item for page in pages for item in page["items"]] == items
    assert all(page["counts"] == counts and page["overdue_count"] == overdue for page in pages)
    assert [len(page["items"]) for page in pages[:-1]] == [2] * (len(pages) - 1)


async def test_a_page_lists_each_field_of_task_read_in_order(
    world: list[TaskRead], scheduler_client: httpx.AsyncClient
) -> None:
    body = (await scheduler_client.get("/api/v1/tasks?limit=200", headers=ADMIN)).json()
    assert list(body) == ["items", "next_cursor", "counts", "overdue_count"]
    assert {tuple(item) for item in body["items"]} == {tuple(TaskRead.model_fields)}
    assert list(body["counts"]) == [s.value for s in TaskState]
    assert {item["figures"] == FIGURES for item in body["items"] if item["figures"] is not None} == {True}


@pytest.mark.parametrize(
    ("query", "code"),
    [("sort=region_code", "sort_invalid"), ("cursor=bm9wZQ", "cursor_invalid"), ("limit=201", None)],
)
async def test_a_bad_sort_cursor_or_limit_is_422(
    world: list[TaskRead], scheduler_client: httpx.AsyncClient, query: str, code: str | None
) -> None:
    response = await scheduler_client.get(f"/api/v1/tasks?{query}", headers=ADMIN)
    assert response.status_code == 422
    if code is not None:
        assert [e["code"] for e in response.json()["errors"]] == [code]


async def test_a_cursor_of_another_sort_is_422(world: list[TaskRead], scheduler_client: httpx.AsyncClient) -> None:
    first = (await scheduler_client.get("/api/v1/tasks?limit=2&sort=entity_name", headers=ADMIN)).json()
    response = await scheduler_client.get(f"/api/v1/tasks?limit=2&cursor={first['next_cursor']}", headers=ADMIN)
    assert (response.status_code, response.json()["errors"][0]["code"]) == (422, "cursor_invalid")


async def test_without_a_token_a_bad_query_is_still_401(scheduler_client: httpx.AsyncClient) -> None:
    response = await scheduler_client.get("/api/v1/tasks?limit=0")
    assert (response.status_code, response.json()["code"]) == (401, "token_missing")
