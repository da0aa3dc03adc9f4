"""The supervision sweep over 500,000 report tasks: target under 15 s.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.sweep

Creates a throw-away database (`BENCH_SWEEP_DATABASE`, default wqb_bench_sweep; dropped and created
again), migrates the scheduler's schema, loads it with set-based SQL (below), then runs the sweep the
supervision loop runs (`findings.service.Sweep`, every seeded rule, in one transaction, committed)
three times: cold (no findings yet: every one is inserted and every red one gets its letter), warm (the
same instant again: every finding is there and unchanged) and a day later (every deadline finding's
explanation has changed, so each is rewritten; the open round's pending tasks turn red and get their
letters). Prints each pass's wall time with each rule's share, and the rows behind them.
`BENCH_SWEEP_TASKS` (500,000) sets the size.

The data: 50,000 entities (4 % industries, 56 % enterprises, 40 % projects; 1 % province, 20 % city,
the rest county, each with its level's programme tier), one plan per kind, ten monthly rounds
(2026-01 … 2026-10; the last one open and due on the sweep's day), one task per entity and round.
Past rounds are accepted but 2 % pending (overdue: red) and 1 % returned; the open round is 40 %
pending, 30 % submitted, 30 % accepted. Sizes and investment sit around each tier's threshold and pace
with a spread, so each rule finds blue, yellow and red cases; 5 % of projects do not move (stalled).
Besides: 5,000 open problems due across six weeks, 3,000 receipts of circulars left unsigned.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import any_, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bench.procstat import cpu_seconds, loadavg
from bench.seed import database_url, recreate_database
from services.scheduler.circulars.compose import enqueue, red_finding_letter
from services.scheduler.findings import sweep_sql
from services.scheduler.findings.repository import FindingRepository
from services.scheduler.findings.service import Sweep
from services.scheduler.models import Finding, outbox, table
from shared import migrate
from shared.outbox import Outbox
from shared.schemas.enums import TIER_THRESHOLD_YI
from shared.settings import asyncpg_dsn, to_asyncpg_url
from shared.tiers import PROGRAMME_TIER

ZONE = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 9, 12, tzinfo=ZONE)  # the open round 2026-10 is due today
NEXT_DAY = NOW + dt.timedelta(days=1)
ROUNDS = 10
CITIES = ["430100", "430200", "430300", "430400", "430500", "430600", "430700"]
CITIES += ["430800", "430900", "431000", "431100", "431200", "431300", "433100"]

TIERS = ", ".join(
    f"('{kind.value}', '{level.value}', '{tier.value}', {TIER_THRESHOLD_YI[tier]})"
    for (kind, level), tier in PROGRAMME_TIER.items()
)

SEED = [
    (
        "plans",
        """
INSERT INTO scheduler.plan (id, name, owner_department, region_code, schedule, cron, period_kind, timezone,
    scope, template_versions, submission_window, reminders, missed_tick_policy, missed_tick_cap, status,
    last_tick_at, created_by)
SELECT md5('plan' || k)::uuid, k || '月度调度', 'industry-it', '430000', '{"kind": "monthly", "day": 1}',
       '0 9 1 * *', 'month', 'Asia/Shanghai', jsonb_build_object('kinds', jsonb_build_array(k)),
       jsonb_build_object(k, 1), '{"due_after_working_days": 5, "grace_working_days": 2}', '[]', 'skip', 1,
       'paused', TIMESTAMPTZ '2026-11-01 09:00+08', 'bench'
FROM unnest(ARRAY['industry', 'enterprise', 'project']) AS k
""",
    ),
    (
        "rounds",
        """
INSERT INTO scheduler.round (id, plan_id, period_key, state, opens_at, due_on, due_at, grace_until, reminders,
    provisional)
SELECT md5('round' || k || m)::uuid, md5('plan' || k)::uuid, '2026-' || lpad(m::text, 2, '0'),
       CASE WHEN m = $1 THEN 'open' ELSE 'closed' END,
       make_timestamptz(2026, m + 1, 1, 9, 0, 0, 'Asia/Shanghai'),
       make_date(2026, m + 1, 1) + 8, make_timestamptz(2026, m + 1, 9, 18, 0, 0, 'Asia/Shanghai'),
       make_timestamptz(2026, m + 1, 11, 18, 0, 0, 'Asia/Shanghai'), '[]', false
