"""The scheduler's bench data: one open monthly round with a report task per listed entity of Hunan.

Written with set-based SQL straight into a fresh, migrated `scheduler` schema (the registry is not
needed: a task carries its entity's snapshot). Tasks are spread over the province, its 14 cities and
its 122 counties the way the roster is (most entities are county-level), over the three kinds, the
programme's tier for each kind and level, the four domains and the lead departments; their states are
a round half-way through its window (about half pending, the rest filed, returned or accepted, with
figures), and the round's deadline has just passed, so some are overdue. Ids are `md5(...)::uuid`.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
import uuid
from dataclasses import dataclass

import asyncpg
import orjson

from bench.settings import ROOT
from services.scheduler.templates import latest_template
from shared import migrate
from shared.schemas.enums import EntityKind
from shared.tiers import PROGRAMME_TIER

DATA = ROOT / "services" / "registry" / "data"
PERIOD_KEY = "2026-11"


@dataclass(frozen=True)
class Regions:
    cities: list[str]
    counties: list[str]
    names: dict[str, str]


def regions() -> Regions:
    with (DATA / "regions.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return Regions(
        cities=sorted(r["code"] for r in rows if r["level"] == "city"),
        counties=sorted(r["code"] for r in rows if r["level"] == "county"),
        names={r["code"]: r["name"] for r in rows},
    )


def departments() -> list[tuple[str, str]]:
    with (DATA / "departments.csv").open(encoding="utf-8") as handle:
        return [(r["code"], r["name"]) for r in csv.DictReader(handle)]


def _tiers_values() -> str:
    """The programme's tier per kind and level, as a VALUES list (enum values only: safe literals)."""
    rows = [f"('{k.value}', '{lv.value}', '{t.value}')" for (k, lv), t in PROGRAMME_TIER.items()]
    return "(VALUES " + ", ".join(rows) + ") AS tiers (kind, level, tier)"


PLAN_SQL = """
INSERT INTO scheduler.plan (id, name, owner_department, region_code, schedule, cron, period_kind, timezone,
                            scope, template_versions, submission_window, reminders, missed_tick_policy,
                            missed_tick_cap, status, last_tick_at, next_tick_at, created_by)
VALUES ($1, '全省重点对象月度调度', 'industry-it', '430000', '{"kind": "monthly", "day": 1, "at": "09:00"}',
        '0 9 1 * *', 'month', 'Asia/Shanghai', '{"kinds": ["industry", "enterprise", "project"]}',
        $2::jsonb, '{"due_after_working_days": 5, "grace_working_days": 2}', '[]', 'skip', 1, 'paused',
        $3, NULL, 'bench-seed')
"""

ROUND_SQL = """
INSERT INTO scheduler.round (id, plan_id, period_key, state, opens_at, due_on, due_at, grace_until, reminders,
                             provisional, roster_on, opened_at)
VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, '[]', false, $5, $4)
"""

