"""The shortcuts on the hot read path keep the behaviour of the long way round.

GET by id runs on the read lane (an asyncpg pool of its own, no unit of work); verified tokens are
remembered until they expire; routers are declared on the app itself; CORS is only there when
origins are configured.
"""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import bindparam, column, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Mount

from services.registry.main import create_app
from services.registry.settings import Settings
from shared import auth as auth_module
from shared.auth import TokenVerifier
from shared.db import Database
from shared.errors import Unauthorized
from shared.reads import PoolReader, PreparedRead
from tests import factories
from tests.conftest import ADMIN, SECRET, auth, registry_settings, token
from tests.harness import started

# ---- the read lane ---------------------------------------------------------------------------------


def test_prepared_read_binds_by_name_and_keeps_the_statement_literals() -> None:
    t = table("thing", column("id"), column("kind"), column("region"), schema="registry")
    stmt = select(t.c.id).where(t.c.kind == "enterprise", t.c.id == bindparam("entity_id"), t.c.region > "43")
    read = PreparedRead.of(stmt)
    assert read.sql.count("$") == 3
    assert read.args({"entity_id": "x"}) == ["enterprise", "x", "43"]
    assert read.args({}) == ["enterprise", None, "43"]


def test_a_bound_read_takes_each_statements_own_literals_and_expands_in_lists() -> None:
    t = table("thing", column("id"), column("kind"), column("region"), schema="registry")
    first = PreparedRead.bound(select(t.c.id).where(t.c.kind == "a", t.c.region > bindparam("low")), {"low": "43"})
    second = PreparedRead.bound(select(t.c.id).where(t.c.kind == "b", t.c.region > bindparam("low")), {"low": "44"})
    assert first.sql == second.sql  # one shape, compiled once
    assert (first.args({}), second.args({})) == (["a", "43"], ["b", "44"])
    listed = PreparedRead.bound(select(t.c.id).where(t.c.kind.in_(["a", "b", "c"])), {})
    assert "POSTCOMPILE" not in listed.sql
    assert (listed.sql.count("$"), listed.args({})) == (3, ["a", "b", "c"])