FROM unnest(ARRAY['industry', 'enterprise', 'project']) AS k, generate_series(1, $1::int) AS m
""",
    ),
    (
        "entities",
        f"""
CREATE TEMP TABLE bench_entity AS
SELECT n, md5('entity' || n)::uuid AS id, e.kind, e.level, t.tier, t.threshold,
       CASE e.level WHEN 'province' THEN '430000'
                    WHEN 'city' THEN c.a[1 + n % 14]
                    ELSE left(c.a[1 + n % 14], 4) || lpad((2 + n % 9)::text, 2, '0') END AS region_code,
       -- the size reached by December, against the tier: 2 % of entities an order of magnitude above it
       CASE WHEN n % 50 = 0 THEN 12.5 ELSE 0.6 + (n * 37 % 90) / 100.0 END AS factor,
       0.6 + (n * 53 % 60) / 100.0 AS pace
FROM generate_series(1, $1::int) AS n
CROSS JOIN LATERAL (
    SELECT CASE WHEN n % 25 = 0 THEN 'industry' WHEN n % 5 IN (1, 3) THEN 'project' ELSE 'enterprise' END AS kind,
           CASE WHEN n % 100 = 7 THEN 'province' WHEN n % 5 = 2 THEN 'city' ELSE 'county' END AS level
) e
JOIN (VALUES {TIERS}) AS t(kind, level, tier, threshold) ON t.kind = e.kind AND t.level = e.level,
(SELECT $2::text[] AS a) AS c
""",
    ),
    (
        "tasks",
        """
INSERT INTO scheduler.report_task (round_id, plan_id, period_key, entity_id, entity_kind, entity_name, region_code,
    level, tier, domain, lead_department_code, facts, template_version, state, due_at, figures, submission_count,
    submitted_at, accepted_at)
SELECT md5('round' || b.kind || m)::uuid, md5('plan' || b.kind)::uuid, '2026-' || lpad(m::text, 2, '0'),
       b.id, b.kind, b.kind || '-' || b.n, b.region_code, b.level, b.tier, 'industry_it',
       CASE WHEN b.n % 3 = 0 THEN NULL ELSE 'industry-it' END,
       CASE WHEN b.kind = 'project' THEN jsonb_build_object(
           'total_investment', round(b.threshold * b.factor, 4)::text,
           'stage', 'signed', 'signed_on', '2025-0' || (1 + b.n % 9) || '-15',
           'annual_plans', jsonb_build_object('2026', round(b.threshold * b.factor / 3, 4)::text))
       ELSE '{}'::jsonb END,
       1, s.state, make_timestamptz(2026, m + 1, 9, 18, 0, 0, 'Asia/Shanghai'),
       CASE WHEN s.state = 'pending' THEN NULL
            WHEN b.kind = 'project' THEN jsonb_build_object(
                'investment_period', CASE WHEN b.n % 20 = 1 THEN '0' ELSE round(v.ytd / m, 4)::text END,
                'investment_ytd', CASE WHEN b.n % 20 = 1 THEN '0' ELSE round(v.ytd, 4)::text END,
                'stage', CASE WHEN b.n % 20 = 1 THEN 'signed' WHEN m < 3 THEN 'started' ELSE 'under_construction' END,
                'progress', '按计划推进', 'next_steps', '继续推进')
            WHEN b.n % 4 = 0 THEN jsonb_build_object('output_ytd', round(v.ytd, 4)::text,
                'progress', '按计划推进', 'next_steps', '继续推进')
            ELSE jsonb_build_object('revenue_ytd', round(v.ytd, 4)::text,
                'progress', '按计划推进', 'next_steps', '继续推进') END,
       CASE WHEN s.state = 'pending' THEN 0 ELSE 1 END,
       CASE WHEN s.state = 'pending' THEN NULL ELSE make_timestamptz(2026, m + 1, 5, 10, 0, 0, 'Asia/Shanghai') END,
       CASE WHEN s.state = 'accepted' THEN make_timestamptz(2026, m + 1, 7, 10, 0, 0, 'Asia/Shanghai') END