# One row per task. `n` drives everything: level (1 % province, 14 % city, 85 % county), region,
# kind (5 % industries, 15 % projects, 80 % enterprises), domain, department, and state.
TASKS_SQL = """
INSERT INTO scheduler.report_task (
    id, round_id, plan_id, period_key, entity_id, entity_kind, entity_name, region_code, level, tier, domain,
    lead_department_id, lead_department_code, lead_department_name, responsible_person, facts,
    template_version, state, due_at, figures, submission_count, submitted_at, submitted_by, reviewed_at,
    reviewed_by, review_comment, accepted_at, version, created_at, updated_at)
SELECT md5('task' || s.n)::uuid, $1, $2, $3, md5('entity' || s.n)::uuid, s.kind,
       s.region_name || (CASE s.kind WHEN 'industry' THEN '产业' WHEN 'project' THEN '项目' ELSE '企业有限公司' END)
           || s.n || '号',
       s.region_code, s.level, tiers.tier,
       (ARRAY['industry_it', 'industry_it', 'agriculture', 'construction', 'services'])[1 + s.n % 5],
       CASE WHEN s.dep IS NULL THEN NULL ELSE md5('department' || s.dep)::uuid END,
       s.dep, s.dep_name,
       CASE WHEN s.n % 9 = 0 THEN NULL ELSE '责任人' || (1 + s.n % 3000) END,
       jsonb_build_object('region_name', s.region_name, 'city_name', s.city_name)
           || CASE WHEN s.kind = 'project' THEN jsonb_build_object(
                  'total_investment', (5 + s.n % 300)::text || '.0000', 'stage', 'under_construction',
                  'signed_on', '2025-03-01', 'annual_plans', jsonb_build_object('2026', '3.5000'))
              ELSE '{}'::jsonb END,
       $4, s.state, $5,
       CASE WHEN s.state = 'pending' THEN NULL
            ELSE jsonb_build_object('revenue_ytd', (s.n % 90)::text || '.6', 'progress', '新增订单，二期投产',
                                    'next_steps', '扩大产能') END,
       CASE s.state WHEN 'pending' THEN 0 WHEN 'resubmitted' THEN 2 WHEN 'returned' THEN 1 ELSE 1 END,
       CASE WHEN s.state = 'pending' THEN NULL ELSE o.at + (s.n % 4000) * INTERVAL '1 minute' END,
       CASE WHEN s.state = 'pending' THEN NULL ELSE 'operator-' || s.region_code END,
       CASE WHEN s.state IN ('accepted', 'returned') THEN o.at + (s.n % 4000 + 600) * INTERVAL '1 minute' END,
       CASE WHEN s.state IN ('accepted', 'returned') THEN 'reviewer-' || left(s.region_code, 4) END,
       CASE WHEN s.state = 'returned' THEN '数据口径不一致，请核实后重报' END,
       CASE WHEN s.state = 'accepted' THEN o.at + (s.n % 4000 + 600) * INTERVAL '1 minute' END,
       CASE s.state WHEN 'pending' THEN 1 WHEN 'submitted' THEN 2 WHEN 'returned' THEN 3
                    WHEN 'resubmitted' THEN 4 ELSE 3 END,
       o.at, CASE WHEN s.state = 'pending' THEN o.at ELSE o.at + (s.n % 4000 + 600) * INTERVAL '1 minute' END
FROM (
    SELECT g.n, g.level, g.kind, g.region_code, g.state, r.name AS region_name,
           CASE WHEN g.level = 'province' THEN NULL ELSE c.name END AS city_name,
           CASE WHEN g.n % 3 = 0 THEN NULL ELSE d.codes[1 + g.n % cardinality(d.codes)] END AS dep,
           CASE WHEN g.n % 3 = 0 THEN NULL ELSE d.names[1 + g.n % cardinality(d.codes)] END AS dep_name
    FROM (
        SELECT n, lvl AS level,
               CASE WHEN n % 20 = 0 THEN 'industry' WHEN n % 20 <= 3 THEN 'project' ELSE 'enterprise' END AS kind,
               CASE lvl WHEN 'province' THEN '430000'
                        WHEN 'city' THEN ($7::text[])[1 + n % cardinality($7::text[])]
                        ELSE ($8::text[])[1 + (n * 7919) % cardinality($8::text[])] END AS region_code,
               CASE WHEN (n * 37) % 100 < 48 THEN 'pending' WHEN (n * 37) % 100 < 66 THEN 'submitted'
                    WHEN (n * 37) % 100 < 72 THEN 'returned' WHEN (n * 37) % 100 < 76 THEN 'resubmitted'
                    ELSE 'accepted' END AS state
        FROM (SELECT n, CASE WHEN n % 100 = 0 THEN 'province' WHEN n % 100 <= 14 THEN 'city' ELSE 'county' END
                     AS lvl
              FROM generate_series(1, $9::int) AS n) AS levels
    ) AS g
    JOIN (SELECT * FROM unnest($10::text[], $11::text[]) AS x (code, name)) AS r ON r.code = g.region_code
    LEFT JOIN (SELECT * FROM unnest($10::text[], $11::text[]) AS x (code, name)) AS c
           ON c.code = left(g.region_code, 4) || '00',
    (SELECT $12::text[] AS codes, $13::text[] AS names) AS d
) AS s
JOIN {tiers} ON tiers.kind = s.kind AND tiers.level = s.level
CROSS JOIN (SELECT $6::timestamptz AS at) AS o
"""


@dataclass
class SeededRound:
    plan_id: uuid.UUID
    round_id: uuid.UUID
    tasks: int
    seconds: float


def migrate_database(url: str) -> None:
    """The scheduler's schema at head on `url` (Alembic runs its own event loop: call it outside one)."""
    migrate.upgrade("scheduler", url)


async def load(url: str, tasks: int, *, now: dt.datetime) -> SeededRound:
    """One open round of `tasks` tasks in the migrated `scheduler` schema of `url` (`migrate_database`).

    The round opened six days before `now` and its deadline was an hour before it."""
    started = time.perf_counter()
    where = regions()
    deps = departments()
    plan_id, round_id = uuid.UUID(bytes=b"\x01" * 16), uuid.UUID(bytes=b"\x02" * 16)
    opened = now - dt.timedelta(days=6)
    due_at = now - dt.timedelta(hours=1)
    versions = orjson.dumps({k.value: latest_template(k).version for k in EntityKind}).decode()
    if len({latest_template(k).version for k in EntityKind}) != 1:
        raise RuntimeError("the seed gives every task one template version; the kinds' latest differ")
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute(PLAN_SQL, plan_id, versions, opened)
            await conn.execute(
                ROUND_SQL, round_id, plan_id, PERIOD_KEY, opened, due_at.date(), due_at, due_at + dt.timedelta(days=2)
            )
            codes = list(where.names)
            await conn.execute(
                TASKS_SQL.replace("{tiers}", _tiers_values()),
                round_id,
                plan_id,
                PERIOD_KEY,
                latest_template(EntityKind.enterprise).version,
                due_at,
                opened,
                where.cities,
                where.counties,
                tasks,
                codes,
                [where.names[c] for c in codes],
                [d[0] for d in deps],
                [d[1] for d in deps],
            )
        await conn.execute("VACUUM (ANALYZE) scheduler.report_task")
        count = await conn.fetchval("SELECT count(*) FROM scheduler.report_task")
    finally:
        await conn.close()
    return SeededRound(plan_id, round_id, int(count), time.perf_counter() - started)


async def county_sizes(url: str) -> list[tuple[str, int]]:
    """Each county's task count, largest first."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT region_code, count(*) AS n FROM scheduler.report_task WHERE level = 'county'"
            " GROUP BY region_code ORDER BY n DESC, region_code"
        )
    finally:
        await conn.close()
    return [(r["region_code"], int(r["n"])) for r in rows]
