"""The direct lane answers `@direct` reads ahead of FastAPI's routing, with exactly what the app would answer.

An endpoint run by the lane sees no `route` in its scope (FastAPI's routing sets it before calling an
endpoint), which is how these tests tell the two ways apart.
"""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.middleware import Middleware

from services.registry.main import create_app
from shared.direct import DirectLane, direct, direct_lane
from tests import factories
from tests.conftest import ADMIN, auth, registry_settings
from tests.test_roster import create

# ---- the lane on a small app ------------------------------------------------------------------------


class Served:
    """What the small app's endpoint saw: True when the lane ran it, False when FastAPI's routing did."""

    def __init__(self) -> None:
        self.calls: list[bool] = []


@pytest.fixture
def served() -> Served:
    return Served()


@pytest.fixture
def small_app(served: Served) -> FastAPI:
    app = FastAPI()

    @app.get("/items/export")
    async def export() -> dict[str, bool]:
        return {"export": True}

    @app.get("/items/{id}")
    @direct
    async def item(request: Request) -> Response:
        served.calls.append(request.scope.get("route") is None)
        if request.path_params["id"] == "teapot":
            raise HTTPException(418, "茶壶")
        body = {"id": request.path_params["id"], "q": request.query_params.get("q")}
        return JSONResponse(body, headers={"ETag": '"1"'})

    lane = direct_lane(app, lambda route: frozenset({"q"}))
    assert lane is not None
    app.user_middleware.append(lane)
    return app


@pytest.fixture
async def small(small_app: FastAPI) -> Any:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=small_app), base_url="http://small") as client:
        yield client


async def test_a_direct_read_is_answered_by_the_lane(small: httpx.AsyncClient, served: Served) -> None:
    response = await small.get("/items/7?q=甲")
    assert (response.status_code, response.json(), response.headers["etag"]) == (200, {"id": "7", "q": "甲"}, '"1"')
    assert served.calls == [True]


async def test_behind_a_proxy_prefix_the_lane_routes_as_the_app_does(small_app: FastAPI, served: Served) -> None:
    transport = httpx.ASGITransport(app=small_app, root_path="/registry")
    async with httpx.AsyncClient(transport=transport, base_url="http://small") as prefixed:
        response = await prefixed.get("/registry/items/7")
    assert (response.status_code, served.calls) == (200, [True])


async def test_a_route_declared_before_it_keeps_its_paths(small: httpx.AsyncClient, served: Served) -> None:
    response = await small.get("/items/export")
    assert response.json() == {"export": True}
    assert served.calls == []  # `/items/{id}` matches the path too, but the app routes it to export


async def test_a_query_parameter_the_operation_does_not_take_goes_to_the_app(
    small: httpx.AsyncClient, served: Served
) -> None:
    await small.get("/items/7?other=1")
    assert served.calls == [False]


async def test_an_endpoint_that_raises_is_answered_by_the_app(small: httpx.AsyncClient, served: Served) -> None:
    response = await small.get("/items/teapot")
    assert (response.status_code, response.json()) == (418, {"detail": "茶壶"})
    assert served.calls == [True, False]  # tried on the lane, answered by the app's own handler


@pytest.mark.parametrize("method", ["HEAD", "POST", "DELETE"])
async def test_other_methods_go_to_the_app(small: httpx.AsyncClient, served: Served, method: str) -> None:
    response = await small.request(method, "/items/7")
    assert (response.status_code, served.calls) == (405, [])  # a path operation answers its own method only


def test_only_a_get_taking_just_the_request_can_be_direct() -> None:
    app = FastAPI()

    @app.get("/a/{id}")  # type: ignore[type-var]  # the type checker refuses `@direct` here too
    @direct
    async def with_a_parameter(request: Request, id: str) -> Response:
        return Response()

    with pytest.raises(TypeError, match="taking only the Request"):
        direct_lane(app, lambda route: frozenset())

    app = FastAPI()

    @app.post("/b")
    @direct
    async def a_write(request: Request) -> Response:
        return Response()

    with pytest.raises(TypeError, match="is a GET"):
        direct_lane(app, lambda route: frozenset())


def test_an_app_without_direct_reads_has_no_lane() -> None:
    app = FastAPI()

    @app.get("/c")
    async def plain() -> dict[str, str]:
        return {}

    assert direct_lane(app, lambda route: frozenset()) is None


