"""An import audits every record it creates or changes, as the API audits its own writes, and no other."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.entities.views import BACKLINK_FIELDS
from services.registry.imports import repository
from services.registry.imports.runner import ImportRunner
from tests import factories
from tests.conftest import ADMIN
from tests.test_imports import ENTERPRISE_HEADER, csv_bytes, enterprise_row, listing, run_import

NOW = dt.datetime(2024, 7, 1, 2, 30, tzinfo=dt.UTC)
ADMIN_ACTOR = ("admin-430000-x", "admin-430000-x", "admin", "430000")


def payload(record: dict[str, Any]) -> dict[str, Any]:
    """A record as its feed and audit events carry it: as GET shows it, persons by id only, no back-links."""
    kept = {k: v for k, v in record.items() if k != "persons" and k not in BACKLINK_FIELDS}
    return kept | {"person_ids": [p["id"] for p in record["persons"]]}


async def audit_rows(db_session: async_sessionmaker[AsyncSession], request_id: str) -> list[tuple[Any, ...]]:
    async with db_session() as session:
        rows = await session.execute(
            text(
                "SELECT action, resource_type, resource_id, before, after, occurred_at,"
                " actor_sub, actor_name, actor_role, actor_region"
                " FROM registry.audit_event WHERE request_id = :rid AND resource_type <> 'import_job' ORDER BY id"
            ),
            {"rid": request_id},
        )
        return [tuple(r) for r in rows]


async def audit_of(db_session: async_sessionmaker[AsyncSession], resource_id: str) -> list[tuple[Any, ...]]:
    async with db_session() as session:
        rows = await session.execute(
            text("SELECT action, before, after FROM registry.audit_event WHERE resource_id = :id ORDER BY id"),
            {"id": resource_id},
        )
        return [tuple(r) for r in rows]


def from_request(request_id: str) -> dict[str, str]:
    return ADMIN | {"X-Request-ID": request_id}


@pytest.fixture
def fixed_clock(inline: ImportRunner, monkeypatch: pytest.MonkeyPatch) -> ImportRunner:
    monkeypatch.setattr(inline, "clock", lambda: NOW)
    return inline


async def test_each_created_record_gets_the_create_event_a_post_writes(
    client: httpx.AsyncClient, fixed_clock: ImportRunner, db_session: async_sessionmaker[AsyncSession]
) -> None:
    posted = await client.post("/api/v1/enterprises", json=factories.enterprise(9), headers=ADMIN)
    assert posted.status_code == 201
    content = csv_bytes([ENTERPRISE_HEADER, enterprise_row(2), enterprise_row(1)])
    job = await run_import(client, content, headers=from_request("import-creates"))
    assert (job["status"], job["created"]) == ("succeeded", 2)
    by_name = {e["name"]: e for e in await listing(client, "enterprises")}
    second, first = by_name["湖南导入企业2号有限公司"], by_name["湖南导入企业1号有限公司"]
    assert await audit_rows(db_session, "import-creates") == [
        ("create", "enterprise", second["id"], None, payload(second), NOW, *ADMIN_ACTOR),
        ("create", "enterprise", first["id"], None, payload(first), NOW, *ADMIN_ACTOR),
    ]
    ((action, before, after),) = await audit_of(db_session, posted.json()["id"])
    assert (action, before, after.keys()) == ("create", None, payload(first).keys())


async def test_each_changed_record_gets_the_update_event_a_patch_writes_and_an_unchanged_one_none(
    client: httpx.AsyncClient, fixed_clock: ImportRunner, db_session: async_sessionmaker[AsyncSession]
) -> None:
    changed = (
        await client.post("/api/v1/enterprises", json=factories.enterprise(1, name="旧名称", labels=[]), headers=ADMIN)
    ).json()
    same = await client.post(
        "/api/v1/enterprises",
        json=factories.enterprise(2, name="湖南导入企业2号有限公司", labels=["little_giant", "leading"]),
        headers=ADMIN,
    )
    content = csv_bytes([ENTERPRISE_HEADER, enterprise_row(1), enterprise_row(2), enterprise_row(3)])
    job = await run_import(client, content, headers=from_request("import-updates"))
    assert (job["status"], job["created"], job["updated"]) == ("succeeded", 1, 1)
    by_name = {e["name"]: e for e in await listing(client, "enterprises")}
    updated, created = by_name["湖南导入企业1号有限公司"], by_name["湖南导入企业3号有限公司"]
    assert (updated["id"], updated["version"]) == (changed["id"], 2)
    assert await audit_rows(db_session, "import-updates") == [
        ("create", "enterprise", created["id"], None, payload(created), NOW, *ADMIN_ACTOR),
        ("update", "enterprise", changed["id"], payload(changed), payload(updated), NOW, *ADMIN_ACTOR),
    ]
    assert [action for action, _, _ in await audit_of(db_session, same.json()["id"])] == ["create"]
    patched = await client.patch(
        f"/api/v1/enterprises/{created['id']}", json={"name": "改名"}, headers=ADMIN | {"If-Match": '"1"'}
    )
    assert patched.status_code == 200
    (_, (action, before, after)) = await audit_of(db_session, created["id"])
    assert (action, before.keys(), after.keys()) == ("update", payload(changed).keys(), payload(updated).keys())


@pytest.mark.parametrize(("mode", "audited"), [("all_or_nothing", []), ("valid_rows", ["湖南导入企业1号有限公司"])])
async def test_rows_an_import_does_not_write_are_not_audited(
    client: httpx.AsyncClient,
    fixed_clock: ImportRunner,
    db_session: async_sessionmaker[AsyncSession],
    mode: str,
    audited: list[str],
) -> None:
    content = csv_bytes([ENTERPRISE_HEADER, enterprise_row(1), enterprise_row(2, 级别="国家级")])
    job = await run_import(client, content, mode=mode, headers=from_request(f"import-{mode}"))
    assert job["error_count"] == 1
    rows = await audit_rows(db_session, f"import-{mode}")
    assert [(action, after["name"]) for action, _, _, _, after, *_ in rows] == [("create", n) for n in audited]
    async with db_session() as session:
        outcome = await session.scalar(
            text("SELECT after->>'status' FROM registry.audit_event WHERE request_id = :rid AND action = 'import'"),
            {"rid": f"import-{mode}"},
        )
    assert outcome == ("failed" if mode == "all_or_nothing" else "succeeded")


async def test_a_retried_batch_audits_each_record_once(
    client: httpx.AsyncClient,
    fixed_clock: ImportRunner,
    db_session: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raced = await client.post("/api/v1/enterprises", json=factories.enterprise(1, name="先到的"), headers=ADMIN)
    real = repository.ImportRepository.existing
    calls: list[int] = []

    async def stale_once(self: repository.ImportRepository, spec: Any, keys: Any) -> Any:
        calls.append(len(keys))
        return {} if len(calls) == 1 else await real(self, spec, keys)  # the first look missed the API's insert

    monkeypatch.setattr(repository.ImportRepository, "existing", stale_once)
    content = csv_bytes([ENTERPRISE_HEADER, enterprise_row(1), enterprise_row(2)])
    job = await run_import(client, content, headers=from_request("import-retried"))
    assert (calls, job["created"], job["updated"]) == ([2, 2], 1, 1)
    rows = await audit_rows(db_session, "import-retried")
    assert [(action, resource_id == raced.json()["id"]) for action, _, resource_id, *_ in rows] == [
        ("create", False),
        ("update", True),
    ]
