"""The current-state path of progress and standing (entity rows) agrees with the history path.

Progress and entity reads for today use the entity row's own roster state and size (the latest annual
size, or a project's total investment); any other date replays the roster and metric history and reads
projects' investment from `project`. Both must give the same answer for today.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.progress.repository import CubeQuery, ProgressRepository
from tests import factories
from tests.conftest import ADMIN


def today() -> dt.date:
    """The programme's date now (read when used: a run may cross midnight in Asia/Shanghai)."""
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


async def post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/{path}", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def patch(
    client: httpx.AsyncClient, path: str, entity_id: str, version: int, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.patch(
        f"/api/v1/{path}/{entity_id}", json=body, headers=ADMIN | {"If-Match": f'"{version}"'}
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def build_history(client: httpx.AsyncClient) -> list[str]:
    """Entities with metric revisions, output-only sizes, a promotion, a relocation and a removal, and
    projects whose total investment was changed after they were listed (across a tier threshold)."""
    ids = []
    for n, value in ((1, "120"), (2, "50"), (3, None), (4, "1500")):
        e = await post(client, "enterprises", factories.enterprise(n, listed_on="2023-01-05"))
        ids.append(e["id"])
        if value:
            await post(client, "metrics", {"entity_id": e["id"], "metric": "revenue", "year": 2023, "value": value})
    await post(client, "metrics", {"entity_id": ids[0], "metric": "revenue", "year": 2023, "value": "80"})
    await post(client, "metrics", {"entity_id": ids[2], "metric": "output", "year": 2024, "value": "15"})
    industry = await post(client, "industries", factories.industry(listed_on="2023-01-05"))
    await post(client, "metrics", {"entity_id": industry["id"], "metric": "output", "year": 2024, "value": "9000"})
    await post(client, "projects", factories.project(1, listed_on="2023-01-05"))
    shrunk = await post(client, "projects", factories.project(2, listed_on="2023-01-05"))
    await patch(client, "projects", shrunk["id"], 1, {"total_investment": "0.8"})
    grown = await post(client, "projects", factories.project(3, total_investment="0.5", region_code="430102"))
    await patch(client, "projects", grown["id"], 1, {"total_investment": "3"})
    adjust = {"reason": "测试", "effective_on": "2024-02-01"}
    await post(client, "roster-adjustments", adjust | {"entity_id": ids[3], "action": "promote"})
    await post(client, "roster-adjustments", adjust | {"entity_id": ids[1], "action": "remove"})
    await post(
        client, "roster-adjustments", adjust | {"entity_id": ids[0], "action": "retier", "to_region_code": "430200"}
    )
    return ids


async def test_progress_cube_is_the_same_from_entity_rows_and_from_history(
    client: httpx.AsyncClient, db_session: async_sessionmaker[AsyncSession]
) -> None:
    await build_history(client)
    async with db_session() as session:
        repo = ProgressRepository(session)
        for ranges in ((), (("430100", "430199"),)):
            current = await repo.standing_cube(CubeQuery(as_of=today(), current=True, region_ranges=ranges))
            replayed = await repo.standing_cube(CubeQuery(as_of=today(), current=False, region_ranges=ranges))
            assert current  # the data set is not empty, so the comparison means something
            assert sorted(map(dict, current), key=str) == sorted(map(dict, replayed), key=str)


async def test_entity_standing_today_matches_the_as_of_replay(client: httpx.AsyncClient) -> None:
    await build_history(client)
    for path, count in (("enterprises", 4), ("industries", 1), ("projects", 3)):
        now = (await client.get(f"/api/v1/{path}", params={"sort": "name"}, headers=ADMIN)).json()["items"]
        replay = (
            await client.get(f"/api/v1/{path}", params={"sort": "name", "as_of": today().isoformat()}, headers=ADMIN)
        ).json()["items"]
        assert len(now) == count  # every record build_history made, so the comparison covers them all
        assert [(i["id"], i["standing"], i["level"], i["region_code"], i["roster_status"]) for i in now] == [
            (i["id"], i["standing"], i["level"], i["region_code"], i["roster_status"]) for i in replay
        ]


# ---- a project's size on its entity row ----------------------------------------------------------


async def size_on_row(db_session: async_sessionmaker[AsyncSession], entity_id: str) -> tuple[Any, ...]:
    async with db_session() as session:
        row = (
            await session.execute(
                text("SELECT size_metric, size_year, size_value FROM registry.entity WHERE id = CAST(:id AS uuid)"),
                {"id": entity_id},
            )
        ).one()
    return tuple(row)


async def project_tier_today(client: httpx.AsyncClient, base: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    """(listed, achieved) of county 亿元级 projects in today's progress (the entity-row path), less `base`:
    what the database held before the test (committing tests elsewhere may have left projects)."""
    response = await client.get("/api/v1/progress", headers=ADMIN)
    assert response.status_code == 200, response.text
    (count,) = [
        t
        for t in response.json()["tiers"]
        if (t["kind"], t["level"], t["tier"]) == ("project", "county", "hundred_million")
    ]
    return count["listed"] - base[0], count["achieved"] - base[1]


async def test_a_project_patch_moves_its_size_and_its_progress_bucket(
    client: httpx.AsyncClient, db_session: async_sessionmaker[AsyncSession]
) -> None:
    base = await project_tier_today(client)
    project = await post(client, "projects", factories.project(total_investment="0.5"))  # county, 亿元级
    assert await size_on_row(db_session, project["id"]) == ("total_investment", None, Decimal("0.5"))
    assert await project_tier_today(client, base) == (1, 0)

    patched = await patch(client, "projects", project["id"], 1, {"total_investment": "1.5"})
    assert (project["standing"]["status"], patched["standing"]["status"]) == ("below", "achieved")
    assert await size_on_row(db_session, project["id"]) == ("total_investment", None, Decimal("1.5"))
    assert await project_tier_today(client, base) == (1, 1)

    await patch(client, "projects", project["id"], 2, {"stage": "signed"})  # other fields leave the size alone
    assert await size_on_row(db_session, project["id"]) == ("total_investment", None, Decimal("1.5"))
    await patch(client, "projects", project["id"], 3, {"total_investment": "0.9999"})
    assert await project_tier_today(client, base) == (1, 0)


async def test_a_project_written_around_the_api_keeps_its_size_too(
    client: httpx.AsyncClient, db_session: async_sessionmaker[AsyncSession]
) -> None:
    """The copy is kept by triggers on `project`, not by the API's code paths."""
    base = await project_tier_today(client)
    project = await post(client, "projects", factories.project(total_investment="2"))
    async with db_session() as session, session.begin():
        await session.execute(
            text("UPDATE registry.project SET total_investment = 0.25 WHERE entity_id = CAST(:id AS uuid)"),
            {"id": project["id"]},
        )
    assert await size_on_row(db_session, project["id"]) == ("total_investment", None, Decimal("0.25"))
    assert await project_tier_today(client, base) == (1, 0)
