"""The reference the scheduler's task list is measured against: Starlette over an asyncpg pool.

It serves `GET /api/v1/tasks` for one region (a county's operator's scope, named by
`BASELINE_REGION`: no auth) with the scheduler's semantics and JSON (checked by `bench.samples`):
the page of tasks in the region and below, optionally filtered by `state` and `overdue`, ordered by
deadline then id, keyset-paged by the scheduler's opaque cursor, and the counts per state and of
overdue tasks over the same filters but the state. Written as a careful engineer writes a small fast
service: two prepared statements on one pooled connection, rows turned into dicts, the JSONB figures
passed through as they are (`orjson.Fragment`), `orjson` for the body; no auth, logging, metrics,
ORM, transaction or response model.

Run: `uvicorn bench.tasks_baseline:create_app --factory` with `DATABASE_URL` and `BASELINE_REGION`.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.regions import code_range
from shared.settings import BaseServiceSettings, asyncpg_dsn

STATES = ("pending", "submitted", "returned", "resubmitted", "accepted")
UNSUBMITTED = ("pending", "returned")
COLUMNS = (
    "id, round_id, plan_id, period_key, entity_id, entity_kind, entity_name, region_code, level, tier, domain,"
    " lead_department_id, lead_department_code, lead_department_name, responsible_person, template_version,"
    " state, due_at, figures::text AS figures, submission_count, submitted_at, submitted_by, reviewed_at,"
    " reviewed_by, review_comment, accepted_at, version, created_at, updated_at"
)
SORT = "due_at"
JSON_OPTIONS = orjson.OPT_UTC_Z


class Statement:
    """SQL whose arguments are numbered as they are bound: the same filters give the same text, so
    asyncpg's statement cache prepares each shape once."""

    def __init__(self) -> None:
        self.args: list[Any] = []

    def bind(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"


def _late(now: str) -> str:
    return f"(state IN ('pending', 'returned') AND due_at <= {now})"


def _where(sql: Statement, scope: tuple[str, str], now: str, overdue: bool | None, state: str | None) -> str:
    low, high = scope
    # A county is a range of one code: an equality, so its page reads the index in deadline order.
    if low == high:
        clauses = [f"region_code = {sql.bind(low)}"]
    else:
        clauses = [f"region_code BETWEEN {sql.bind(low)} AND {sql.bind(high)}"]
    if overdue is not None:
        clauses.append(_late(now) if overdue else f"NOT {_late(now)}")
    if state is not None:
        clauses.append(f"state = {sql.bind(state)}")
    return " AND ".join(clauses)


def page_sql(
    sql: Statement,
    scope: tuple[str, str],
    now: dt.datetime,
    overdue: bool | None,
    state: str | None,
    after: tuple[dt.datetime, UUID] | None,
    limit: int,
) -> str:
    at = sql.bind(now) if overdue is not None else ""
    where = _where(sql, scope, at, overdue, state)
    if after is not None:
        where += f" AND (due_at, id) > ({sql.bind(after[0])}, {sql.bind(after[1])})"
    return f"SELECT {COLUMNS} FROM scheduler.report_task WHERE {where} ORDER BY due_at, id LIMIT {sql.bind(limit)}"


def counts_sql(sql: Statement, scope: tuple[str, str], now: dt.datetime, overdue: bool | None) -> str:
    at = sql.bind(now)
    return (
        f"SELECT state, count(*) AS n, count(*) FILTER (WHERE {_late(at)}) AS late"
        f" FROM scheduler.report_task WHERE {_where(sql, scope, at, overdue, None)} GROUP BY state"
    )


def _default(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(type(value).__name__)


def task(row: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    out = dict(row)
    figures = out["figures"]
    out["figures"] = orjson.Fragment(figures) if figures is not None else None
    out["overdue"] = out["state"] in UNSUBMITTED and out["due_at"] <= now
    return out


def encode_cursor(due_at: dt.datetime, task_id: UUID) -> str:
    """The scheduler's opaque cursor for the default sort, so a page reads the same from both."""
    raw = orjson.dumps([SORT, [str(due_at), str(task_id)]])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, UUID]:
    sort, (due_at, task_id) = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    if sort != SORT:
        raise ValueError(sort)
    return dt.datetime.fromisoformat(due_at), UUID(task_id)


def json_response(content: Any, status_code: int = 200) -> Response:
    body = orjson.dumps(content, default=_default, option=JSON_OPTIONS)
    return Response(body, status_code=status_code, media_type="application/json")


async def list_tasks(request: Request) -> Response:
    params = request.query_params
    state = params.get("state")
    raw_overdue = params.get("overdue")
    cursor = params.get("cursor")
    try:
        limit = int(params.get("limit", "50"))
        after = decode_cursor(cursor) if cursor else None
    except ValueError:
        return json_response({"code": "validation_failed"}, 422)
    overdue = None if raw_overdue is None else raw_overdue == "true"
    if (state is not None and state not in STATES) or not 1 <= limit <= 200:
        return json_response({"code": "validation_failed"}, 422)
    scope = request.app.state.scope
    now = dt.datetime.now(dt.UTC)
    page, counting = Statement(), Statement()
    page_text = page_sql(page, scope, now, overdue, state, after, limit + 1)
    counts_text = counts_sql(counting, scope, now, overdue)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        rows = await conn.fetch(page_text, *page.args)
        counted = await conn.fetch(counts_text, *counting.args)
    items = [task(r, now) for r in rows[:limit]]
    next_cursor = encode_cursor(rows[limit - 1]["due_at"], rows[limit - 1]["id"]) if len(rows) > limit else None
    counts = dict.fromkeys(STATES, 0) | {r["state"]: r["n"] for r in counted}
    return json_response(
        {
            "items": items,
            "next_cursor": next_cursor,
            "counts": counts,
            "overdue_count": sum(r["late"] for r in counted),
        }
    )


async def healthz(_: Request) -> Response:
    return json_response({"status": "ok", "service": "tasks-baseline"})


def create_app() -> Starlette:
    """At most as many connections as the scheduler's engine (DB_POOL_SIZE + DB_MAX_OVERFLOW)."""
    settings = BaseServiceSettings()
    dsn = asyncpg_dsn(settings.sqlalchemy_url())
    size, overflow = settings.db_pool_size, settings.db_max_overflow
    region = os.environ["BASELINE_REGION"]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(
            dsn, min_size=size, max_size=size + overflow, server_settings={"timezone": "UTC"}
        )
        app.state.pool = pool
        app.state.scope = code_range(region)
        try:
            yield
        finally:
            await pool.close()

    routes = [Route("/healthz", healthz), Route("/api/v1/tasks", list_tasks)]
    return Starlette(routes=routes, lifespan=lifespan)
