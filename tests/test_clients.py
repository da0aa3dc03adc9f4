"""The typed peer clients: retry, propagation and error mapping against a scripted peer (MockTransport),
then RegistryClient against the real registry app (contract tests)."""

from __future__ import annotations

import datetime as dt
import email.utils
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from shared.clients import RegistryClient, RetryPolicy, paginate
from shared.errors import (
    AppError,
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    IdempotencyInFlight,
    Invalid,
    NotFound,
    PeerUnavailable,
    PreconditionFailed,
    ServiceUnavailable,
    Unauthorized,
)
from shared.logging import request_id_var, traceparent_var
from shared.schemas.common import Page
from shared.schemas.enums import Domain, Level, ParkGrade
from shared.schemas.registry.actions.reference import DepartmentCreate, ParkCreate, ParkUpdate
from shared.schemas.registry.responses.reference import ParkRead
from tests.conftest import token

# jitter=1.0 makes every backoff exactly its ceiling: 0.001, 0.002, 0.004.
FAST = RetryPolicy(max_retries=3, backoff_base_s=0.001, backoff_max_s=0.004, jitter=lambda: 1.0)
TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
PARK_ID = uuid.UUID("3f0c7c1e-4a44-4d3c-9f0e-6d3f2b1a0c11")
REGION = {"code": "430100", "name": "长沙市", "level": "city", "parent_code": "430000", "children": []}
PARK = {
    "id": str(PARK_ID),
    "name": "长沙经开区",
    "grade": "national",
    "five_good": False,
    "region_code": "430100",
    "version": 1,
    "created_at": "2024-05-01T08:00:00+00:00",
    "updated_at": "2024-05-01T08:00:00+00:00",
}


