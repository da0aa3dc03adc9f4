"""The shared platform as a caller sees it: operations endpoints, errors, auth, limits, headers."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import jwt
import pytest

from services.registry.main import create_app
from services.registry.settings import Settings
from shared import migrate
from shared.db import Database
from tests.conftest import ADMIN, SECRET, auth, token


async def test_healthz_needs_no_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "registry"}


async def test_readyz_reports_schema_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["schema_revision"] == migrate.head_revision("registry") == "0011"


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/regions/430100", headers=ADMIN)
    body = (await client.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/api/v1/regions/{code}",status="200"}' in body
    assert "http_request_duration_seconds_bucket" in body
    assert "db_pool_size" in body


async def test_request_id_and_traceparent_are_echoed(client: httpx.AsyncClient) -> None:
    trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123", "traceparent": trace})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["traceparent"] == trace


async def test_request_id_is_generated_when_absent_or_unsafe(client: httpx.AsyncClient) -> None:
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    absent = await client.get("/healthz")
    ids = [r.headers["x-request-id"] for r in (unsafe, absent)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1]
    for response in (unsafe, absent):  # a fresh trace too, whose ids are not the request id again
        _, trace_id, span_id, _ = response.headers["traceparent"].split("-")
        assert (len(trace_id), len(span_id)) == (32, 16)
        assert trace_id != response.headers["x-request-id"]


async def test_missing_token_is_401_with_www_authenticate(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "token_missing"


async def test_expired_token_is_401(client: httpx.AsyncClient) -> None:
    expired = token(now=time.time() - 3 * 86400, ttl_s=60)
    response = await client.get("/api/v1/regions", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


async def test_tampered_token_is_401(client: httpx.AsyncClient) -> None:
    good = token()
    header, payload, signature = good.split(".")
    tampered = ".".join([header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")])
    response = await client.get("/api/v1/regions", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


async def test_alg_none_token_is_401(client: httpx.AsyncClient) -> None:
    claims = jwt.decode(token(), SECRET, algorithms=["HS256"], audience="wanqianbai")
    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]  # what an attacker sends
    response = await client.get("/api/v1/regions", headers={"Authorization": f"Bearer {unsigned}"})
    assert response.status_code == 401
    assert response.json()["code"] == "token_algorithm_rejected"


async def test_wrong_audience_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions", headers=auth(audience="someone-else"))
    assert response.status_code == 401
    assert response.json()["code"] == "token_audience_invalid"


async def test_unknown_route_is_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here", headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["code"] == "route_not_found"


async def test_enums_carry_chinese_labels(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/enums", headers=ADMIN)).json()
    assert {"code": "trillion", "label": "万亿级"} in body["tier"]
    assert {"code": "province", "label": "省级"} in body["level"]
    assert {"code": "industry_it", "label": "工业和信息化"} in body["domain"]


async def test_body_over_limit_is_413_and_changes_nothing(client: httpx.AsyncClient) -> None:
    big = {"name": "园" * 10, "grade": "national", "region_code": "430100", "pad": "x" * (1024 * 1024 + 10)}
    response = await client.post("/api/v1/parks", json=big, headers=ADMIN)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    listing = (await client.get("/api/v1/parks", headers=ADMIN)).json()
    assert listing["items"] == []


async def test_each_request_logs_one_json_line_with_route_status_request_id_and_caller(
    database_url: str, engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.registry.main import create_app
    from tests.conftest import registry_settings

    app = create_app(registry_settings(database_url, access_log=True, log_level="INFO"), database=Database.on(engine))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
            capsys.readouterr()
            response = await http.get(
                "/api/v1/regions/430100", headers=auth(sub="log-tester") | {"X-Request-ID": "log-1"}
            )
    assert response.status_code == 200
    lines = [json.loads(raw) for raw in capsys.readouterr().out.splitlines() if raw.startswith("{")]
    [line] = [entry for entry in lines if entry["logger"] == "wanqianbai.access"]
    assert {k: line[k] for k in ("msg", "service", "method", "route", "status", "request_id", "caller", "role")} == {
        "msg": "request",
        "service": "registry",
        "method": "GET",
        "route": "/api/v1/regions/{code}",
        "status": 200,
        "request_id": "log-1",
        "caller": "log-tester",
        "role": "admin",
    }
    assert isinstance(line["duration_ms"], float)


async def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/none", jwt_secret=SECRET, log_level="WARNING")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://x") as http:
        response = await http.get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "unavailable", "reason": "database_unreachable"})


async def test_two_apps_in_one_process_each_log_under_their_own_name(
    database_url: str, engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.notify.main import create_app as create_notify_app
    from services.registry.main import create_app
    from tests.conftest import notify_settings, registry_settings
    from tests.harness import asgi_client, started

    async with (
        started(create_app, registry_settings(database_url), Database.on(engine)) as registry,
        started(create_notify_app, notify_settings(database_url), Database.on(engine)) as notify,
        asgi_client(registry, "registry") as a,
        asgi_client(notify, "notify") as b,
    ):
        capsys.readouterr()
        await a.get("/healthz", headers={"X-Request-ID": "from-registry"})
        await b.get("/healthz", headers={"X-Request-ID": "from-notify"})
        await a.get("/healthz", headers={"X-Request-ID": "registry-again"})
    lines = [json.loads(raw) for raw in capsys.readouterr().out.splitlines() if raw.startswith("{")]
    access = [(line["request_id"], line["service"]) for line in lines if line["logger"] == "wanqianbai.access"]
    assert access == [("from-registry", "registry"), ("from-notify", "notify"), ("registry-again", "registry")]


def test_mount_refuses_a_route_option_it_cannot_carry_over(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi import APIRouter, FastAPI

    from shared.app import mount

    app, router = FastAPI(), APIRouter()

    @router.get("/x")
    async def x() -> int:
        return 1

    original = app.router.add_api_route

    def add_api_route(path: str, endpoint: Any, *, brand_new_option: int = 0, **kwargs: Any) -> None:
        original(path, endpoint, **kwargs)

    monkeypatch.setattr(app.router, "add_api_route", add_api_route)
    with pytest.raises(TypeError, match="brand_new_option"):
        mount(app, router)


@pytest.mark.parametrize(
    ("role", "region"),
    [("city", "430000"), ("city", "430102"), ("county", "430100"), ("county", "430000")],
)
async def test_a_token_whose_role_does_not_fit_its_region_is_refused(
    client: httpx.AsyncClient, role: str, region: str
) -> None:
    response = await client.get("/api/v1/regions", headers=auth(role, region))
    assert (response.status_code, response.json()["code"]) == (401, "token_claims_inconsistent")


@pytest.mark.parametrize(
    ("role", "region"), [("city", "430100"), ("county", "430102"), ("viewer", "430100"), ("admin", "430000")]
)
async def test_a_token_whose_role_fits_its_region_is_accepted(
    client: httpx.AsyncClient, role: str, region: str
) -> None:
    assert (await client.get("/api/v1/regions", headers=auth(role, region))).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/enterprises/00000000-0000-0000-0000-000000000000?colour=red",
        "/api/v1/audit-events?colour=red",
        "/api/v1/events?colour=red",
        "/api/v1/imports?colour=red",
        "/api/v1/regions?colour=red",
        "/api/v1/regions/430100?colour=red",
        "/api/v1/enterprises?colour=red",
        "/api/v1/enums?colour=red",
    ],
)
async def test_an_undeclared_query_parameter_is_422_on_every_operation(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url, headers=ADMIN)
    assert (response.status_code, response.json()["errors"]) == (
        422,
        [{"field": "colour", "message": "不允许的字段", "code": "extra_forbidden"}],
    )


async def test_declared_query_parameters_still_pass(client: httpx.AsyncClient) -> None:
    for url in ("/api/v1/regions?level=city", "/api/v1/events?after=0&limit=5", "/api/v1/audit-events?limit=1"):
        assert (await client.get(url, headers=ADMIN)).status_code == 200, url


async def test_log_lines_of_a_request_carry_its_trace_and_span_ids(
    database_url: str, engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.registry.main import create_app
    from tests.conftest import registry_settings
    from tests.harness import asgi_client, started

    trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    settings = registry_settings(database_url)
    async with started(create_app, settings, Database.on(engine)) as app, asgi_client(app, "registry") as http:
        capsys.readouterr()
        await http.get("/healthz", headers={"traceparent": trace})
        await http.get("/healthz")
    lines = [json.loads(raw) for raw in capsys.readouterr().out.splitlines() if raw.startswith("{")]
    [traced, fresh] = [line for line in lines if line["logger"] == "wanqianbai.access"]
    assert (traced["trace_id"], traced["span_id"]) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
    assert len(fresh["trace_id"]) == 32 and len(fresh["span_id"]) == 16 and fresh["trace_id"] != traced["trace_id"]