FROM bench_entity b
CROSS JOIN generate_series(1, $1::int) AS m
CROSS JOIN LATERAL (SELECT (b.n * 7 + m * 13) % 100 AS h) x
CROSS JOIN LATERAL (SELECT CASE
    WHEN m < $1 THEN CASE WHEN x.h < 2 THEN 'pending' WHEN x.h < 3 THEN 'returned' ELSE 'accepted' END
    ELSE CASE WHEN x.h < 40 THEN 'pending' WHEN x.h < 70 THEN 'submitted' ELSE 'accepted' END END AS state) s
CROSS JOIN LATERAL (SELECT CASE WHEN b.kind = 'project' THEN b.threshold * b.factor / 3 ELSE b.threshold * b.factor END
                           * m / 12.0 * b.pace AS ytd) v
""",
    ),
    (
        "problems",
        """
INSERT INTO scheduler.problem (category, title, description, region_code, entity_id, entity_kind, entity_name,
    assigned_department, level, state, due_on, due_provisional, raised_by, raised_region)
SELECT CASE WHEN i % 2 = 0 THEN 'difficulty' ELSE 'coordination' END, '问题' || i, '描述', b.region_code, b.id,
       b.kind, b.kind || '-' || b.n, 'industry-it', 'county', CASE WHEN i % 3 = 0 THEN 'in_progress' ELSE 'open' END,
       DATE '2026-10-01' + i % 42, false, 'bench', b.region_code
FROM generate_series(1, 5000) AS g(i) JOIN bench_entity b ON b.n = g.i * 7
""",
    ),
    (
        "receipts",
        """
INSERT INTO scheduler.unsigned_receipt (circular_id, unit_type, unit_code, title, document_number, published_at,
    fetched_at)
SELECT md5('circular' || n / 30)::uuid, 'region', left(($1::text[])[1 + n % 14], 4) || lpad((n % 30)::text, 2, '0'),
       '通报' || n / 30, '湘万千百办督〔2026〕' || n / 30 || '号',
       TIMESTAMPTZ '2026-10-25 10:00+08' + (n / 30) * INTERVAL '3 hours', TIMESTAMPTZ '2026-11-09 11:00+08'