def ok(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def problem(status: int, code: str, detail: str = "出错了", **members: Any) -> httpx.Response:
    body = {"type": f"urn:wanqianbai:problem:{code}", "title": "标题", "status": status, "detail": detail}
    return httpx.Response(
        status, json=body | {"code": code} | members, headers={"Content-Type": "application/problem+json"}
    )


def retry_after(response: httpx.Response, value: str) -> httpx.Response:
    response.headers["Retry-After"] = value
    return response


class Peer:
    """A scripted peer: answers the n-th request with the n-th outcome (the last one repeats)."""

    def __init__(self, *outcomes: httpx.Response | httpx.HTTPError) -> None:
        self.outcomes = outcomes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes[min(len(self.requests), len(self.outcomes)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return httpx.Response(outcome.status_code, headers=outcome.headers, content=outcome.content)

    def header(self, name: str) -> list[str | None]:
        return [r.headers.get(name) for r in self.requests]


def registry_on(peer: Peer, sleeps: list[float] | None = None, **kwargs: Any) -> RegistryClient:
    """A RegistryClient talking to `peer`; waits are recorded in `sleeps` instead of slept when given."""
    options: dict[str, Any] = {"token": "service-token", "retry": FAST} | kwargs
    if sleeps is not None:

        async def record(delay: float) -> None:
            sleeps.append(delay)

        options["sleep"] = record
    return RegistryClient("http://registry.test", transport=httpx.MockTransport(peer), **options)


@contextmanager
def serving(request_id: str | None, traceparent: str | None) -> Iterator[None]:
    """As if inside a request the platform middleware is serving."""
    rid, tp = request_id_var.set(request_id), traceparent_var.set(traceparent)
    try:
        yield
    finally:
        request_id_var.reset(rid)
        traceparent_var.reset(tp)


async def test_get_is_retried_after_503_then_succeeds() -> None:
    peer = Peer(problem(503, "service_unavailable"), ok(REGION))
    async with registry_on(peer) as registry:  # real asyncio.sleep, millisecond backoff
        region = await registry.get_region("430100")
    assert region.name == "长沙市"
    assert len(peer.requests) == 2


async def test_get_gives_up_after_max_retries_with_the_peers_error() -> None:
    sleeps: list[float] = []
    peer = Peer(problem(503, "database_unreachable", "数据库不可用"))
    async with registry_on(peer, sleeps) as registry:
        with pytest.raises(ServiceUnavailable) as caught:
            await registry.get_region("430100")
    assert caught.value.code == "database_unreachable"
    assert caught.value.detail == "数据库不可用"
    assert len(peer.requests) == 4
    assert sleeps == [0.001, 0.002, 0.004]


def test_backoff_grows_exponentially_up_to_the_cap_with_jitter() -> None:
    policy = RetryPolicy(backoff_base_s=1.0, backoff_max_s=5.0)
    for retry, ceiling in enumerate([1.0, 2.0, 4.0, 5.0, 5.0]):
        delays = {policy.backoff(retry) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1


async def test_post_without_idempotency_key_is_not_retried() -> None:
    sleeps: list[float] = []
    peer = Peer(problem(503, "service_unavailable"), ok(PARK, 201))
    body = ParkCreate(name="长沙经开区", grade=ParkGrade.national, region_code="430100")
    async with registry_on(peer, sleeps) as registry:
        with pytest.raises(ServiceUnavailable):
            await registry.create_park(body)
    assert len(peer.requests) == 1
    assert sleeps == []
    assert peer.header("idempotency-key") == [None]


async def test_post_without_idempotency_key_is_not_retried_on_connect_error() -> None:
    peer = Peer(httpx.ConnectError("connection refused"), ok(PARK, 201))
    body = ParkCreate(name="长沙经开区", grade=ParkGrade.national, region_code="430100")
    async with registry_on(peer, []) as registry:
        with pytest.raises(PeerUnavailable) as caught:
            await registry.create_park(body)
    assert caught.value.code == "peer_unavailable"
    assert len(peer.requests) == 1


async def test_post_with_idempotency_key_is_retried_with_the_same_key_and_body() -> None:
    peer = Peer(httpx.ReadTimeout("read timed out"), problem(502, "peer_unavailable"), ok(PARK, 201))
    body = ParkCreate(name="长沙经开区", grade=ParkGrade.national, region_code="430100")
    async with registry_on(peer, []) as registry:
        park = await registry.create_park(body, idempotency_key="park-key-1")
    assert park.id == PARK_ID
    assert peer.header("idempotency-key") == ["park-key-1"] * 3
    assert len({r.content for r in peer.requests}) == 1


async def test_keyed_post_answered_in_flight_is_retried_until_the_first_finishes() -> None:
    peer = Peer(problem(409, "idempotency_in_flight"), ok(PARK, 201))
    body = ParkCreate(name="长沙经开区", grade=ParkGrade.national, region_code="430100")
    async with registry_on(peer, []) as registry:
        park = await registry.create_park(body, idempotency_key="park-key-2")
    assert park.version == 1
    assert len(peer.requests) == 2


async def test_other_409_is_not_retried() -> None:
    peer = Peer(problem(409, "park_duplicate", existing_id=str(PARK_ID)))
    body = ParkCreate(name="长沙经开区", grade=ParkGrade.national, region_code="430100")
    async with registry_on(peer, []) as registry:
        with pytest.raises(Conflict) as caught:
            await registry.create_park(body, idempotency_key="park-key-3")
    assert type(caught.value) is Conflict
    assert caught.value.code == "park_duplicate"
    assert caught.value.extra == {"existing_id": str(PARK_ID)}
    assert len(peer.requests) == 1


async def test_patch_is_not_retried_and_sends_if_match() -> None:
    peer = Peer(problem(503, "service_unavailable"), ok(PARK))
    async with registry_on(peer, []) as registry:
        with pytest.raises(ServiceUnavailable):
            await registry.update_park(PARK_ID, ParkUpdate(five_good=True), version=3)
    assert len(peer.requests) == 1
    assert peer.header("if-match") == ['"3"']
    assert peer.requests[0].content == b'{"five_good":true}'


async def test_retry_after_seconds_is_honoured() -> None:
    sleeps: list[float] = []
    peer = Peer(retry_after(problem(429, "rate_limited"), "2"), ok(REGION))
    async with registry_on(peer, sleeps) as registry:
        await registry.get_region("430100")
    assert sleeps == [2.0]


async def test_retry_after_http_date_is_measured_from_the_responses_date() -> None:
    sleeps: list[float] = []
    sent = dt.datetime(2020, 1, 1, 8, 0, 0, tzinfo=dt.UTC)  # long past: our clock must not be used
    headers = {
        "Date": email.utils.format_datetime(sent, usegmt=True),
        "Retry-After": email.utils.format_datetime(sent + dt.timedelta(seconds=7), usegmt=True),
    }
    peer = Peer(httpx.Response(503, headers=headers), ok(REGION))
    async with registry_on(peer, sleeps) as registry:
        await registry.get_region("430100")
    assert sleeps == [7.0]


async def test_retry_after_beyond_the_limit_ends_the_retries_at_once() -> None:
    sleeps: list[float] = []
    peer = Peer(retry_after(problem(429, "rate_limited"), "3600"), ok(REGION))
    async with registry_on(peer, sleeps) as registry:
        with pytest.raises(PeerUnavailable) as caught:
            await registry.get_region("430100")
    assert caught.value.code == "rate_limited"
    assert sleeps == []
    assert len(peer.requests) == 1


async def test_problem_404_becomes_not_found_with_the_peers_code() -> None:
    peer = Peer(problem(404, "region_not_found", "行政区划不存在"))
    async with registry_on(peer, []) as registry:
        with pytest.raises(NotFound) as caught:
            await registry.get_region("439999")
    error = caught.value
    assert (error.status, error.code, error.detail, error.title) == (404, "region_not_found", "行政区划不存在", "标题")
    assert len(peer.requests) == 1


async def test_422_field_errors_are_preserved() -> None:
    errors = [
        {"field": "region_code", "message": "行政区划代码 439999 不是湖南省的有效代码", "code": "region_unknown"},
        {"field": "name", "message": "缺少必填字段", "code": "missing"},
    ]
    peer = Peer(problem(422, "validation_failed", "请求数据校验失败", errors=errors))
    body = ParkCreate(name="园区", grade=ParkGrade.national, region_code="439999")
    async with registry_on(peer, []) as registry:
        with pytest.raises(Invalid) as caught:
            await registry.create_park(body)
    assert caught.value.status == 422
    assert caught.value.code == "validation_failed"
    assert caught.value.errors == [
        FieldError("region_code", "行政区划代码 439999 不是湖南省的有效代码", "region_unknown"),
        FieldError("name", "缺少必填字段", "missing"),
    ]
    assert caught.value.problem()["errors"] == errors


async def test_412_keeps_the_current_version() -> None:
    peer = Peer(problem(412, "precondition_failed", version=5))
    async with registry_on(peer, []) as registry:
        with pytest.raises(PreconditionFailed) as caught:
            await registry.update_park(PARK_ID, ParkUpdate(name="新名称"), version=4)
    assert caught.value.extra == {"version": 5}


async def test_in_flight_409_on_an_unkeyed_call_is_idempotency_in_flight() -> None:
    peer = Peer(problem(409, "idempotency_in_flight"))
    async with registry_on(peer, []) as registry:
        with pytest.raises(IdempotencyInFlight):
            await registry.get_park(PARK_ID)


async def test_401_becomes_unauthorized_with_code() -> None:
    peer = Peer(problem(401, "token_expired", "令牌已过期"))
    async with registry_on(peer, []) as registry:
        with pytest.raises(Unauthorized) as caught:
            await registry.get_park(PARK_ID)
    assert caught.value.code == "token_expired"


async def test_other_4xx_is_the_base_app_error_keeping_the_code() -> None:
    peer = Peer(problem(410, "gone", "已删除"))
    async with registry_on(peer, []) as registry:
        with pytest.raises(AppError) as caught:
            await registry.get_park(PARK_ID)
    assert type(caught.value) is AppError
    assert caught.value.code == "gone"


async def test_400_is_bad_request_keeping_the_code() -> None:
    peer = Peer(problem(400, "request_malformed", "请求格式错误"))
    async with registry_on(peer, []) as registry:
        with pytest.raises(BadRequest) as caught:
            await registry.get_park(PARK_ID)
    assert caught.value.code == "request_malformed"


async def test_connect_error_becomes_peer_unavailable_after_retries() -> None:
    sleeps: list[float] = []
    peer = Peer(httpx.ConnectError("connection refused"))
    async with registry_on(peer, sleeps) as registry:
        with pytest.raises(PeerUnavailable) as caught:
            await registry.get_region("430100")
    assert caught.value.code == "peer_unavailable"
    assert caught.value.status == 502
    assert "名单库" in caught.value.detail
    assert len(peer.requests) == 4
    assert sleeps == [0.001, 0.002, 0.004]


async def test_timeout_becomes_peer_timeout() -> None:
    peer = Peer(httpx.ReadTimeout("read timed out"))
    async with registry_on(peer, [], retry=RetryPolicy(max_retries=1, jitter=lambda: 0.0)) as registry:
        with pytest.raises(PeerUnavailable) as caught:
            await registry.get_region("430100")
    assert caught.value.code == "peer_timeout"
    assert len(peer.requests) == 2


async def test_error_that_is_not_problem_json_is_peer_bad_response() -> None:
    peer = Peer(httpx.Response(502, text="<html>Bad Gateway</html>", headers={"Content-Type": "text/html"}))
    async with registry_on(peer, [], retry=RetryPolicy(max_retries=0)) as registry:
        with pytest.raises(PeerUnavailable) as caught:
            await registry.get_region("430100")
    assert caught.value.code == "peer_bad_response"


async def test_body_not_matching_the_schema_is_peer_bad_response() -> None:
    peer = Peer(ok({"code": "430100"}))
    async with registry_on(peer, []) as registry:
        with pytest.raises(PeerUnavailable) as caught:
            await registry.get_region("430100")
    assert caught.value.code == "peer_bad_response"


async def test_request_id_and_traceparent_are_forwarded_from_the_context() -> None:
    peer = Peer(ok(REGION))
    async with registry_on(peer) as registry:
        with serving("req-42", TRACE):
            await registry.get_region("430100")
        await registry.get_region("430100")
    assert peer.header("x-request-id") == ["req-42", None]
    assert peer.header("traceparent") == [TRACE, None]


async def test_static_token_is_sent_as_bearer() -> None:
    peer = Peer(ok(REGION))
    async with registry_on(peer) as registry:
        await registry.get_region("430100")
    assert peer.header("authorization") == ["Bearer service-token"]


async def test_token_provider_is_asked_on_every_attempt() -> None:
    tokens = iter(["first", "second"])

    async def provide() -> str:
        return next(tokens)

    peer = Peer(problem(503, "service_unavailable"), ok(REGION))
    async with registry_on(peer, [], token=None, token_provider=provide) as registry:
        await registry.get_region("430100")
    assert peer.header("authorization") == ["Bearer first", "Bearer second"]


def test_token_and_token_provider_together_are_refused() -> None:
    async def provide() -> str:
        return "x"

    with pytest.raises(ValueError, match="either token or token_provider"):
        RegistryClient("http://registry.test", token="a", token_provider=provide)


async def test_per_request_timeout_overrides_the_clients() -> None:
    peer = Peer(ok(REGION))
    async with registry_on(peer, timeout=httpx.Timeout(10.0, connect=3.0)) as registry:
        await registry.get_region("430100")
        await registry.get_region("430100", request_timeout=1.5)
    first, second = (r.extensions["timeout"] for r in peer.requests)
    assert (first["connect"], first["read"]) == (3.0, 10.0)
    assert (second["connect"], second["read"]) == (1.5, 1.5)


async def test_query_parameters_are_encoded_as_the_registry_parses_them() -> None:
    peer = Peer(ok({"items": [], "next_cursor": None}))
    async with registry_on(peer) as registry:
        await registry.list_parks(grade=ParkGrade.national, five_good=True, region="430100", limit=20)
        await registry.list_enterprises(level=Level.city, tier=None, industry=PARK_ID)
    assert str(peer.requests[0].url.params) == "grade=national&five_good=true&region=430100&limit=20"
    assert str(peer.requests[1].url.params) == f"level=city&industry={PARK_ID}"


async def test_path_values_stay_one_segment() -> None:
    peer = Peer(problem(404, "route_not_found"))
    async with registry_on(peer, []) as registry:
        for code in ("..", "a/b", "430100?x=1"):
            with pytest.raises(NotFound):
                await registry.get_region(code)
    assert [r.url.raw_path for r in peer.requests] == [
        b"/api/v1/regions/%2E%2E",
        b"/api/v1/regions/a%2Fb",
        b"/api/v1/regions/430100%3Fx%3D1",
    ]


async def test_paginate_follows_next_cursor_to_the_end() -> None:
    def page(names: list[str], cursor: str | None) -> httpx.Response:
        return ok({"items": [PARK | {"name": n} for n in names], "next_cursor": cursor})

    peer = Peer(page(["甲", "乙"], "c1"), page(["丙", "丁"], "c2"), page(["戊"], None))
    async with registry_on(peer) as registry:
        names = [p.name async for p in paginate(lambda cursor: registry.list_parks(limit=2, cursor=cursor))]
    assert names == ["甲", "乙", "丙", "丁", "戊"]
    assert [r.url.params.get("cursor") for r in peer.requests] == [None, "c1", "c2"]


async def test_paginate_refuses_a_cursor_that_does_not_move() -> None:
    calls: list[str | None] = []

    async def fetch(cursor: str | None) -> Page[int]:
        calls.append(cursor)
        return Page[int](items=[1], next_cursor="same")

    with pytest.raises(PeerUnavailable) as caught:
        [i async for i in paginate(fetch)]
    assert caught.value.code == "peer_bad_response"
    assert calls == [None, "same"]


CHANGSHA_COUNTIES = ["430102", "430103", "430104", "430105", "430111", "430112", "430121", "430181", "430182"]
SEEDED_DEPARTMENTS = {
    "agriculture-rural",
    "industry-it",
    "development-reform",
    "science-technology",
    "housing-construction",
    "transport",
    "commerce",
    "culture-tourism",
    "finance-regulation",
    "general-office",
}


@pytest.fixture
async def service_registry(registry_app: Any, registry_client: RegistryClient) -> AsyncIterator[RegistryClient]:
    """As `registry_client`, but presenting a `service` role token, as a peer service does."""
    transport = httpx.ASGITransport(app=registry_app)
    async with RegistryClient("http://registry", token=token("service"), transport=transport, retry=FAST) as client:
        yield client


def park_body(name: str, region_code: str = "430100", grade: ParkGrade = ParkGrade.provincial) -> ParkCreate:
    return ParkCreate(name=name, grade=grade, region_code=region_code)


async def test_contract_get_region_returns_it_with_its_children(service_registry: RegistryClient) -> None:
    region = await service_registry.get_region("430100")
    assert (region.code, region.name, region.level, region.parent_code) == ("430100", "长沙市", Level.city, "430000")
    assert [c.code for c in region.children] == CHANGSHA_COUNTIES
    assert {c.parent_code for c in region.children} == {"430100"}


async def test_contract_unknown_region_is_not_found(service_registry: RegistryClient) -> None:
    with pytest.raises(NotFound) as caught:
        await service_registry.get_region("439999")
    assert (caught.value.status, caught.value.code) == (404, "region_not_found")


async def test_contract_list_regions_by_level_and_by_parent(service_registry: RegistryClient) -> None:
    cities = await service_registry.list_regions(level=Level.city)
    assert len(cities.items) == 14
    assert {r.level for r in cities.items} == {Level.city}
    assert cities.next_cursor is None
    counties = await service_registry.list_regions(parent="430100")
    assert [r.code for r in counties.items] == CHANGSHA_COUNTIES


async def test_contract_bad_token_is_unauthorized(registry_app: Any, registry_client: RegistryClient) -> None:
    transport = httpx.ASGITransport(app=registry_app)
    async with RegistryClient("http://registry", token="not-a-jwt", transport=transport) as stranger:
        with pytest.raises(Unauthorized) as caught:
            await stranger.get_region("430100")
    assert caught.value.code == "token_invalid"


async def test_contract_request_id_and_traceparent_reach_the_registry(service_registry: RegistryClient) -> None:
    with serving("contract-req-1", TRACE):
        response = await service_registry.request("GET", "/api/v1/regions/430000")
    assert response.headers["x-request-id"] == "contract-req-1"
    assert response.headers["traceparent"] == TRACE


async def test_contract_seeded_departments_list_and_get(service_registry: RegistryClient) -> None:
    page = await service_registry.list_departments(level=Level.province, limit=200)
    assert {d.code for d in page.items} == SEEDED_DEPARTMENTS
    industry = next(d for d in page.items if d.code == "industry-it")
    fetched = await service_registry.get_department(industry.id)
    assert fetched == industry
    assert fetched.domains == [Domain.industry_it]


async def test_contract_create_department_then_duplicate_is_conflict(registry_client: RegistryClient) -> None:
    body = DepartmentCreate(
        code="changsha-industry",
        name="长沙市工业和信息化局",
        level=Level.city,
        region_code="430100",
        domains=[Domain.industry_it],
    )
    created = await registry_client.create_department(body)
    assert (created.code, created.region_code, created.version) == ("changsha-industry", "430100", 1)
    assert await registry_client.get_department(created.id) == created
    with pytest.raises(Conflict) as caught:
        await registry_client.create_department(body)
    assert caught.value.code == "department_duplicate"
    assert caught.value.extra == {"existing_id": str(created.id)}


async def test_contract_service_role_may_not_create_parks(service_registry: RegistryClient) -> None:
    with pytest.raises(Forbidden) as caught:
        await service_registry.create_park(park_body("服务账号园区"))
    assert (caught.value.status, caught.value.code) == (403, "role_read_only")


async def test_contract_create_park_and_read_it_back(registry_client: RegistryClient) -> None:
    created = await registry_client.create_park(park_body("契约测试园区", grade=ParkGrade.national))
    assert isinstance(created, ParkRead)
    assert (created.name, created.grade, created.five_good, created.version) == (
        "契约测试园区",
        ParkGrade.national,
        False,
        1,
    )
    assert await registry_client.get_park(created.id) == created


async def test_contract_create_park_with_the_same_key_replays_the_first(registry_client: RegistryClient) -> None:
    body = park_body("幂等契约园区")
    first = await registry_client.create_park(body, idempotency_key="contract-park-1")
    again = await registry_client.create_park(body, idempotency_key="contract-park-1")
    assert again == first
    listing = await registry_client.list_parks(q="幂等契约园区")
    assert [p.id for p in listing.items] == [first.id]


async def test_contract_unknown_region_code_is_invalid_with_its_field_error(registry_client: RegistryClient) -> None:
    with pytest.raises(Invalid) as caught:
        await registry_client.create_park(park_body("无效地区园区", region_code="439999"))
    assert caught.value.code == "region_unknown"
    assert caught.value.errors == [
        FieldError("region_code", "行政区划代码 439999 不是湖南省的有效代码", "region_unknown")
    ]


async def test_contract_update_park_needs_the_current_version(registry_client: RegistryClient) -> None:
    created = await registry_client.create_park(park_body("版本契约园区"))
    updated = await registry_client.update_park(created.id, ParkUpdate(five_good=True), version=created.version)
    assert (updated.five_good, updated.name, updated.version) == (True, "版本契约园区", 2)
    with pytest.raises(PreconditionFailed) as caught:
        await registry_client.update_park(created.id, ParkUpdate(name="过期修改"), version=1)
    assert caught.value.extra == {"version": 2}
    assert (await registry_client.get_park(created.id)).name == "版本契约园区"


async def test_contract_missing_park_is_not_found(registry_client: RegistryClient) -> None:
    with pytest.raises(NotFound) as caught:
        await registry_client.get_park(uuid.UUID(int=0))
    assert caught.value.code == "park_not_found"


async def test_contract_paginate_walks_every_page_of_parks(registry_client: RegistryClient) -> None:
    names = [f"分页契约园区{i}" for i in range(5)]
    for name in names:
        await registry_client.create_park(park_body(name, region_code="430102"))
    await registry_client.create_park(park_body("分页契约园区-株洲", region_code="430200"))

    def fetch(cursor: str | None) -> Awaitable[Page[ParkRead]]:
        return registry_client.list_parks(region="430100", q="分页契约园区", limit=2, cursor=cursor)

    first = await fetch(None)
    assert len(first.items) == 2 and first.next_cursor is not None
    assert [p.name async for p in paginate(fetch)] == names


async def test_contract_list_parks_filters_by_grade_and_five_good(registry_client: RegistryClient) -> None:
    national = await registry_client.create_park(park_body("筛选契约园区甲", grade=ParkGrade.national))
    await registry_client.create_park(park_body("筛选契约园区乙"))
    await registry_client.update_park(national.id, ParkUpdate(five_good=True), version=1)
    by_grade = await registry_client.list_parks(grade=ParkGrade.national, q="筛选契约园区")
    five_good = await registry_client.list_parks(five_good=True, q="筛选契约园区")
    assert [p.id for p in by_grade.items] == [national.id]
    assert [p.id for p in five_good.items] == [national.id]
