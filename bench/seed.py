"""The bench data set: a fresh, migrated database and 122,000 entities loaded with set-based SQL.

Ids are `md5(kind || n)::uuid`, so every link is computed rather than looked up. Levels, regions and
tiers respect the schema's checks and the programme's rules (province → 430000, city → a city code,
county → a county code; the tier the level allows), every entity has its `include` adjustment and
industries and enterprises one or two annual metrics, so the read query does its real work. Every entity
row carries its size as the registry keeps it: the latest annual metric, or a project's total investment.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench.settings import BenchSettings
from services.registry.models import PROJECT_SIZE_METRIC
from shared import migrate
from shared.schemas.enums import PATHWAYS_BY_KIND, EntityKind, Level
from shared.tiers import PROGRAMME_TIER

PERSONS = 3000
PARKS = 300


@dataclass(frozen=True)
class KindPlan:
    kind: EntityKind
    count: int
    province: int
    city: int
    noun: str  # ends each generated name
    size_metric: str | None  # the annual metric that sizes it; projects go by total investment

    @property
    def tiers(self) -> tuple[str, ...]:
        """The tier the programme sets at each level: province, city, county."""
        return tuple(PROGRAMME_TIER[(self.kind, level)].value for level in (Level.province, Level.city, Level.county))

    @property
    def pathways(self) -> list[str]:
        return [p.value for p in PATHWAYS_BY_KIND[self.kind]]


def plans(settings: BenchSettings) -> tuple[KindPlan, ...]:
    return (
        KindPlan(EntityKind.industry, settings.industries, 30, 300, "产业", "output"),
        KindPlan(
            EntityKind.enterprise, settings.enterprises, 100, settings.enterprises // 5, "企业有限公司", "revenue"
        ),
        KindPlan(EntityKind.project, settings.projects, 200, settings.projects // 5, "项目", None),
    )


def database_url(server_url: str, database: str) -> str:
    """`server_url` with its database swapped for `database` (query string, e.g. `?host=`, kept)."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + database))