# ---- the registry's reads --------------------------------------------------------------------------


def _lanes(app: FastAPI) -> list[Middleware]:
    return [m for m in app.user_middleware if m.cls == cast(Any, DirectLane)]


@pytest.fixture
def lane_answers(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each request the lane takes up, whether it answered it (False: declined, so the app answered)."""
    taken: list[bool] = []
    answer = DirectLane._answer

    async def recorded(*args: Any) -> Any:
        response = await answer(*args)
        taken.append(response is not None)
        return response

    monkeypatch.setattr(DirectLane, "_answer", staticmethod(recorded))
    return taken


def _answered(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    """The response but what is new for each request (its ids, which a problem also names)."""
    headers = {k: v for k, v in response.headers.items() if k not in {"x-request-id", "traceparent"}}
    body = response.content.replace(response.headers["x-request-id"].encode(), b"<request id>")
    return response.status_code, headers, body


def test_the_registry_serves_its_reads_by_id_and_lists_on_the_lane(registry_app: Any) -> None:
    lanes = _lanes(registry_app)
    assert len(lanes) == 1 and registry_app.user_middleware[-1] is lanes[0]  # innermost of the app's own
    paths = sorted(route.route.path for route in lanes[0].kwargs["routes"])
    assert paths == sorted(
        f"/api/v1/{kind}{tail}" for kind in ("industries", "enterprises", "projects") for tail in ("", "/{id}")
    )
    assert all(isinstance(route.route, APIRoute) for route in lanes[0].kwargs["routes"])


async def test_the_lane_answers_what_the_app_answers(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, lane_answers: list[bool]
) -> None:
    enterprise = await create(client, "enterprises", factories.enterprise(9101))
    project = await create(client, "projects", factories.project(9102, owner_enterprise_id=enterprise["id"]))
    county = auth("county", "430102")
    requests = [
        (f"/api/v1/enterprises/{enterprise['id']}", ADMIN),
        (f"/api/v1/projects/{project['id']}", ADMIN),
        (f"/api/v1/enterprises/{enterprise['id']}", county),  # outside the caller's scope: 404
        ("/api/v1/enterprises/not-an-id", ADMIN),  # 422
        (f"/api/v1/enterprises/{enterprise['id']}", {}),  # 401
        (f"/api/v1/enterprises/{enterprise['id']}?as_of=2025-01-01", ADMIN),
        (f"/api/v1/enterprises/{enterprise['id']}?unknown=1", ADMIN),  # 422 extra_forbidden
        ("/api/v1/enterprises?limit=2", ADMIN),
        ("/api/v1/projects?region=430000&limit=1", county),
        ("/api/v1/enterprises?tier=nonsense", ADMIN),  # 422
    ]
    on = [_answered(await client.get(path, headers=headers)) for path, headers in requests]
    # The reads answered on the lane; the errors, `as_of` (a 404 here) and the unknown parameter by the app.
    assert lane_answers == [True, True, False, False, False, False, False, True, True, False]

    async def decline(*_: Any) -> None:
        return None

    monkeypatch.setattr(DirectLane, "_answer", staticmethod(decline))
    off = [_answered(await client.get(path, headers=headers)) for path, headers in requests]
    assert on == off
    assert [status for status, _, _ in on] == [200, 200, 404, 422, 401, 404, 422, 200, 200, 422]


async def test_a_read_on_the_lane_is_counted_and_logged_under_its_route(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, lane_answers: list[bool]
) -> None:
    enterprise = await create(client, "enterprises", factories.enterprise(9103))
    with caplog.at_level("INFO", logger="wanqianbai.access"):
        assert (await client.get(f"/api/v1/enterprises/{enterprise['id']}", headers=ADMIN)).status_code == 200
    assert lane_answers == [True]
    line = [r for r in caplog.records if r.name == "wanqianbai.access"][-1]
    assert (line.route, line.status, line.caller) == ("/api/v1/enterprises/{id}", 200, "admin-430000-x")  # type: ignore[attr-defined]
    metrics = (await client.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/api/v1/enterprises/{id}",status="200"}' in metrics


def test_with_opentelemetry_on_every_read_goes_through_fastapis_routing(database_url: str) -> None:
    app = create_app(registry_settings(database_url, otel_enabled=True))  # its telemetry traces operations there
    assert not _lanes(app)