FROM generate_series(1, 3000) AS n
""",
    ),
]


async def seed(url: str, tasks: int) -> dict[str, float]:
    entities = tasks // ROUNDS
    args: dict[str, tuple[Any, ...]] = {
        "plans": (),
        "rounds": (ROUNDS,),
        "entities": (entities, CITIES),
        "tasks": (ROUNDS,),
        "problems": (),
        "receipts": (CITIES,),
    }
    times: dict[str, float] = {}
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with conn.transaction():
            for name, sql in SEED:
                start = time.perf_counter()
                await conn.execute(sql, *args[name])
                times[name] = time.perf_counter() - start
        start = time.perf_counter()
        await conn.execute("VACUUM (ANALYZE)")
        times["vacuum_analyze"] = time.perf_counter() - start
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM scheduler.report_task) AS tasks,"
            " (SELECT count(*) FROM scheduler.report_task WHERE state = 'accepted') AS accepted,"
            " (SELECT count(*) FROM scheduler.problem) AS problems"
        )
        print(f"seeded: {dict(counts)}")
    finally:
        await conn.close()
    return times


class TimedRepository(FindingRepository):
    """The sweep's repository, timing each rule's statement and the letters."""

    times: dict[str, float]

    async def sweep(self, rule: str, version: int, binds: dict[str, Any], now: dt.datetime) -> tuple[int, int]:
        start = time.perf_counter()
        try:
            return await super().sweep(rule, version, binds, now)
        finally:
            self.times[rule] = time.perf_counter() - start

    async def queue_red_letters(self, now: dt.datetime) -> int:
        start = time.perf_counter()
        try:
            return await super().queue_red_letters(now)
        finally:
            self.times["red letters"] = time.perf_counter() - start


async def one_pass(sessions: async_sessionmaker[AsyncSession], label: str, now: dt.datetime) -> float:
    async with sessions() as session:
        backend = int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())
        await session.commit()
    cpu_before = cpu_seconds(backend)
    start = time.perf_counter()
    async with sessions.begin() as session:
        sweep = Sweep(session, ZONE)
        repo = TimedRepository(session)
        repo.times = {}
        sweep.repo = repo
        result = await sweep.run(now)
        committing = time.perf_counter()
    total = time.perf_counter() - start
    cpu = cpu_seconds(backend) - cpu_before
    assert result is not None
    print(
        f"\n{label}: {total:.2f} s (commit {time.perf_counter() - committing:.2f} s), letters {result.letters}; "
        f"PostgreSQL backend CPU {cpu:.2f} s, load average {loadavg()[0]:.1f}"
    )
    for rule in result.rules:
        seconds = repo.times[rule.rule.value]
        print(f"  {rule.rule.value:<20} {seconds:6.2f} s  upserted {rule.upserted:>7}  cleared {rule.cleared:>6}")
    print(f"  {'red letters':<20} {repo.times['red letters']:6.2f} s")
    return total


# The previous statements, kept here as the baseline the new ones are measured against in the same run:
# recovery found each cleared finding's explanation with a subquery over `eval` per row, and the red
# letters were composed and queued one finding at a time in Python.
CORRELATED_CLEARED = """
cleared AS (
    UPDATE scheduler.finding f SET
        colour = CASE WHEN f.colour = 'red' THEN 'yellow' ELSE f.colour END,
        state = CASE WHEN f.colour = 'red' THEN f.state ELSE 'resolved' END,
        resolved_at = CASE WHEN f.colour = 'red' THEN NULL ELSE CAST(:now AS timestamptz) END,
        explanation = coalesce(
            (SELECT e.explanation FROM eval e WHERE e.subject_id = f.subject_id AND e.period_key = f.period_key),
            f.explanation),
        evaluated_at = CAST(:now AS timestamptz), version = f.version + 1, updated_at = now()
    WHERE f.rule_code = CAST(:rule AS text) AND f.state <> 'resolved'
      AND NOT EXISTS (
          SELECT 1 FROM eval e
          WHERE e.colour IS NOT NULL AND e.subject_id = f.subject_id AND e.period_key = f.period_key)
    RETURNING f.id
)"""


def correlated_sweep(rule: str) -> str:
    """`sweep_sql.sweep(rule)` of a measured rule with its recovery as it was (red steps down to yellow)."""
    current = sweep_sql.sweep(rule).text
    start, end = current.index("gone AS ("), current.index("SELECT (SELECT count(*) FROM upserted)")
    return current[:start] + CORRELATED_CLEARED.strip() + "\n" + current[end:]


async def row_by_row_letters(session: AsyncSession, now: dt.datetime) -> int:
    """The red letters as they were queued: one SELECT, then one INSERT per finding, then one UPDATE."""
    f = table(Finding)
    stmt = (
        select(f)
        .where(f.c.colour == "red", f.c.state != "resolved", f.c.red_notified_at.is_(None))
        .order_by(f.c.id)
        .with_for_update(skip_locked=True)
    )
    red = (await session.execute(stmt)).mappings().all()
    for finding in red:
        key, request = red_finding_letter(finding)
        await enqueue(session, Outbox(outbox), key, request)
    ids = [r["id"] for r in red]
    state = func.coalesce(func.nullif(f.c.state, "open"), "notified")
    # The original sent `id IN (...)` with one bind parameter per finding, which fails past asyncpg's
    # 32,767 (this data set's first sweep has 39,350 red findings); `= ANY(array)` is the same update.
    await session.execute(
        update(f)
        .where(f.c.id == any_(bindparam("ids", ids, type_=ARRAY(PG_UUID(as_uuid=True)))))
        .values(red_notified_at=now, state=state, version=f.c.version + 1)
    )
    return len(red)


async def before_and_after(
    sessions: async_sessionmaker[AsyncSession], names: tuple[str, ...] = ("recovery", "red letters")
) -> dict[str, tuple[float, float]]:
    """Recovery and red letters, the old way and the new, each on the same rows in a rolled-back
    transaction. Recovery: pace_below_tier with both thresholds at 0, so every one of its findings
    clears while its evaluation still holds a row per entity and year (the case the per-row subquery
    made quadratic); letters: every red finding unnotified again."""
    binds = {"rule": "pace_below_tier", "rule_version": 1, "now": NOW, "version": "1", "basis": "days"}
    binds |= {"yellow_below": 0, "red_below": 0, "yellow_below_text": "0", "red_below_text": "0"}
    results: dict[str, tuple[float, float]] = {}
    for name in names:
        timings = []
        for old in (True, False):
            async with sessions() as session:
                await session.execute(text("SET LOCAL work_mem = '64MB'"))
                await session.execute(text("SET LOCAL jit = off"))
                if name == "recovery":
                    statement = text(correlated_sweep("pace_below_tier")) if old else sweep_sql.sweep("pace_below_tier")
                    start = time.perf_counter()
                    row = (await session.execute(statement, binds)).one()
                    timings.append(time.perf_counter() - start)
                    counted = row.cleared
                else:
                    await session.execute(text("DELETE FROM scheduler.outbox_message"))
                    await session.execute(
                        text("UPDATE scheduler.finding SET red_notified_at = NULL, state = 'open' WHERE colour = 'red'")
                    )
                    start = time.perf_counter()
                    if old:
                        counted = await row_by_row_letters(session, NOW)
                    else:
                        counted = await FindingRepository(session).queue_red_letters(NOW)
                    timings.append(time.perf_counter() - start)
                await session.rollback()
            print(f"  {name}, {'before' if old else 'after'}: {timings[-1]:.2f} s ({counted} findings)")
        results[name] = (timings[0], timings[1])
    return results


async def compare_only(url: str) -> None:
    engine = create_async_engine(to_asyncpg_url(url))
    try:
        print("before and after, on the same rows (rolled back):")
        names = tuple(os.environ.get("BENCH_SWEEP_COMPARE", "recovery,red letters").split(","))
        for name, (old, new) in (await before_and_after(async_sessionmaker(engine), names)).items():
            print(f"  {name}: {old:.2f} s -> {new:.2f} s ({old / new:.1f}x)")
    finally:
        await engine.dispose()


async def run(url: str) -> None:
    engine = create_async_engine(to_asyncpg_url(url))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        cold = await one_pass(sessions, "cold (no findings yet)", NOW)
        warm = await one_pass(sessions, "warm (every finding there, none changed)", NOW)
        later = await one_pass(sessions, "a day later (every deadline finding's explanation changed)", NEXT_DAY)
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT rule_code, colour, count(*) FROM scheduler.finding GROUP BY 1, 2 ORDER BY 1, 2")
            )
            print("\nfindings:", ", ".join(f"{r}/{c} {n}" for r, c, n in rows))
        print(f"\ncold {cold:.2f} s, warm {warm:.2f} s, a day later {later:.2f} s (target < 15 s)")
        print("\nbefore and after, on the same rows (rolled back):")
        for name, (old, new) in (await before_and_after(sessions)).items():
            print(f"  {name}: {old:.2f} s -> {new:.2f} s ({old / new:.1f}x)")
    finally:
        await engine.dispose()


def main() -> None:
    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not server:
        raise SystemExit("set BENCH_DATABASE_URL to a PostgreSQL server the bench may create a database on")
    tasks = int(os.environ.get("BENCH_SWEEP_TASKS", 500_000))
    database = os.environ.get("BENCH_SWEEP_DATABASE", "wqb_bench_sweep")
    if os.environ.get("BENCH_SWEEP_COMPARE_ONLY") == "1":  # the last run's database, as it was left
        asyncio.run(compare_only(database_url(server, database)))
        return
    url = asyncio.run(recreate_database(server, database))
    start = time.perf_counter()
    migrate.upgrade("scheduler", url)
    print(f"migrated in {time.perf_counter() - start:.1f} s")
    times = asyncio.run(seed(url, tasks))
    print("seed: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))
    asyncio.run(run(url))


if __name__ == "__main__":
    main()
