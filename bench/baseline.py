"""The reference the registry is measured against: a minimal Starlette app over an asyncpg pool.

It serves the same two reads with the same SQL semantics and the same JSON (checked by
`bench.samples`): one enterprise with its links, responsible persons and standing, and a page of 50
filtered by region and tier. It is written the way a careful engineer writes a small fast service:
one query per request (prepared and cached by asyncpg), rows turned into dicts, `orjson` for the
body. It has what the registry's feature set does not need here removed: no auth, no metrics, no
logging, no ORM, no response model, no transaction around a single read.

Run: `uvicorn bench.baseline:create_app --factory` with `DATABASE_URL` set.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.regions import code_range
from shared.schemas.enums import EntityKind, Level, Standing, Tier
from shared.settings import BaseServiceSettings, asyncpg_dsn
from shared.tiers import achieves, in_growth_band, tier_reached

# The registry's read query for enterprises, written by hand: the entity and enterprise rows (today's
# size is kept on the entity row), link arrays and persons as JSON in subqueries — one statement.
SELECT = """
SELECT e.id, e.kind, e.name, e.level, e.region_code, e.domain, e.pathway, e.target_tier,
       e.lead_department_id, e.roster_status, e.listed_on, e.version, e.created_at, e.updated_at,
       e.size_metric AS standing_metric, e.size_year AS standing_year, e.size_value AS standing_value,
       k.uscc, k.labels,
       (SELECT coalesce(array_agg(c.chain_id), '{}'::uuid[]) FROM registry.entity_chain AS c
         WHERE c.entity_id = e.id) AS chain_ids,
       (SELECT coalesce(array_agg(p.park_id), '{}'::uuid[]) FROM registry.entity_park AS p
         WHERE p.entity_id = e.id) AS park_ids,
       (SELECT coalesce(array_agg(i.industry_id), '{}'::uuid[]) FROM registry.enterprise_industry AS i
         WHERE i.enterprise_id = e.id) AS industry_ids,
       (SELECT coalesce(json_agg(json_build_object(
                 'id', p.id, 'name', p.name, 'title', p.title, 'department_id', p.department_id,
                 'region_code', p.region_code, 'phone', p.phone, 'email', p.email, 'version', p.version)),
               '[]'::json)
          FROM registry.entity_person AS ep JOIN registry.person AS p ON p.id = ep.person_id
         WHERE ep.entity_id = e.id) AS persons,
       owned.project_count, owned.project_ids
FROM registry.entity AS e
JOIN registry.enterprise AS k ON k.entity_id = e.id
-- The projects the enterprise owns (a back-link): counted, and the first 100 ids by name, in one pass;
-- the bench's caller is an admin, whose reads cover every region.
CROSS JOIN LATERAL (
  SELECT count(*) AS project_count,
         coalesce((array_agg(m.id ORDER BY m.name, m.id))[1:100], '{}'::uuid[]) AS project_ids
    FROM registry.project AS pr JOIN registry.entity AS m ON m.id = pr.entity_id
   WHERE pr.owner_enterprise_id = e.id
) AS owned
WHERE e.kind = 'enterprise'
"""
GET_ONE = SELECT + " AND e.id = $1"
LIST_PAGE = (
    SELECT
    + " AND e.region_code BETWEEN $1 AND $2 AND e.target_tier = $3"
    + " ORDER BY e.updated_at DESC, e.id DESC LIMIT $4"
)

REGION_RE = re.compile(r"^\d{6}$")
TIERS = {t.value for t in Tier}
JSON_OPTIONS = orjson.OPT_UTC_Z


def _default(value: Any) -> Any:
    # asyncpg's UUID subclass is not one orjson serialises natively.
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(type(value).__name__)


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, default=_default, option=JSON_OPTIONS)


def _standing(row: Mapping[str, Any]) -> dict[str, Any]:
    value: Decimal | None = row["standing_value"]
    out: dict[str, Any] = {
        "metric": row["standing_metric"],
        "year": row["standing_year"],
        "value": value,
        "actual_tier": None,
        "status": Standing.no_data.value,
        "in_growth_band": False,
    }
    if value is not None:
        reached = tier_reached(value, EntityKind.enterprise)
        out["actual_tier"] = reached.value if reached else None
        out["status"] = (Standing.achieved if achieves(value, Tier(row["target_tier"])) else Standing.below).value
        out["in_growth_band"] = in_growth_band(value, EntityKind.enterprise, Level(row["level"]))
    return out


def enterprise(row: Mapping[str, Any]) -> dict[str, Any]:
    persons = orjson.loads(row["persons"])
    for person in persons:
        person["masked"] = False
    return {
        "id": row["id"],
        "kind": row["kind"],
        "name": row["name"],
        "level": row["level"],
        "region_code": row["region_code"],
        "domain": row["domain"],
        "pathway": row["pathway"],
        "target_tier": row["target_tier"],
        "lead_department_id": row["lead_department_id"],
        "roster_status": row["roster_status"],
        "listed_on": row["listed_on"],
        "persons": persons,
        "chain_ids": row["chain_ids"],
        "park_ids": row["park_ids"],
        "standing": _standing(row),
        "version": row["version"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "uscc": row["uscc"],
        "labels": row["labels"],
        "industry_ids": row["industry_ids"],
        "project_count": row["project_count"],
        "project_ids": row["project_ids"],
    }


def cursor(sort: str, updated_at: Any, entity_id: Any) -> str:
    """The registry's opaque cursor format, so a page reads the same from both."""
    raw = orjson.dumps([sort, [str(updated_at), str(entity_id)]])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def json_response(content: Any, status_code: int = 200) -> Response:
    return Response(dumps(content), status_code=status_code, media_type="application/json")


def not_found() -> Response:
    return json_response({"code": "enterprise_not_found"}, 404)


async def get_enterprise(request: Request) -> Response:
    try:
        entity_id = UUID(request.path_params["id"])
    except ValueError:
        return not_found()
    pool: asyncpg.Pool = request.app.state.pool
    row = await pool.fetchrow(GET_ONE, entity_id)
    if row is None:
        return not_found()
    return json_response(enterprise(row))


async def list_enterprises(request: Request) -> Response:
    params = request.query_params
    region, tier = params.get("region"), params.get("tier")
    limit = int(params.get("limit", "50"))
    if not (region and REGION_RE.match(region)) or tier not in TIERS or not 1 <= limit <= 200:
        return json_response({"code": "validation_failed"}, 422)
    low, high = code_range(region)
    pool: asyncpg.Pool = request.app.state.pool
    rows = await pool.fetch(LIST_PAGE, low, high, tier, limit + 1)
    items = [enterprise(r) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = cursor("-updated_at", last["updated_at"], last["id"])
    return json_response({"items": items, "next_cursor": next_cursor})


async def healthz(_: Request) -> Response:
    return json_response({"status": "ok", "service": "baseline"})


def create_app() -> Starlette:
    """At most as many connections as the registry's engine (its settings: DB_POOL_SIZE + DB_MAX_OVERFLOW)."""
    settings = BaseServiceSettings()
    dsn = asyncpg_dsn(settings.sqlalchemy_url())
    size, overflow = settings.db_pool_size, settings.db_max_overflow

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(
            dsn, min_size=size, max_size=size + overflow, server_settings={"timezone": "UTC"}
        )
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    routes = [
        Route("/healthz", healthz),
        Route("/api/v1/enterprises", list_enterprises),
        Route("/api/v1/enterprises/{id}", get_enterprise),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
