"""Links read both ways: a record's read carries the records that name it, counted within the caller's scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry.entities.links import LINKED_IDS_MAX
from shared.reads import PreparedRead
from tests import factories
from tests.conftest import ADMIN, auth, feed_end
from tests.test_roster import create

CITY = auth("city", "430100")  # covers 430104, not 430202
COUNTY_ELSEWHERE = "430202"  # 株洲市荷塘区


def county_project(n: int, region: str = "430104", **overrides: Any) -> dict[str, Any]:
    return factories.project(n, region_code=region, project_code=f"2024-{region}-39-03-{n:06d}") | overrides


async def test_an_enterprise_read_carries_its_projects_in_name_order(client: httpx.AsyncClient) -> None:
    owner = await create(client, "enterprises", factories.enterprise(1))
    other = await create(client, "enterprises", factories.enterprise(2))
    b = await create(client, "projects", county_project(1, name="B 二期", owner_enterprise_id=owner["id"]))
    a = await create(client, "projects", county_project(2, name="A 一期", owner_enterprise_id=owner["id"]))
    await create(client, "projects", county_project(3, name="C", owner_enterprise_id=other["id"]))

    read = (await client.get(f"/api/v1/enterprises/{owner['id']}", headers=ADMIN)).json()
    assert (read["project_count"], read["project_ids"]) == (2, [a["id"], b["id"]])
    listed = (await client.get("/api/v1/enterprises", params={"sort": "name"}, headers=ADMIN)).json()["items"]
    assert [(e["id"], e["project_count"], len(e["project_ids"])) for e in listed] == [
        (owner["id"], 2, 2),
        (other["id"], 1, 1),
    ]


async def test_back_links_count_only_what_the_caller_may_read(client: httpx.AsyncClient) -> None:
    owner = await create(client, "enterprises", factories.enterprise(1))
    inside = await create(client, "projects", county_project(1, owner_enterprise_id=owner["id"]))
    await create(client, "projects", county_project(2, COUNTY_ELSEWHERE, owner_enterprise_id=owner["id"]))

    admin = (await client.get(f"/api/v1/enterprises/{owner['id']}", headers=ADMIN)).json()
    city = (await client.get(f"/api/v1/enterprises/{owner['id']}", headers=CITY)).json()
    [city_listed] = (await client.get("/api/v1/enterprises", headers=CITY)).json()["items"]
    assert admin["project_count"] == 2
    assert (city["project_count"], city["project_ids"]) == (1, [inside["id"]])
    assert (city_listed["project_count"], city_listed["project_ids"]) == (1, [inside["id"]])


async def test_an_industry_read_carries_its_enterprises_and_child_industries(client: httpx.AsyncClient) -> None:
    parent = await create(client, "industries", factories.industry())
    child = await create(
        client,
        "industries",
        factories.industry(name="长沙工程机械", level="city", region_code="430100", target_tier="hundred_billion")
        | {"parent_industry_id": parent["id"]},
    )
    member = await create(client, "enterprises", factories.enterprise(1, industry_ids=[parent["id"], child["id"]]))
    await create(client, "enterprises", factories.enterprise(2))

    read = (await client.get(f"/api/v1/industries/{parent['id']}", headers=ADMIN)).json()
    assert (read["enterprise_count"], read["enterprise_ids"]) == (1, [member["id"]])
    assert (read["child_industry_count"], read["child_industry_ids"]) == (1, [child["id"]])
    child_read = (await client.get(f"/api/v1/industries/{child['id']}", headers=ADMIN)).json()
    assert (child_read["enterprise_count"], child_read["child_industry_count"], child_read["child_industry_ids"]) == (
        1,
        0,
        [],
    )


async def test_a_chain_and_a_park_read_carry_their_members_by_kind(client: httpx.AsyncClient) -> None:
    chain = (await client.get("/api/v1/chains", params={"limit": 1}, headers=ADMIN)).json()["items"][0]
    park = (
        await client.post(
            "/api/v1/parks", json={"name": "长沙经开区", "grade": "national", "region_code": "430100"}, headers=ADMIN
        )
    ).json()
    links = {"chain_ids": [chain["id"]], "park_ids": [park["id"]]}
    industry = await create(
        client,
        "industries",
        factories.industry(name="长沙工程机械", level="city", region_code="430100", target_tier="hundred_billion")
        | links,
    )
    enterprise = await create(client, "enterprises", factories.enterprise(1, **links))
    inside = await create(client, "projects", county_project(1) | links)
    outside = await create(client, "projects", county_project(2, COUNTY_ELSEWHERE, chain_ids=[chain["id"]]))

    for headers, projects in ((ADMIN, sorted([inside["id"], outside["id"]])), (CITY, [inside["id"]])):
        read = (await client.get(f"/api/v1/chains/{chain['id']}", headers=headers)).json()
        members = [(read[f"{k}_count"], sorted(read[f"{k}_ids"])) for k in ("industry", "enterprise", "project")]
        assert members == [(1, [industry["id"]]), (1, [enterprise["id"]]), (len(projects), projects)]
    park_read = (await client.get(f"/api/v1/parks/{park['id']}", headers=CITY)).json()
    assert [park_read[f"{k}_ids"] for k in ("industry", "enterprise", "project")] == [
        [industry["id"]],
        [enterprise["id"]],
        [inside["id"]],
    ]
    [listed] = [p for p in (await client.get("/api/v1/parks", headers=CITY)).json()["items"] if p["id"] == park["id"]]
    assert (listed["industry_count"], listed["enterprise_count"], listed["project_count"]) == (1, 1, 1)
    # a write answers as a read does
    patched = await client.patch(
        f"/api/v1/parks/{park['id']}", json={"five_good": True}, headers=ADMIN | {"If-Match": '"1"'}
    )
    assert (patched.status_code, patched.json()["project_count"]) == (200, 1)


async def test_ids_are_capped_and_the_count_is_not(client: httpx.AsyncClient, db_connection: AsyncConnection) -> None:
    owner = await create(client, "enterprises", factories.enterprise(1))
    # a bulk insert of the member rows: creating LINKED_IDS_MAX + 1 projects through the API is slow
    await db_connection.exec_driver_sql(
        """
        WITH e AS (
            INSERT INTO registry.entity (kind, name, level, region_code, domain, target_tier, listed_on)
            SELECT 'project', 'P' || lpad(n::text, 4, '0'), 'county', '430104', 'industry_it', 'hundred_million',
                   DATE '2024-01-01'
            FROM generate_series(1, $1::int) AS n RETURNING id
        )
        INSERT INTO registry.project (entity_id, owner_enterprise_id, total_investment)
        SELECT id, $2::uuid, 1 FROM e
        """,
        (LINKED_IDS_MAX + 1, owner["id"]),
    )
    read = (await client.get(f"/api/v1/enterprises/{owner['id']}", headers=ADMIN)).json()
    assert (read["project_count"], len(read["project_ids"])) == (LINKED_IDS_MAX + 1, LINKED_IDS_MAX)


async def test_back_links_stay_out_of_the_feed_and_the_audit_log(client: httpx.AsyncClient) -> None:
    owner = await create(client, "enterprises", factories.enterprise(1))
    await create(client, "projects", county_project(1, owner_enterprise_id=owner["id"]))
    cursor = await feed_end(client)
    patched = await client.patch(
        f"/api/v1/enterprises/{owner['id']}", json={"name": "改名企业"}, headers=ADMIN | {"If-Match": '"1"'}
    )
    assert (patched.status_code, patched.json()["project_count"]) == (200, 1)
    [feed] = (await client.get("/api/v1/events", params={"after": cursor}, headers=ADMIN)).json()["items"]
    assert {"project_count", "project_ids"} & set(feed["payload"]) == set()
    audit = (await client.get("/api/v1/audit-events", params={"resource_id": owner["id"]}, headers=ADMIN)).json()
    [update] = [e for e in audit["items"] if e["action"] == "update"]
    assert {"project_count", "project_ids"} & (set(update["before"]) | set(update["after"])) == set()


@pytest.fixture
def statements(
    db_connection: AsyncConnection, registry_app: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[str]]:
    """Every statement the test's connection runs, as sent: through SQLAlchemy, and on the read lane
    (which runs on the same connection's driver in tests)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    reader = registry_app.state.platform.state.reads.reader
    for name in ("fetch", "fetchrow"):
        run = getattr(reader, name)

        async def recorded(read: PreparedRead, values: Any, run: Any = run) -> Any:
            seen.append(read.sql)
            return await run(read, values)

        monkeypatch.setattr(reader, name, recorded)
    sync_engine = db_connection.sync_connection
    assert sync_engine is not None
    event.listen(sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(sync_engine, "before_cursor_execute", record)


async def test_a_list_page_with_back_links_is_still_one_statement(
    client: httpx.AsyncClient, statements: list[str]
) -> None:
    for n in range(1, 4):
        owner = await create(client, "enterprises", factories.enterprise(n))
        await create(client, "projects", county_project(n, owner_enterprise_id=owner["id"]))
    statements.clear()
    page = (await client.get("/api/v1/enterprises", headers=ADMIN)).json()
    assert [e["project_count"] for e in page["items"]] == [1, 1, 1]
    reads = [s for s in statements if "registry.entity" in s]
    assert len(reads) == 1