async def recreate_database(server_url: str, database: str) -> str:
    if not database.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name: {database!r}")
    conn = await asyncpg.connect(database_url(server_url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
    return database_url(server_url, database)


def migrate_database(url: str) -> None:
    migrate.upgrade("registry", url)


# The entities of one kind, with the running number `n` the links are computed from.
PLAN_SQL = """
CREATE TEMP TABLE bench_{kind} AS
SELECT n, md5('{kind}' || n)::uuid AS id, lvl AS level,
       CASE lvl WHEN 'province' THEN '430000'
                WHEN 'city' THEN c.a[1 + n % cardinality(c.a)]
                ELSE k.a[1 + n % cardinality(k.a)] END AS region_code,
       CASE lvl WHEN 'province' THEN $4 WHEN 'city' THEN $5 ELSE $6 END AS target_tier,
       (ARRAY['industry_it', 'industry_it', 'agriculture', 'construction', 'services'])[1 + n % 5] AS domain,
       ($7::text[])[1 + n % cardinality($7::text[])] AS pathway,
       CASE WHEN n % 3 = 0 THEN NULL ELSE d.a[1 + n % cardinality(d.a)] END AS lead_department_id,
       DATE '2023-01-01' + (n % 700) AS listed_on,
       TIMESTAMPTZ '2023-01-01 08:00+08' + (n % 700) * INTERVAL '1 day' AS created_at,
       TIMESTAMPTZ '2025-06-30 18:00+08' - ((n::bigint * 7919) % 525600) * INTERVAL '1 minute'
           - (n % 997) * INTERVAL '1 millisecond' AS updated_at,
       $8::text AS size_metric
FROM (SELECT n, CASE WHEN n <= $2 THEN 'province' WHEN n <= $2 + $3 THEN 'city' ELSE 'county' END AS lvl
      FROM generate_series(1, $1::int) AS n) AS s,
     (SELECT array_agg(code ORDER BY code) AS a FROM registry.region WHERE level = 'city') AS c,
     (SELECT array_agg(code ORDER BY code) AS a FROM registry.region WHERE level = 'county') AS k,
     (SELECT array_agg(id ORDER BY code) AS a FROM registry.department) AS d
"""

ENTITY_SQL = """
INSERT INTO registry.entity (id, kind, name, level, region_code, domain, pathway, target_tier,
                             lead_department_id, listed_on, created_at, updated_at,
                             size_metric, size_year, size_value)
SELECT b.id, '{kind}', r.name || '{noun}' || b.n || '号', b.level, b.region_code, b.domain, b.pathway,
       b.target_tier, b.lead_department_id, b.listed_on, b.created_at, b.updated_at, {size}
FROM bench_{kind} AS b JOIN registry.region AS r ON r.code = b.region_code, (SELECT {size_year} AS y) AS latest
"""

# The annual metric of an entity in a year: around its target tier's threshold, so some reach it.
METRIC_VALUE = """
round((CASE b.target_tier WHEN 'trillion' THEN 10000 WHEN 'hundred_billion' THEN 1000
                          WHEN 'ten_billion' THEN 100 ELSE 10 END)
      * (0.3 + ((b.n * 31 + y) % 170) / 100.0), 4)
"""

SIZE_YEAR = 2024  # every industry and enterprise has this year's metric; even-numbered ones 2023 too

# A project's total investment, around its target tier's threshold (both the project row and the size
# on its entity row are written from it).
INVESTMENT = """
round((CASE b.target_tier WHEN 'ten_billion' THEN 100 WHEN 'billion' THEN 10 ELSE 1 END)
      * (0.5 + (b.n % 300) / 100.0), 4)
"""


def size_sql(plan: KindPlan) -> str:
    """`size_metric, size_year, size_value` of the plan's entity rows, as the registry keeps them."""
    if plan.kind == "project":
        return f"'{PROJECT_SIZE_METRIC}', NULL, {INVESTMENT.strip()}"
    return f"b.size_metric, y, {METRIC_VALUE.strip()}"


# Entities whose size on the row is not the one the registry would keep (migration 0004: a copy of the
# latest annual metric, kept by the metric service; 0006: a project's total investment, kept by a
# trigger on `project`); the load writes both sides, and this checks it did.
SIZE_MISMATCHES = f"""
SELECT count(*) FROM registry.entity AS e
LEFT JOIN ((SELECT DISTINCT ON (entity_id) entity_id, metric, year, value
              FROM registry.metric_value
             WHERE month = 0 AND metric IN ('revenue', 'output')
             ORDER BY entity_id, year DESC, metric DESC, revision DESC)
           UNION ALL
           SELECT entity_id, '{PROJECT_SIZE_METRIC}', NULL, total_investment FROM registry.project) AS m
       ON m.entity_id = e.id
WHERE (e.size_metric, e.size_year, e.size_value) IS DISTINCT FROM (m.metric, m.year, m.value)
"""

STEPS: tuple[tuple[str, str], ...] = (
    (
        "persons and parks",
        f"""
        INSERT INTO registry.person (id, name, title, region_code, phone, email)
        SELECT md5('person' || n)::uuid, '责任人' || n, (ARRAY['处长', '科长', '主任'])[1 + n % 3],
               r.a[1 + n % cardinality(r.a)], '0731-' || lpad(n::text, 8, '0'), 'p' || n || '@hunan.gov.cn'
        FROM generate_series(1, {PERSONS}) AS n,
             (SELECT array_agg(code ORDER BY code) AS a FROM registry.region WHERE level <> 'province') AS r;
        INSERT INTO registry.park (id, name, grade, five_good, region_code)
        SELECT md5('park' || n)::uuid, r.name || '产业园' || n,
               (ARRAY['national', 'provincial', 'concentration_zone', 'development_zone'])[1 + n % 4],
               n % 5 = 0, r.code
        FROM generate_series(1, {PARKS}) AS n
        JOIN (SELECT code, name, row_number() OVER (ORDER BY code) - 1 AS i
              FROM registry.region WHERE level <> 'province') AS r
          ON r.i = n % (SELECT count(*) FROM registry.region WHERE level <> 'province');
        """,
    ),
    (
        "kind rows",
        """
        INSERT INTO registry.industry (entity_id, parent_industry_id, roadmap)
        SELECT id, CASE level WHEN 'county' THEN md5('industry' || (31 + n % 300))::uuid
                              WHEN 'city' THEN md5('industry' || (1 + n % 30))::uuid END,
               '到2025年形成完整产业链'
        FROM bench_industry ORDER BY n;
        INSERT INTO registry.enterprise (entity_id, uscc, labels)
        SELECT id, '92' || region_code || lpad(n::text, 8, '0') || '0' || (n % 10),
               CASE n % 7 WHEN 0 THEN ARRAY['little_giant'] WHEN 1 THEN ARRAY['leading', 'chain_master']
                          ELSE '{}' END
        FROM bench_enterprise;
        INSERT INTO registry.project (entity_id, project_code, owner_enterprise_id, total_investment, stage,
                                      planned_start_on, planned_completion_on)
        SELECT b.id, '2024-' || b.region_code || '-39-03-' || lpad(b.n::text, 6, '0'),
               CASE WHEN b.n % 2 = 0 THEN md5('enterprise' || (1 + (b.n * 3) % :enterprises))::uuid END,
               :investment,
               (ARRAY['planning', 'signed', 'started', 'under_construction', 'completed'])[1 + b.n % 5],
               DATE '2024-03-01' + (b.n % 200), DATE '2026-03-01' + (b.n % 400)
        FROM bench_project AS b;
        INSERT INTO registry.project_annual_plan (project_id, year, planned_investment)
        SELECT id, y, 0.5 + (n % 50) / 10.0 FROM bench_project, generate_series(2024, 2025) AS y;
        """,
    ),
    (
        "links",
        f"""
        INSERT INTO registry.entity_person (entity_id, person_id)
        SELECT id, md5('person' || (1 + n % {PERSONS}))::uuid FROM bench_enterprise
        UNION ALL SELECT id, md5('person' || (1 + (n * 7 + 1) % {PERSONS}))::uuid FROM bench_enterprise WHERE n % 3 = 0
        UNION ALL SELECT id, md5('person' || (1 + n % {PERSONS}))::uuid FROM bench_industry
        UNION ALL SELECT id, md5('person' || (1 + (n * 7 + 1) % {PERSONS}))::uuid FROM bench_industry
        UNION ALL SELECT id, md5('person' || (1 + n % {PERSONS}))::uuid FROM bench_project
        ON CONFLICT DO NOTHING;
        INSERT INTO registry.entity_chain (entity_id, chain_id)
        SELECT b.id, c.a[1 + b.n % cardinality(c.a)]
        FROM (SELECT id, n FROM bench_enterprise WHERE n % 4 = 0 UNION ALL SELECT id, n FROM bench_industry) AS b,
             (SELECT array_agg(id ORDER BY name) AS a FROM registry.chain) AS c;
        INSERT INTO registry.entity_park (entity_id, park_id)
        SELECT id, md5('park' || (1 + n % {PARKS}))::uuid FROM bench_enterprise WHERE n % 2 = 0
        UNION ALL SELECT id, md5('park' || (1 + n % {PARKS}))::uuid FROM bench_project;
        INSERT INTO registry.enterprise_industry (enterprise_id, industry_id)
        SELECT id, md5('industry' || (1 + n % :industries))::uuid FROM bench_enterprise;
        """,
    ),
    (
        "annual metrics",
        """
        INSERT INTO registry.metric_value (entity_id, metric, year, month, value, source, recorded_by)
        SELECT b.id, b.size_metric, y, 0, :metric_value, 'report', 'bench-seed'
        FROM (SELECT * FROM bench_industry UNION ALL SELECT * FROM bench_enterprise) AS b
        CROSS JOIN generate_series(2023, :size_year) AS y
        WHERE b.size_metric IS NOT NULL AND (y = :size_year OR b.n % 2 = 0);
        """,
    ),
    (
        "roster inclusions",
        """
        INSERT INTO registry.roster_adjustment (entity_id, action, reason, effective_on, actor_sub, actor_name,
                                                to_level, to_region_code, to_tier, status_after, created_at)
        SELECT id, 'include', '首批纳入名单', listed_on, 'bench-seed', '基准数据', level, region_code,
               target_tier, 'listed', created_at
        FROM (SELECT * FROM bench_industry UNION ALL SELECT * FROM bench_enterprise
              UNION ALL SELECT * FROM bench_project) AS b;
        """,
    ),
)


@dataclass
class SeedReport:
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


async def load(url: str, settings: BenchSettings) -> SeedReport:
    report = SeedReport()
    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET maintenance_work_mem = '256MB'")
        async with conn.transaction():
            step = time.perf_counter()
            deferred = await _drop_secondary_indexes(conn)
            for plan in plans(settings):
                await conn.execute(
                    PLAN_SQL.format(kind=plan.kind),
                    plan.count,
                    plan.province,
                    plan.city,
                    *plan.tiers,
                    plan.pathways,
                    plan.size_metric,
                )
                await conn.execute(
                    ENTITY_SQL.format(kind=plan.kind, noun=plan.noun, size=size_sql(plan), size_year=SIZE_YEAR)
                )
            report.steps["entities"] = time.perf_counter() - step
            for name, sql in STEPS:
                step = time.perf_counter()
                await _execute_script(conn, sql, settings)
                report.steps[name] = time.perf_counter() - step
            mismatches = await conn.fetchval(SIZE_MISMATCHES)
            if mismatches:
                raise RuntimeError(f"{mismatches} entities whose size on the row is not their latest size")
            step = time.perf_counter()
            for definition in deferred:
                await conn.execute(definition)
            report.steps["secondary indexes"] = time.perf_counter() - step
        step = time.perf_counter()
        await conn.execute("VACUUM (ANALYZE)")
        report.steps["vacuum analyze"] = time.perf_counter() - step
        for table in (
            "entity",
            "enterprise",
            "industry",
            "project",
            "person",
            "park",
            "entity_person",
            "entity_chain",
            "entity_park",
            "enterprise_industry",
            "metric_value",
            "roster_adjustment",
        ):
            report.rows[table] = await conn.fetchval(f"SELECT count(*) FROM registry.{table}")
    finally:
        await conn.close()
    report.seconds = time.perf_counter() - started
    return report


async def _drop_secondary_indexes(conn: asyncpg.Connection) -> list[str]:
    """Drop the plain b-tree indexes (not those behind a constraint); return how to rebuild them.

    A sorted build after the load is several times faster than maintaining five indexes row by row;
    the definitions come from the migrated schema itself, so the rebuilt indexes are the real ones.
    GIN indexes stay: rebuilding `name_grams` from scratch costs more than maintaining it.
    """
    rows = await conn.fetch(
        """
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index AS i
        JOIN pg_class AS c ON c.oid = i.indexrelid
        JOIN pg_am AS am ON am.oid = c.relam
        WHERE i.indrelid::regclass::text LIKE 'registry.%' AND am.amname = 'btree'
          AND NOT i.indisprimary AND NOT i.indisunique
          AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = i.indexrelid)
        """
    )
    for row in rows:
        await conn.execute(f"DROP INDEX {row['name']}")
    return [row["definition"] for row in rows]


async def _execute_script(conn: asyncpg.Connection, script: str, settings: BenchSettings) -> None:
    counts = {":enterprises": settings.enterprises, ":industries": settings.industries}
    for name, value in counts.items():
        script = script.replace(name, str(int(value)))
    script = script.replace(":metric_value", METRIC_VALUE.strip()).replace(":size_year", str(SIZE_YEAR))
    script = script.replace(":investment", INVESTMENT.strip())
    await conn.execute(script)


async def enterprise_ids(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT id FROM registry.entity WHERE kind = 'enterprise' ORDER BY id")
    finally:
        await conn.close()
    return [str(r["id"]) for r in rows]


async def list_filters(url: str, limit: int = 12) -> list[tuple[str, str, int]]:
    """(region, tier, matching rows) combos for the list mix: cities with each tier, and the province."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            """
            SELECT CASE WHEN level = 'province' THEN '430000' ELSE left(region_code, 4) || '00' END AS region,
                   target_tier AS tier, count(*) AS n
            FROM registry.entity WHERE kind = 'enterprise'
            GROUP BY 1, 2 HAVING count(*) > 50 ORDER BY 1, 2
            """
        )
    finally:
        await conn.close()
    combos = [(r["region"], r["tier"], int(r["n"])) for r in rows]
    # A fixed sample over regions and tiers, the province-wide one always among them.
    province = [c for c in combos if c[0] == "430000"]
    others = random.Random(3).sample([c for c in combos if c[0] != "430000"], max(0, limit - len(province)))
    return sorted(province + others)
