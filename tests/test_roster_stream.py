"""GET /api/v1/roster (the roster on a date, streamed as NDJSON) and `RegistryClient.stream_roster`,
against the real registry app; the client's handling of cut-off and malformed streams against a
scripted peer."""

from __future__ import annotations

import datetime as dt
import gc
import uuid
from typing import Any

import httpx
import orjson
import pytest

from shared.clients import RegistryClient
from shared.errors import PeerUnavailable, ServiceUnavailable
from shared.schemas.enums import Domain, EntityKind, Level, Tier
from shared.schemas.registry.responses.roster import RosterEntry
from tests import factories
from tests.conftest import ADMIN, FAST_RETRY, auth

URL = "/api/v1/roster"


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/{path}", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def adjust(client: httpx.AsyncClient, entity_id: str, action: str, effective_on: str, **extra: Any) -> None:
    body = {"entity_id": entity_id, "action": action, "reason": "名单动态调整", "effective_on": effective_on}
    response = await client.post("/api/v1/roster-adjustments", json=body | extra, headers=ADMIN)
    assert response.status_code == 201, response.text


def county(n: int, region: str = "430104", **overrides: Any) -> dict[str, Any]:
    values = {"level": "county", "region_code": region, "target_tier": "billion", "listed_on": "2024-01-10"}
    return factories.enterprise(n, **values, uscc=factories.make_uscc(n, region)) | overrides


async def read(registry: RegistryClient, **filters: Any) -> list[RosterEntry]:
    return [entry async for entry in registry.stream_roster(**filters)]


def ids(entries: list[RosterEntry]) -> list[str]:
    return [str(e.id) for e in entries]


