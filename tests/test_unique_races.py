"""Writes racing for one unique value: one wins, the others get the value's 409, never a 500.

Each request commits (`committing_client`): the clash check before each write passes for every racer,
so the losers meet the unique constraint itself, which `services.registry.conflicts` maps to the
conflict a clash check would have raised.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.registry import models
from services.registry.conflicts import UNIQUE_CONFLICTS
from tests import factories
from tests.conftest import ADMIN

RACERS = 6
# Unique keys no two API writes can race for: an identity column, and metric revisions (computed under
# the entity's row lock).
NOT_RACED = {"uq_roster_adjustment_seq", "ix_metric_value_entity_id_metric_year_month_revision"}


def test_every_unique_constraint_of_the_registry_has_its_conflict() -> None:
    names: set[str] = set()
    for table in models.RegistryTable.metadata.sorted_tables:
        if table.schema != "registry":
            continue
        names |= {str(c.name) for c in table.constraints if isinstance(c, sa.UniqueConstraint)}
        names |= {str(i.name) for i in table.indexes if i.unique}
    assert set(UNIQUE_CONFLICTS) == names - NOT_RACED


@pytest.fixture
async def cleanup(engine: AsyncEngine) -> AsyncIterator[list[tuple[str, str]]]:
    """(table, id) of committed rows to delete after the test, with their change-feed rows."""
    rows: list[tuple[str, str]] = []
    yield rows
    async with engine.begin() as conn:
        for table, row_id in rows:
            await conn.execute(text("DELETE FROM registry.change_event WHERE resource_id = :id"), {"id": row_id})
            await conn.execute(
                text(f"DELETE FROM registry.{table} WHERE id = CAST(:id AS uuid)"),
                {"id": row_id},
            )


async def _create(
    client: httpx.AsyncClient, path: str, body: Mapping[str, object], table: str, rows: list[tuple[str, str]]
) -> str:
    response = await client.post(f"/api/v1/{path}", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    rows.append((table, str(response.json()["id"])))
    return str(response.json()["id"])


def _seed() -> int:
    return uuid.uuid4().int % 800_000 + 100_000


async def test_enterprises_patched_at_once_to_one_uscc_let_one_win(
    committing_client: httpx.AsyncClient, cleanup: list[tuple[str, str]]
) -> None:
    n = _seed()
    ids = [
        await _create(committing_client, "enterprises", factories.enterprise(n + i), "entity", cleanup)
        for i in range(RACERS)
    ]
    target = factories.make_uscc(n + RACERS)
    responses = await asyncio.gather(
        *(
            committing_client.patch(
                f"/api/v1/enterprises/{i}", json={"uscc": target}, headers=ADMIN | {"If-Match": '"1"'}
            )
            for i in ids
        )
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * (RACERS - 1), [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"enterprise_uscc_duplicate"}


async def test_projects_patched_at_once_to_one_code_let_one_win(
    committing_client: httpx.AsyncClient, cleanup: list[tuple[str, str]]
) -> None:
    n = _seed()
    ids = [
        await _create(committing_client, "projects", factories.project(n + i), "entity", cleanup) for i in range(RACERS)
    ]
    code = f"2024-430104-39-03-{n + RACERS:06d}"
    responses = await asyncio.gather(
        *(
            committing_client.patch(
                f"/api/v1/projects/{i}", json={"project_code": code}, headers=ADMIN | {"If-Match": '"1"'}
            )
            for i in ids
        )
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * (RACERS - 1), [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"project_code_duplicate"}


async def test_enterprises_created_at_once_with_one_uscc_create_one(
    committing_client: httpx.AsyncClient, cleanup: list[tuple[str, str]]
) -> None:
    n = _seed()
    uscc = factories.make_uscc(n)
    responses = await asyncio.gather(
        *(
            committing_client.post("/api/v1/enterprises", json=factories.enterprise(n + i, uscc=uscc), headers=ADMIN)
            for i in range(RACERS)
        )
    )
    cleanup.extend(("entity", str(r.json()["id"])) for r in responses if r.status_code == 201)
    assert sorted(r.status_code for r in responses) == [201] + [409] * (RACERS - 1), [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"enterprise_uscc_duplicate"}


@pytest.mark.parametrize(
    ("path", "table", "code"),
    [
        ("parks", "park", "park_duplicate"),
        ("departments", "department", "department_duplicate"),
        ("chains", "chain", "chain_duplicate"),
    ],
)
async def test_reference_records_renamed_at_once_to_one_name_let_one_win(
    path: str, table: str, code: str, committing_client: httpx.AsyncClient, cleanup: list[tuple[str, str]]
) -> None:
    tag = uuid.uuid4().hex[:8]
    bodies = {
        "parks": lambda i: {"name": f"唯一竞速园区{tag}-{i}", "grade": "provincial", "region_code": "430100"},
        "departments": lambda i: {
            "code": f"u-{tag}-{i}",
            "name": f"唯一竞速部门{tag}-{i}",
            "level": "city",
            "region_code": "430100",
        },
        "chains": lambda i: {"name": f"唯一竞速产业链{tag}-{i}"},
    }
    ids = [await _create(committing_client, path, bodies[path](i), table, cleanup) for i in range(RACERS)]
    responses = await asyncio.gather(
        *(
            committing_client.patch(
                f"/api/v1/{path}/{i}", json={"name": f"唯一竞速{tag}"}, headers=ADMIN | {"If-Match": '"1"'}
            )
            for i in ids
        )
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * (RACERS - 1), [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {code}