async def test_get_on_the_pool_reads_exactly_what_the_write_returned(
    committing_client: httpx.AsyncClient, committed_entities: list[str], engine: AsyncEngine
) -> None:
    """The POST answer comes from the unit of work (SQLAlchemy); the GET from the read lane (asyncpg)."""
    person = await committing_client.post(
        "/api/v1/persons",
        json={"name": f"热路径{uuid.uuid4().hex[:6]}", "region_code": "430100", "phone": "13800000000"},
        headers=ADMIN,
    )
    assert person.status_code == 201, person.text
    person_id = person.json()["id"]
    chains = (await committing_client.get("/api/v1/chains?limit=2", headers=ADMIN)).json()["items"]
    bodies = (
        ("enterprises", factories.enterprise(9101, person_ids=[person_id], chain_ids=[c["id"] for c in chains])),
        ("industries", factories.industry(name="热路径产业", person_ids=[person_id])),
        ("projects", factories.project(9102, chain_ids=[chains[0]["id"]])),
    )
    try:
        for path, body in bodies:
            if path == "projects":  # owned by the enterprise: its read counts it (a back-link)
                body = body | {"owner_enterprise_id": committed_entities[0]}
            created = await committing_client.post(f"/api/v1/{path}", json=body, headers=ADMIN)
            assert created.status_code == 201, created.text
            committed_entities.append(created.json()["id"])
            metric = {"entity_id": created.json()["id"], "year": 2024, "value": "123.5"}
            metric["metric"] = "investment_completed" if path == "projects" else "revenue"
            assert (await committing_client.post("/api/v1/metrics", json=metric, headers=ADMIN)).status_code == 201
            after_metric = await committing_client.get(f"/api/v1/{path}/{created.json()['id']}", headers=ADMIN)
            patched = await committing_client.patch(
                f"/api/v1/{path}/{created.json()['id']}",
                json={"name": body["name"] + "（更名）"},
                headers=ADMIN | {"If-Match": after_metric.headers["etag"]},
            )
            assert patched.status_code == 200, patched.text
            read = await committing_client.get(f"/api/v1/{path}/{created.json()['id']}", headers=ADMIN)
            assert read.status_code == 200
            assert read.headers["etag"] == patched.headers["etag"] == f'"{patched.json()["version"]}"'
            assert read.headers["content-type"] == "application/json"
            assert read.json() == patched.json()
            # a list runs on the lane too, its statement reused for the same list asked again
            for _ in range(2):
                listed = await committing_client.get(f"/api/v1/{path}", params={"q": body["name"]}, headers=ADMIN)
                assert listed.status_code == 200, listed.text
                assert listed.json()["items"] == [patched.json()]
        first = f"/api/v1/enterprises/{committed_entities[0]}"
        outside = await committing_client.get(first, headers=auth("county", "430102"))
        assert (outside.status_code, outside.json()["code"]) == (404, "enterprise_not_found")
        covering = await committing_client.get(first, headers=auth("city", "430100"))
        assert [(p["phone"], p["masked"]) for p in covering.json()["persons"]] == [("13800000000", False)]
        owner = (await committing_client.get(first, headers=ADMIN)).json()
        assert (owner["project_count"], owner["project_ids"]) == (1, [committed_entities[2]])
        # the project lies in 430104, outside a 430102 county's scope and inside its city's
        assert covering.json()["project_count"] == 1
        # The same list asked by callers of other scopes: each statement is the caller's own.
        same_list = {"q": "湖南测试企业9101号"}
        for caller, expected in ((ADMIN, 1), (auth("county", "430102"), 0), (auth("city", "430100"), 1)):
            listed = await committing_client.get("/api/v1/enterprises", params=same_list, headers=caller)
            assert len(listed.json()["items"]) == expected, caller
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM registry.entity_person WHERE person_id = :p"), {"p": person_id})
            await conn.execute(text("DELETE FROM registry.person WHERE id = :p"), {"p": person_id})


async def test_pool_reader_sessions_carry_the_service_settings(database_url: str) -> None:
    reader = await PoolReader.open(Settings(database_url=database_url, db_read_pool_size=2), application_name="svc")
    try:
        read = PreparedRead.of(
            select(
                text("current_setting('application_name') AS app"),
                text("current_setting('TimeZone') AS zone"),
                text("'[1, {\"a\": null}]'::json AS doc"),
            )
        )
        row = await reader.fetchrow(read, {})
        assert row is not None
        assert (row["app"], row["zone"], row["doc"]) == ("svc-reads", "UTC", [1, {"a": None}])
    finally:
        await reader.close()


async def test_metrics_report_the_read_pool(committing_client: httpx.AsyncClient) -> None:
    body = (await committing_client.get("/metrics")).text
    assert "db_read_pool_size" in body and "db_read_pool_checked_out" in body


# ---- verified tokens ---------------------------------------------------------------------------------


