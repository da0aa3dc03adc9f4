"""GET /search: industries, enterprises and projects by name, USCC or project code; ranked, scoped, paged."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry.search.repository import SearchQuery, search_statement
from services.registry.search.schemas import SEARCH_EXAMPLE, SearchHit
from shared.pagination import encode_cursor
from shared.schemas.common import Page
from tests import factories
from tests.conftest import ADMIN, auth

COUNTY = auth("county", "430104")
CITY = auth("city", "430100")
OTHER_CITY = auth("city", "430200")


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/{path}", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture
async def records(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Six records whose names hold 工程机械, at distinct lengths so that every score differs."""
    county_enterprise = factories.enterprise(
        2, name="湖南工程机械集团", level="county", region_code="430104", target_tier="billion"
    )
    county_enterprise["uscc"] = factories.make_uscc(2, "430104")
    other_city = factories.enterprise(3, name="株洲工程机械有限公司", region_code="430200")
    other_city["uscc"] = factories.make_uscc(3, "430200")
    return {
        "industry": await create(client, "industries", factories.industry(name="工程机械")),
        "city_enterprise": await create(client, "enterprises", factories.enterprise(1, name="工程机械配件有限公司")),
        "county_enterprise": await create(client, "enterprises", county_enterprise),
        "other_city": await create(client, "enterprises", other_city),
        "yuelu_project": await create(client, "projects", factories.project(1, name="岳麓工程机械产业园项目")),
        "furong_project": await create(
            client,
            "projects",
            factories.project(
                2, name="芙蓉区工程机械项目", region_code="430102", project_code="2024-430102-39-03-000002"
            ),
        ),
    }