@pytest.fixture
async def roster(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Enterprises whose roster state moves over 2024, a project and a province industry.

    promoted: county 430104 from 2024-01-10, city 430100 from 2024-03-01.
    removed: county 430105 from 2024-01-10, off the roster from 2024-06-01.
    late: county 430104 from 2024-09-01. city: city 430100 throughout. project: county 430104.
    """
    made = {
        "promoted": await create(client, "enterprises", county(1)),
        "removed": await create(client, "enterprises", county(2, "430105")),
        "late": await create(client, "enterprises", county(3, listed_on="2024-09-01")),
        "city": await create(client, "enterprises", factories.enterprise(4, listed_on="2024-01-10")),
        "project": await create(client, "projects", factories.project(1, listed_on="2024-01-10")),
        "industry": await create(client, "industries", factories.industry(listed_on="2024-01-10")),
    }
    await adjust(client, made["promoted"]["id"], "promote", "2024-03-01")
    await adjust(client, made["removed"]["id"], "remove", "2024-06-01")
    return made


async def test_stream_gives_the_entities_on_the_roster_on_the_date_with_that_date_s_state(
    registry_client: RegistryClient, roster: dict[str, dict[str, Any]]
) -> None:
    county_feb = await read(
        registry_client, kinds=[EntityKind.enterprise], levels=[Level.county], as_of=dt.date(2024, 2, 1)
    )
    county_dec = await read(
        registry_client, kinds=[EntityKind.enterprise], levels=[Level.county], as_of=dt.date(2024, 12, 31)
    )
    assert ids(county_feb) == sorted([roster["promoted"]["id"], roster["removed"]["id"]])
    assert [(e.level, e.region_code, e.target_tier) for e in county_feb if str(e.id) == roster["promoted"]["id"]] == [
        (Level.county, "430104", Tier.billion)
    ]
    assert ids(county_dec) == [roster["late"]["id"]]


async def test_stream_without_a_date_is_today_s_roster_and_filters_combine(
    registry_client: RegistryClient, roster: dict[str, dict[str, Any]]
) -> None:
    city = await read(registry_client, kinds=[EntityKind.enterprise], levels=[Level.city])
    assert [(str(e.id), e.level, e.region_code, e.target_tier) for e in city] == sorted(
        [
            (roster["promoted"]["id"], Level.city, "430100", Tier.ten_billion),
            (roster["city"]["id"], Level.city, "430100", Tier.ten_billion),
        ]
    )
    everything = await read(registry_client)
    assert ids(everything) == sorted(roster[k]["id"] for k in ("promoted", "late", "city", "project", "industry"))
    in_county = await read(registry_client, regions=["430104", "430105"])
    assert ids(in_county) == sorted([roster["late"]["id"], roster["project"]["id"]])
    by_kind_and_tier = await read(
        registry_client,
        kinds=[EntityKind.project, EntityKind.industry],
        tiers=[Tier.trillion],
        domains=[Domain.industry_it],
    )
    assert ids(by_kind_and_tier) == [roster["industry"]["id"]]


async def test_a_project_carries_its_project_facts_and_others_none(
    client: httpx.AsyncClient, registry_client: RegistryClient
) -> None:
    body = factories.project(
        1,
        listed_on="2024-01-10",
        signed_on="2023-11-20",
        annual_plans=[{"year": 2025, "planned_investment": "3.5"}, {"year": 2024, "planned_investment": "2"}],
    )
    project = await create(client, "projects", body)
    enterprise = await create(client, "enterprises", county(5))
    entries = {str(e.id): e for e in await read(registry_client)}
    facts = entries[project["id"]].project
    assert facts is not None
    assert facts.model_dump(mode="json") == {
        "project_code": "2024-430104-39-03-000001",
        "total_investment": "12.5000",
        "stage": project["stage"],
        "signed_on": "2023-11-20",
        "annual_plans": [
            {"year": 2024, "planned_investment": "2.0000"},
            {"year": 2025, "planned_investment": "3.5000"},
        ],
    }
    assert entries[enterprise["id"]].project is None


async def test_chains_parks_and_persons(client: httpx.AsyncClient, registry_client: RegistryClient) -> None:
    chains = (await client.get("/api/v1/chains", params={"limit": 2}, headers=ADMIN)).json()["items"]
    park = await create(client, "parks", {"name": "岳麓高新区", "grade": "provincial", "region_code": "430104"})
    people = [
        await create(client, "persons", {"name": name, "title": "科长", "region_code": "430104", "phone": "0731-1"})
        for name in ("王五", "李四")
    ]
    linked = await create(
        client,
        "enterprises",
        county(
            6,
            chain_ids=[chains[0]["id"]],
            park_ids=[park["id"]],
            person_ids=[p["id"] for p in people],
        ),
    )
    other = await create(client, "enterprises", county(7, chain_ids=[chains[1]["id"]]))
    assert ids(await read(registry_client, chains=[uuid.UUID(chains[0]["id"])])) == [linked["id"]]
    both = await read(registry_client, chains=[uuid.UUID(chains[0]["id"]), uuid.UUID(chains[1]["id"])])
    assert ids(both) == sorted([linked["id"], other["id"]])
    [in_park] = await read(registry_client, parks=[uuid.UUID(park["id"])])
    assert (str(in_park.id), [str(c) for c in in_park.chain_ids], [str(p) for p in in_park.park_ids]) == (
        linked["id"],
        [chains[0]["id"]],
        [park["id"]],
    )
    # By name (李四 before 王五), without contact details.
    assert [p.model_dump(mode="json") for p in in_park.persons] == [
        {"id": people[1]["id"], "name": "李四"},
        {"id": people[0]["id"], "name": "王五"},
    ]


async def test_the_body_is_ndjson_in_id_order_ending_with_the_count(
    client: httpx.AsyncClient, roster: dict[str, dict[str, Any]]
) -> None:
    response = await client.get(URL, params={"kind": "enterprise", "as_of": "2024-02-01"}, headers=ADMIN)
    assert (response.status_code, response.headers["content-type"]) == (200, "application/x-ndjson")
    lines = [orjson.loads(line) for line in response.content.splitlines()]
    assert [line["id"] for line in lines[:-1]] == sorted(
        [roster["promoted"]["id"], roster["removed"]["id"], roster["city"]["id"]]
    )
    assert lines[-1] == {"end": True, "count": 3, "as_of": "2024-02-01"}
    assert response.content.endswith(b"\n")


async def test_an_empty_roster_is_just_the_end_line(client: httpx.AsyncClient) -> None:
    response = await client.get(URL, params={"kind": "project"}, headers=ADMIN)
    assert (response.status_code, response.content) == (200, b'{"end":true,"count":0,"as_of":null}\n')


async def test_a_county_operator_streams_only_its_own_region(
    client: httpx.AsyncClient, roster: dict[str, dict[str, Any]]
) -> None:
    response = await client.get(URL, headers=auth("county", "430104"))
    lines = [orjson.loads(line) for line in response.content.splitlines()]
    assert [line.get("id") for line in lines] == [*sorted([roster["late"]["id"], roster["project"]["id"]]), None]
    # Asking for a region outside its scope narrows to nothing rather than widening the scope.
    outside = await client.get(URL, params={"region": "430100"}, headers=auth("county", "430105"))
    assert outside.content == b'{"end":true,"count":0,"as_of":null}\n'


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("region=4301", "region.0"),
        ("kind=planet", "kind.0"),
        ("chain=not-a-uuid", "chain.0"),
        ("as_of=2024-13-01", "as_of"),
        ("level=city&limit=10", "limit"),
        ("region=" + "&region=".join(str(430101 + n) for n in range(201)), "region"),
    ],
)
async def test_refused_parameters_are_422_problems_before_any_line(
    client: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await client.get(f"{URL}?{query}", headers=ADMIN)
    assert (response.status_code, response.headers["content-type"]) == (422, "application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_without_a_token_it_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(URL)
    assert (response.status_code, response.json()["code"]) == (401, "token_missing")


# ---- the client on a scripted peer ----------------------------------------------------------------


ENTRY: dict[str, Any] = {
    "id": "00000000-0000-4000-8000-000000000001",
    "kind": "enterprise",
    "name": "湖南测试企业1号有限公司",
    "level": "city",
    "region_code": "430100",
    "domain": "industry_it",
    "pathway": "nurture",
    "target_tier": "ten_billion",
    "lead_department_id": None,
    "listed_on": "2024-01-10",
    "persons": [],
    "chain_ids": [],
    "park_ids": [],
    "project": None,
    "version": 1,
    "updated_at": "2024-01-10T08:00:00+00:00",
}


def scripted(*bodies: tuple[int, bytes]) -> tuple[RegistryClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status, content = bodies[min(len(seen), len(bodies)) - 1]
        media = "application/x-ndjson" if status == 200 else "application/problem+json"
        return httpx.Response(status, content=content, headers={"content-type": media})

    client = RegistryClient("http://registry.test", token="t", transport=httpx.MockTransport(handler), retry=FAST_RETRY)
    return client, seen


def ndjson(*values: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(v) + b"\n" for v in values)


END_1 = {"end": True, "count": 1, "as_of": None}


async def test_client_sends_each_filter_value_as_a_repeated_parameter() -> None:
    registry, seen = scripted((200, ndjson(ENTRY, END_1)))
    async with registry:
        entries = await read(
            registry,
            kinds=[EntityKind.enterprise, EntityKind.project],
            regions=["430100", "430200"],
            as_of=dt.date(2025, 1, 31),
        )
    assert ids(entries) == [ENTRY["id"]]
    assert str(seen[0].url) == (
        "http://registry.test/api/v1/roster?kind=enterprise&kind=project&region=430100&region=430200&as_of=2025-01-31"
    )


async def test_client_retries_a_503_before_the_body_starts() -> None:
    problem = orjson.dumps(
        {"type": "about:blank", "title": "x", "status": 503, "detail": "忙", "code": "database_unavailable"}
    )
    registry, seen = scripted((503, problem), (200, ndjson(ENTRY, END_1)))
    async with registry:
        assert ids(await read(registry)) == [ENTRY["id"]]
    assert len(seen) == 2


async def test_client_gives_the_peer_s_problem_when_retries_are_spent() -> None:
    problem = orjson.dumps(
        {"type": "about:blank", "title": "x", "status": 503, "detail": "忙", "code": "database_unavailable"}
    )
    registry, _ = scripted((503, problem))
    async with registry:
        with pytest.raises(ServiceUnavailable) as caught:
            await read(registry)
    assert caught.value.code == "database_unavailable"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(ndjson(ENTRY), id="no end line"),
        pytest.param(ndjson(ENTRY, END_1)[:-30], id="cut mid-line"),
        pytest.param(ndjson(ENTRY, ENTRY, END_1), id="count short"),
        pytest.param(ndjson(ENTRY, {"end": True, "count": 2, "as_of": None}), id="count long"),
        pytest.param(ndjson(ENTRY | {"kind": "planet"}, END_1), id="bad entry"),
        pytest.param(b"", id="empty body"),
    ],
)
async def test_client_refuses_a_stream_that_is_cut_short_or_malformed(body: bytes) -> None:
    registry, _ = scripted((200, body))
    async with registry:
        with pytest.raises(PeerUnavailable) as caught:
            await read(registry)
    assert caught.value.code == "peer_bad_response"


async def test_client_pauses_the_garbage_collector_only_while_it_reads() -> None:
    registry, _ = scripted((200, ndjson(ENTRY, END_1)))
    states: list[bool] = []
    async with registry:
        async for _ in registry.stream_roster():
            states.append(gc.isenabled())
        after_read = gc.isenabled()
        failing, _ = scripted((200, ndjson(ENTRY)))
        async with failing:
            with pytest.raises(PeerUnavailable):
                await read(failing)
    assert (states, after_read, gc.isenabled()) == ([False], True, True)