def _verifier(**overrides: Any) -> TokenVerifier:
    return TokenVerifier(Settings(jwt_secret=SECRET, **overrides))


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One "decode" per signature check the verifiers make during the test."""
    calls: list[str] = []
    real_decode = jwt.decode

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append("decode")
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return calls


async def test_a_token_is_verified_once_then_remembered(decodes: list[str]) -> None:
    verifier = _verifier()
    raw = token("city", "430100")
    first = await verifier.verify(raw)
    second = await verifier.verify(raw)
    assert first is second and (first.role, first.region) == ("city", "430100")
    assert decodes == ["decode"]


async def test_a_remembered_token_is_refused_once_it_expires() -> None:
    verifier = _verifier()
    issued = int(time.time())
    raw = token(now=issued, ttl_s=1)
    await verifier.verify(raw)
    await asyncio.sleep(max(0.0, issued + 1.05 - time.time()))
    with pytest.raises(Unauthorized) as caught:
        await verifier.verify(raw)
    assert caught.value.code == "token_expired"


async def test_a_remembered_token_is_checked_again_after_the_trust_window(
    monkeypatch: pytest.MonkeyPatch, decodes: list[str]
) -> None:
    verifier = _verifier()
    raw = token(ttl_s=3600)
    await verifier.verify(raw)
    later = time.time() + auth_module.VERIFIED_TTL_S + 1
    monkeypatch.setattr(time, "time", lambda: later)
    await verifier.verify(raw)
    assert decodes == ["decode", "decode"]


async def test_refused_tokens_are_not_remembered(decodes: list[str]) -> None:
    verifier = _verifier()
    good = token()
    await verifier.verify(good)  # remembered: a token differing only in its signature must not match it
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    for _ in range(2):
        with pytest.raises(Unauthorized) as caught:
            await verifier.verify(tampered)
        assert caught.value.code == "token_invalid"
    assert decodes == ["decode"] * 3  # the tampered token's signature was checked each time


async def test_the_cache_is_bounded_and_can_be_turned_off(decodes: list[str]) -> None:
    bounded = _verifier(jwt_cache_size=2)
    tokens = [token(sub=f"user-{n}") for n in range(3)]
    for raw in tokens:
        await bounded.verify(raw)
    await bounded.verify(tokens[2])  # still remembered
    assert len(decodes) == 3
    await bounded.verify(tokens[0])  # the oldest was dropped for the third
    assert len(decodes) == 4
    off = _verifier(jwt_cache_size=0)
    await off.verify(tokens[0])
    await off.verify(tokens[0])
    assert len(decodes) == 6


# ---- routes declared on the app, CORS ------------------------------------------------------------------


def test_every_route_is_declared_on_the_app_itself() -> None:
    app = create_app(Settings(jwt_secret=SECRET, database_url="postgresql://unused/db"))
    routes = app.router.routes
    paths = [getattr(route, "path", None) for route in routes]
    assert None not in paths
    assert paths.index("/api/v1/enterprises/{id}") < paths.index("/healthz") < paths.index("/static-offline-docs")
    assert [type(route) for route in routes[-1:]] == [Mount]  # the docs' assets, tried last
    operations = [(route.path, tuple(sorted(route.methods or ()))) for route in routes if isinstance(route, APIRoute)]
    assert len(operations) == len(set(operations))


async def _cors_app(origins: list[str]) -> httpx.AsyncClient:
    app = create_app(Settings(jwt_secret=SECRET, database_url="postgresql://unused/db", cors_origins=origins))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry")


async def test_cors_answers_allowed_origins_only() -> None:
    async with await _cors_app(["https://portal.hunan.gov.cn"]) as http:
        allowed = await http.get("/healthz", headers={"Origin": "https://portal.hunan.gov.cn"})
        assert allowed.headers["access-control-allow-origin"] == "https://portal.hunan.gov.cn"
        assert "etag" in allowed.headers["access-control-expose-headers"].lower()
        other = await http.get("/healthz", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = await http.options(
            "/api/v1/enterprises",
            headers={
                "Origin": "https://portal.hunan.gov.cn",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Authorization, Idempotency-Key",
            },
        )
        assert preflight.status_code == 200
        assert "POST" in preflight.headers["access-control-allow-methods"]


async def test_without_configured_origins_there_are_no_cors_headers() -> None:
    async with await _cors_app([]) as http:
        response = await http.get("/healthz", headers={"Origin": "https://portal.hunan.gov.cn"})
        assert response.status_code == 200
        assert not [h for h in response.headers if h.startswith("access-control-")]


async def test_startup_objects_are_frozen_out_of_the_cyclic_collector(database_url: str, engine: AsyncEngine) -> None:
    gc.unfreeze()
    settings = registry_settings(database_url, gc_freeze=True)
    async with started(create_app, settings, Database.on(engine)):
        assert gc.get_freeze_count() > 100_000