async def search(client: httpx.AsyncClient, headers: dict[str, str] = ADMIN, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def names(client: httpx.AsyncClient, headers: dict[str, str] = ADMIN, **params: Any) -> list[str]:
    return [hit["name"] for hit in (await search(client, headers, **params))["items"]]


def test_the_documented_example_is_a_valid_page() -> None:
    page = Page[SearchHit].model_validate(SEARCH_EXAMPLE)
    assert [hit.name for hit in page.items] == ["工程机械", "工程机械配件有限公司"]


async def test_names_rank_exact_then_prefix_then_containing_the_closest_first(
    client: httpx.AsyncClient, records: dict[str, dict[str, Any]]
) -> None:
    page = await search(client, q="工程机械")
    assert [(h["name"], h["kind"], h["score"], h["matched"]) for h in page["items"]] == [
        ("工程机械", "industry", "4.0000", ["name"]),
        ("工程机械配件有限公司", "enterprise", "2.4000", ["name"]),
        ("湖南工程机械集团", "enterprise", "1.5000", ["name"]),
        ("芙蓉区工程机械项目", "project", "1.4444", ["name"]),
        ("株洲工程机械有限公司", "enterprise", "1.4000", ["name"]),
        ("岳麓工程机械产业园项目", "project", "1.3636", ["name"]),
    ]
    assert page["next_cursor"] is None
    first = page["items"][0]
    industry = records["industry"]
    assert {k: first[k] for k in ("id", "level", "region_code", "target_tier", "roster_status", "uscc")} == {
        "id": industry["id"],
        "level": "province",
        "region_code": "430000",
        "target_tier": "trillion",
        "roster_status": "listed",
        "uscc": None,
    }
    assert page["items"][5]["project_code"] == "2024-430104-39-03-000001"


async def test_a_county_finds_only_its_own_region_s_records(
    client: httpx.AsyncClient, records: dict[str, dict[str, Any]]
) -> None:
    assert await names(client, COUNTY, q="工程机械") == ["湖南工程机械集团", "岳麓工程机械产业园项目"]
    assert await names(client, CITY, q="工程机械") == [
        "工程机械配件有限公司",
        "湖南工程机械集团",
        "芙蓉区工程机械项目",
        "岳麓工程机械产业园项目",
    ]
    assert await names(client, OTHER_CITY, q="工程机械") == ["株洲工程机械有限公司"]
    # Not even by the exact code of a record outside the scope.
    assert await names(client, OTHER_CITY, q=records["county_enterprise"]["uscc"]) == []
    assert await names(client, COUNTY, q="2024-430102-39-03-000002") == []


async def test_a_uscc_or_project_code_is_found_exactly_or_by_prefix_in_any_case(
    client: httpx.AsyncClient, records: dict[str, dict[str, Any]]
) -> None:
    uscc = records["county_enterprise"]["uscc"]
    exact = (await search(client, q=uscc.lower()))["items"]
    assert [(h["id"], h["score"], h["matched"]) for h in exact] == [
        (records["county_enterprise"]["id"], "5.0000", ["uscc"])
    ]
    by_prefix = await names(client, q="91430104")
    assert by_prefix == ["湖南工程机械集团"]
    code = await search(client, q="2024-430104")
    assert [(h["name"], h["score"], h["matched"]) for h in code["items"]] == [
        ("岳麓工程机械产业园项目", "2.4583", ["project_code"])  # 2 + 11/24
    ]
    both = (await search(client, q="2024-430", kind="project"))["items"]  # equal scores: ties go by id
    assert sorted((h["name"], h["score"]) for h in both) == [
        ("岳麓工程机械产业园项目", "2.3333"),
        ("芙蓉区工程机械项目", "2.3333"),
    ]


async def test_a_record_matching_by_name_and_code_keeps_its_best_score_and_both_fields(
    client: httpx.AsyncClient,
) -> None:
    project = await create(client, "projects", factories.project(7, name="2024-430104号地块项目"))
    hits = (await search(client, q="2024-430104"))["items"]
    assert [(h["id"], h["score"], h["matched"]) for h in hits] == [
        (project["id"], "2.6875", ["name", "project_code"])  # name prefix: 2 + 11/16
    ]


async def test_filters_narrow_the_hits(client: httpx.AsyncClient, records: dict[str, dict[str, Any]]) -> None:
    assert await names(client, q="工程机械", kind="project") == ["芙蓉区工程机械项目", "岳麓工程机械产业园项目"]
    assert await names(client, q="工程机械", region="430102") == ["芙蓉区工程机械项目"]
    removal = {
        "entity_id": records["other_city"]["id"],
        "action": "remove",
        "reason": "迁出",
        "effective_on": records["other_city"]["listed_on"],
    }
    assert (await client.post("/api/v1/roster-adjustments", json=removal, headers=ADMIN)).status_code == 201
    assert await names(client, q="工程机械", roster_status="removed") == ["株洲工程机械有限公司"]
    assert await names(client, q="机", kind="industry") == ["工程机械"]


async def test_pages_join_into_the_whole_ranking(client: httpx.AsyncClient, records: dict[str, dict[str, Any]]) -> None:
    whole = (await search(client, q="工程机械"))["items"]
    paged: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await search(client, q="工程机械", limit=4, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 4
        paged += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == whole


async def test_like_wildcards_in_the_query_are_plain_text(
    client: httpx.AsyncClient, records: dict[str, dict[str, Any]]
) -> None:
    for q in ("%", "_", "工程%", "\\"):
        assert await names(client, q=q) == [], q


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "   "},
        {"q": "长" * 101},
        {"q": "工程\x00机械"},
        {"q": "工程", "cursor": "garbage"},
        {"q": "工程", "kind": "park"},
        {"q": "工程", "region": "43010"},
        {"q": "工程", "sort": "name"},
        {"q": "工程", "limit": "500"},
    ],
)
async def test_hostile_searches_are_422(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await client.get("/api/v1/search", params=params, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_search_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/search", params={"q": "工程"})
    assert response.status_code == 401


async def test_code_lookups_are_served_by_their_prefix_indexes(db_connection: AsyncConnection) -> None:
    """The name lookup is the lists' own `q` condition (`entities.queries.name_contains`, on the name_grams
    index); which index serves it on a small table is the planner's call, so only the codes' are checked."""
    stmt, _ = search_statement(SearchQuery(q="9143"))
    sql = stmt.compile(dialect=db_connection.dialect, compile_kwargs={"literal_binds": True})
    await db_connection.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(r[0] for r in await db_connection.execute(text(f"EXPLAIN {sql}")))
    for index in ("ix_enterprise_uscc_prefix", "ix_project_project_code_prefix"):
        assert index in plan, plan


@pytest.mark.parametrize(
    ("score", "status", "hits"),
    [
        # Past every real score (descending): the page starts from the top.
        ("NaN", 200, 6),
        ("Infinity", 200, 6),
        ("12345678901234567890", 200, 6),
        # Beyond what PostgreSQL's numeric holds: refused, not a 500.
        ("1E+999999", 422, 0),
        ("-1E-999999", 422, 0),
    ],
)
async def test_a_forged_cursor_score_is_a_position_or_a_422(
    client: httpx.AsyncClient, records: dict[str, dict[str, Any]], score: str, status: int, hits: int
) -> None:
    cursor = encode_cursor("-score", [score, "00000000-0000-4000-8000-000000000000"])
    response = await client.get("/api/v1/search", params={"q": "工程机械", "cursor": cursor}, headers=ADMIN)
    assert response.status_code == status, response.text
    if status == 200:
        assert len(response.json()["items"]) == hits
    else:
        assert response.json()["code"] == "value_out_of_range"
