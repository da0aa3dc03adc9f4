"""Bodies and steps the scheduler's API tests share."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduler.models import Plan, ReportTask, Round, table
from tests import factories
from tests.conftest import ADMIN


def plan(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "企业月度调度",
        "owner_department": "industry-it",
        "schedule": {"kind": "monthly", "day": 1, "at": "09:00"},
        "scope": {"kinds": ["enterprise"]},
        "submission_window": {"due_after_working_days": 5, "grace_working_days": 2},
        "reminders": [{"working_days_before_due": 1, "at": "09:00"}],
    } | overrides


async def create_plan(scheduler: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await scheduler.post("/api/v1/plans", json=plan(**overrides), headers=ADMIN)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_enterprise(registry: httpx.AsyncClient, n: int, **overrides: Any) -> dict[str, Any]:
    body = factories.enterprise(n, listed_on="2024-01-10", **overrides)
    response = await registry.post("/api/v1/enterprises", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def insert_plan(conn: AsyncConnection, **overrides: Any) -> uuid.UUID:
    """A plan row written directly (the rules' SQL tests need rounds and tasks of their own making)."""
    values = {
        "name": "项目月度调度",
        "owner_department": "industry-it",
        "region_code": "430000",
        "schedule": {"kind": "monthly", "day": 1, "at": "09:00"},
        "cron": "0 9 1 * *",
        "period_kind": "month",
        "timezone": "Asia/Shanghai",
        "scope": {"kinds": ["project"]},
        "template_versions": {"project": 1},
        "submission_window": {"due_after_working_days": 5, "grace_working_days": 2},
        "reminders": [],
        "missed_tick_policy": "skip",
        "missed_tick_cap": 1,
        "status": "paused",
        "last_tick_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "created_by": "test",
    } | overrides
    return uuid.UUID(str(await conn.scalar(insert(table(Plan)).values(**values).returning(table(Plan).c.id))))


async def insert_round(
    conn: AsyncConnection, plan_id: uuid.UUID, period_key: str, due_on: dt.date, **overrides: Any
) -> uuid.UUID:
    due_at = dt.datetime.combine(due_on, dt.time(18), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    values = {
        "plan_id": plan_id,
        "period_key": period_key,
        "state": "open",
        "opens_at": due_at - dt.timedelta(days=7),
        "due_on": due_on,
        "due_at": due_at,
        "grace_until": due_at + dt.timedelta(days=2),
        "reminders": [],
        "provisional": False,
    } | overrides
    return uuid.UUID(str(await conn.scalar(insert(table(Round)).values(**values).returning(table(Round).c.id))))


async def insert_task(
    conn: AsyncConnection, round_id: uuid.UUID, plan_id: uuid.UUID, entity_id: uuid.UUID, **overrides: Any
) -> uuid.UUID:
    r = table(Round)
    row = (await conn.execute(select(r.c.period_key, r.c.due_at).where(r.c.id == round_id))).one()
    values = {
        "round_id": round_id,
        "plan_id": plan_id,
        "period_key": row.period_key,
        "entity_id": entity_id,
        "entity_kind": "project",
        "entity_name": "长沙智能制造产业园项目",
        "region_code": "430104",
        "level": "county",
        "tier": "hundred_million",
        "domain": "industry",
        "lead_department_code": "industry-it",
        "facts": {},
        "template_version": 1,
        "state": "pending",
        "due_at": row.due_at,
    } | overrides
    t = table(ReportTask)
    return uuid.UUID(str(await conn.scalar(insert(t).values(**values).returning(t.c.id))))


LISTED_ENTERPRISES = """
WITH made AS (
    INSERT INTO registry.entity (id, kind, name, level, region_code, domain, pathway, target_tier, listed_on)
    SELECT md5(:tag || n)::uuid, 'enterprise', '批量测试企业' || n || '号', 'county', :region, 'industry_it',
           'nurture', 'billion', DATE '2024-01-10'
    FROM generate_series(1, :count) AS n
    RETURNING id, level, region_code, target_tier, listed_on
), kind_rows AS (
    INSERT INTO registry.enterprise (entity_id, uscc, labels)
    SELECT id, '92' || region_code || lpad((row_number() OVER (ORDER BY id))::text, 10, '0'), '{}' FROM made
)
INSERT INTO registry.roster_adjustment (entity_id, action, reason, effective_on, actor_sub, actor_name,
                                        to_level, to_region_code, to_tier, status_after)
SELECT id, 'include', '批量纳入', listed_on, 'test', '测试', level, region_code, target_tier, 'listed' FROM made
"""


async def insert_listed_enterprises(conn: AsyncConnection, count: int, region: str = "430104") -> None:
    """`count` county enterprises on the registry's roster since 2024-01-10, written with one statement
    (through the API, thousands of them would take minutes)."""
    await conn.execute(text(LISTED_ENTERPRISES), {"tag": f"bulk-{region}-", "region": region, "count": count})
