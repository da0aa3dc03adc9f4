"""Bulk import of industries, enterprises and projects from CSV and XLSX, through the API.

Jobs run inline (inside the test's rolled-back transaction) except in the test marked as running the
real background task on `committing_client`.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.registry.entities.views import BACKLINK_FIELDS
from services.registry.imports.runner import ImportRunner
from tests import factories
from tests.conftest import ADMIN, auth

ENTERPRISE_HEADER = ["名称", "统一社会信用代码", "级别", "行政区划代码", "领域", "培育路径", "目标层级", "标签"]


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def enterprise_row(n: int, **overrides: str) -> list[str]:
    values = {
        "名称": f"湖南导入企业{n}号有限公司",
        "统一社会信用代码": factories.make_uscc(n),
        "级别": "市级",
        "行政区划代码": "430100",
        "领域": "工业和信息化",
        "培育路径": "扶持壮大培育",
        "目标层级": "百亿级",
        "标签": "专精特新“小巨人”；龙头企业",
    } | overrides
    return [values[h] for h in ENTERPRISE_HEADER]


async def upload(
    client: httpx.AsyncClient,
    content: bytes,
    kind: str = "enterprise",
    mode: str | None = None,
    headers: dict[str, str] | None = None,
    filename: str = "名单.csv",
) -> httpx.Response:
    data = {"kind": kind} | ({"mode": mode} if mode else {})
    return await client.post(
        "/api/v1/imports", files={"file": (filename, content)}, data=data, headers=headers or ADMIN
    )


async def run_import(client: httpx.AsyncClient, content: bytes, **kwargs: Any) -> dict[str, Any]:
    """Upload, then read the finished job back (inline jobs are done when the upload returns)."""
    response = await upload(client, content, **kwargs)
    assert response.status_code == 202, response.text
    job = await client.get(response.headers["location"], headers=kwargs.get("headers") or ADMIN)
    assert job.status_code == 200
    body: dict[str, Any] = job.json()
    return body


def outcome(job: dict[str, Any]) -> dict[str, Any]:
    keys = ("status", "total", "processed", "created", "updated", "error_count", "errors")
    return {k: job[k] for k in keys}


async def listing(client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/{path}?limit=200&sort=name", headers=headers or ADMIN)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def stored_job(
    db_session: async_sessionmaker[AsyncSession], content: bytes, mode: str, status: str, total: int, done: int
) -> uuid.UUID:
    """An admin's enterprise job as a process that stopped left it: `done` rows processed and created."""
    actor = '{"sub": "admin-430000-x", "role": "admin", "region": "430000", "name": "admin"}'
    async with db_session.begin() as session:
        job_id: uuid.UUID = await session.scalar(
            text(
                "INSERT INTO registry.import_job (kind, file_format, mode, status, total, processed, created,"
                " content, created_by, actor, created_at) VALUES ('enterprise', 'csv', :mode, :status, :total,"
                " :done, :done, :content, 'admin-430000-x', CAST(:actor AS jsonb), clock_timestamp()) RETURNING id"
            ),
            {"mode": mode, "status": status, "total": total, "done": done, "content": content, "actor": actor},
        )
    return job_id


async def test_upload_returns_202_with_the_pending_job_and_its_location(
    client: httpx.AsyncClient, registry_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted: list[uuid.UUID] = []

    async def hold(job_id: uuid.UUID) -> None:
        submitted.append(job_id)

    monkeypatch.setattr(registry_app.state.platform.state.imports, "submit", hold)
    response = await upload(client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(1)]), filename="C:\\数据\\企业.csv")
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/api/v1/imports/{job['id']}"
    assert submitted == [uuid.UUID(job["id"])]
    assert {k: job[k] for k in ("kind", "file_format", "filename", "mode", "status", "created_by")} == {
        "kind": "enterprise",
        "file_format": "csv",
        "filename": "企业.csv",
        "mode": "all_or_nothing",
        "status": "pending",
        "created_by": "admin-430000-x",
    }
    assert outcome(job) == {
        "status": "pending",
        "total": 0,
        "processed": 0,
        "created": 0,
        "updated": 0,
        "error_count": 0,
        "errors": [],
    }
    assert job["started_at"] is None and job["finished_at"] is None


async def test_good_csv_creates_every_row_with_roster_inclusion_feed_events_and_the_job_s_audit_event(
    client: httpx.AsyncClient, inline: ImportRunner, db_session: async_sessionmaker[AsyncSession]
) -> None:
    content = csv_bytes([ENTERPRISE_HEADER, *(enterprise_row(n) for n in (1, 2, 3))])
    job = await run_import(client, content)
    assert outcome(job) == {
        "status": "succeeded",
        "total": 3,
        "processed": 3,
        "created": 3,
        "updated": 0,
        "error_count": 0,
        "errors": [],
    }
    assert job["started_at"] is not None and job["finished_at"] is not None
    items = await listing(client, "enterprises")
    assert [(e["name"], e["uscc"], e["level"], e["target_tier"], e["labels"], e["pathway"]) for e in items] == [
        (
            f"湖南导入企业{n}号有限公司",
            factories.make_uscc(n),
            "city",
            "ten_billion",
            ["little_giant", "leading"],
            "nurture",
        )
        for n in (1, 2, 3)
    ]
    assert {e["roster_status"] for e in items} == {"listed"}
    ids = [e["id"] for e in items]
    async with db_session() as session:
        adjustments = (
            await session.execute(
                text(
                    "SELECT action, reason, to_level, to_tier, effective_on = listed_on AS same_day, actor_sub"
                    " FROM registry.roster_adjustment r JOIN registry.entity e ON e.id = r.entity_id"
                    " WHERE r.entity_id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"ids": ids},
            )
        ).all()
        events = (
            await session.execute(
                text(
                    "SELECT resource_id, action, payload FROM registry.change_event"
                    " WHERE resource_id = ANY(:ids) ORDER BY id"
                ),
                {"ids": ids},
            )
        ).all()
        audit = (
            await session.execute(
                text("SELECT action, actor_sub, after FROM registry.audit_event WHERE resource_id = :id"),
                {"id": job["id"]},
            )
        ).all()
    assert sorted(adjustments) == [("include", "批量导入纳入名单", "city", "ten_billion", True, "admin-430000-x")] * 3
    assert sorted((e.resource_id, e.action) for e in events) == sorted((i, "created") for i in ids)
    by_id = {e["id"]: e for e in items}
    for event in events:
        assert event.payload == {
            k: v for k, v in by_id[event.resource_id].items() if k != "persons" and k not in BACKLINK_FIELDS
        } | {"person_ids": []}
    assert audit == [
        (
            "import",
            "admin-430000-x",
            {
                "kind": "enterprise",
                "mode": "all_or_nothing",
                "filename": "名单.csv",
                "status": "succeeded",
                "total": 3,
                "processed": 3,
                "created": 3,
                "updated": 0,
                "unchanged": 0,
                "error_count": 0,
            },
        )
    ]


async def test_bad_rows_in_all_or_nothing_write_nothing_and_list_every_error(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    content = csv_bytes(
        [
            ENTERPRISE_HEADER,
            enterprise_row(1),
            enterprise_row(2, 统一社会信用代码="91430100MA4L7K3PXJ"),
            enterprise_row(3, 级别="市级", 行政区划代码="430102", 目标层级="万亿级"),
            enterprise_row(4, 领域="制造业", 标签="链主、独角兽"),
            enterprise_row(5),
            enterprise_row(6, 统一社会信用代码=factories.make_uscc(1)),
            enterprise_row(7, 名称="", 行政区划代码="439900"),
            enterprise_row(8, 培育路径="转型升级催生"),
        ]
    )
    job = await run_import(client, content)
    assert outcome(job) == {
        "status": "failed",
        "total": 8,
        "processed": 8,
        "created": 0,
        "updated": 0,
        "error_count": 9,
        "errors": [
            {
                "row": 3,
                "column": "统一社会信用代码",
                "message": "统一社会信用代码校验位（第 18 位）错误",
                "code": "enterprise_uscc_invalid",
            },
            {
                "row": 4,
                "column": "行政区划代码",
                "message": "级别为 city 时行政区划应为市州代码（如 430100）",
                "code": "level_region_mismatch",
            },
            {
                "row": 4,
                "column": "目标层级",
                "message": "市级企业的目标层级只能是：ten_billion（百亿级）",
                "code": "tier_not_allowed",
            },
            {
                "row": 5,
                "column": "领域",
                "message": "“制造业”不是有效的领域，可选：农林牧渔、工业和信息化、建筑业、服务业",
                "code": "enum",
            },
            {
                "row": 5,
                "column": "标签",
                "message": "“独角兽”不是有效的企业标签，可选：专精特新“小巨人”、单项冠军、“三类500强”、链主、龙头企业",
                "code": "enum",
            },
            {
                "row": 7,
                "column": "统一社会信用代码",
                "message": "与第 2 行的统一社会信用代码重复",
                "code": "import_duplicate_in_file",
            },
            {"row": 8, "column": "名称", "message": "缺少必填字段", "code": "missing"},
            {
                "row": 8,
                "column": "行政区划代码",
                "message": "439900 不是湖南省的有效行政区划代码",
                "code": "region_unknown",
            },
            {
                "row": 9,
                "column": "培育路径",
                "message": "该类对象的培育路径只能是：consolidate, attract, nurture, merge",
                "code": "pathway_not_allowed",
            },
        ],
    }
    assert await listing(client, "enterprises") == []


async def test_valid_rows_writes_the_good_rows_and_reports_the_bad(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    content = csv_bytes(
        [
            ENTERPRISE_HEADER,
            enterprise_row(1),
            enterprise_row(2, 目标层级="千亿级"),
            enterprise_row(3, 级别="county", 行政区划代码="430104", 目标层级="billion", 领域="services"),
        ]
    )
    job = await run_import(client, content, mode="valid_rows")
    assert outcome(job) == {
        "status": "succeeded",
        "total": 3,
        "processed": 3,
        "created": 2,
        "updated": 0,
        "error_count": 1,
        "errors": [
            {
                "row": 3,
                "column": "目标层级",
                "message": "市级企业的目标层级只能是：ten_billion（百亿级）",
                "code": "tier_not_allowed",
            }
        ],
    }
    items = await listing(client, "enterprises")
    assert [(e["uscc"], e["level"], e["region_code"], e["domain"], e["target_tier"]) for e in items] == [
        (factories.make_uscc(1), "city", "430100", "industry_it", "ten_billion"),
        (factories.make_uscc(3), "county", "430104", "services", "billion"),
    ]


async def test_upsert_updates_the_enterprise_with_the_same_uscc_and_leaves_unchanged_ones_alone(
    client: httpx.AsyncClient, inline: ImportRunner, db_session: async_sessionmaker[AsyncSession]
) -> None:
    changed = await client.post(
        "/api/v1/enterprises", json=factories.enterprise(1, name="旧名称", labels=[]), headers=ADMIN
    )
    same = await client.post(
        "/api/v1/enterprises",
        json=factories.enterprise(2, name="湖南导入企业2号有限公司", labels=["little_giant", "leading"]),
        headers=ADMIN,
    )
    assert changed.status_code == same.status_code == 201
    content = csv_bytes([ENTERPRISE_HEADER, enterprise_row(1), enterprise_row(2), enterprise_row(3)])
    job = await run_import(client, content)
    assert outcome(job) == {
        "status": "succeeded",
        "total": 3,
        "processed": 3,
        "created": 1,
        "updated": 1,
        "error_count": 0,
        "errors": [],
    }
    assert job["unchanged"] == 1
    first = (await client.get(f"/api/v1/enterprises/{changed.json()['id']}", headers=ADMIN)).json()
    assert (first["name"], first["labels"], first["pathway"], first["version"]) == (
        "湖南导入企业1号有限公司",
        ["little_giant", "leading"],
        "nurture",
        2,
    )
    second = (await client.get(f"/api/v1/enterprises/{same.json()['id']}", headers=ADMIN)).json()
    assert second == same.json()
    async with db_session() as session:
        events = (
            await session.execute(
                text("SELECT action, payload FROM registry.change_event WHERE resource_id = :id ORDER BY id"),
                {"id": first["id"]},
            )
        ).all()
    assert [e.action for e in events] == ["created", "updated"]
    assert events[1].payload == {k: v for k, v in first.items() if k != "persons" and k not in BACKLINK_FIELDS} | {
        "person_ids": []
    }
    assert len(await listing(client, "enterprises")) == 3


PROVINCE = {"级别": "省级", "行政区划代码": "430000", "目标层级": "千亿级"}


@pytest.mark.parametrize(
    ("existing", "changes", "column", "now"),
    [
        ({}, {"级别": "县级", "行政区划代码": "430104", "目标层级": "十亿级"}, "级别", "市级"),
        ({}, {"行政区划代码": "430200"}, "行政区划代码", "长沙市（430100）"),
        (
            {"level": "province", "region_code": "430000", "target_tier": "hundred_billion"},
            PROVINCE | {"目标层级": "800亿级"},
            "目标层级",
            "千亿级",
        ),
    ],
)
async def test_upsert_cannot_change_level_region_or_tier(
    client: httpx.AsyncClient,
    inline: ImportRunner,
    existing: dict[str, str],
    changes: dict[str, str],
    column: str,
    now: str,
) -> None:
    created = await client.post("/api/v1/enterprises", json=factories.enterprise(1, **existing), headers=ADMIN)
    assert created.status_code == 201
    job = await run_import(client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(1, **changes)]))
    assert outcome(job)["errors"] == [
        {
            "row": 2,
            "column": column,
            "message": f"已存在的记录当前为“{now}”；级别、地区和目标层级须通过名单调整修改",
            "code": "import_roster_change_required",
        }
    ]
    assert job["status"] == "failed"
    assert (await client.get(f"/api/v1/enterprises/{created.json()['id']}", headers=ADMIN)).json() == created.json()


async def test_a_listing_date_after_today_is_a_row_error(client: httpx.AsyncClient, inline: ImportRunner) -> None:
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()
    header = [*ENTERPRISE_HEADER, "纳入名单日期"]
    content = csv_bytes([header, [*enterprise_row(1), "2024-01-31"], [*enterprise_row(2), tomorrow]])
    job = await run_import(client, content, mode="valid_rows")
    assert (job["created"], job["errors"]) == (
        1,
        [{"row": 3, "column": "纳入名单日期", "message": "纳入名单日期不能晚于今天", "code": "listed_on_future"}],
    )
    assert [e["listed_on"] for e in await listing(client, "enterprises")] == ["2024-01-31"]


async def test_xlsx_with_numeric_and_date_cells_imports_projects(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    owner = await client.post("/api/v1/enterprises", json=factories.enterprise(7), headers=ADMIN)
    assert owner.status_code == 201
    header = ["项目名称", "项目代码", "级别", "行政区划代码", "领域", "培育路径", "目标层级", "总投资（亿元）"]
    header += ["阶段", "业主单位统一社会信用代码", "计划开工日期", "签约活动", "牵头部门"]
    changsha: list[object] = ["长沙智能制造产业园", "2024-430104-39-03-000001", "县级", 430104, "工业和信息化"]
    changsha += ["招商引资引进", "亿元级", 12.5, "在建", factories.make_uscc(7), dt.datetime(2024, 5, 1)]
    changsha += ["中非经贸博览会", "industry-it"]
    zhuzhou = ["株洲项目", None, "city", "430200", "agriculture", None, "billion", "30", "谋划", None, "2024/6/1"]
    zhuzhou += [None, "湖南省农业农村厅"]
    content = xlsx_bytes([header, changsha, [None] * 5, zhuzhou])
    job = await run_import(client, content, kind="project", filename="项目.xlsx")
    assert (job["file_format"], outcome(job)) == (
        "xlsx",
        {"status": "succeeded", "total": 2, "processed": 2, "created": 2, "updated": 0, "error_count": 0, "errors": []},
    )
    departments = {
        d["code"]: d["id"] for d in (await client.get("/api/v1/departments?limit=200", headers=ADMIN)).json()["items"]
    }
    projects = await listing(client, "projects")
    keys = (
        "name",
        "project_code",
        "region_code",
        "total_investment",
        "stage",
        "owner_enterprise_id",
        "planned_start_on",
        "signing_event",
        "lead_department_id",
    )
    assert [{k: p[k] for k in keys} for p in projects] == [
        {
            "name": "株洲项目",
            "project_code": None,
            "region_code": "430200",
            "total_investment": "30.0000",
            "stage": "planning",
            "owner_enterprise_id": None,
            "planned_start_on": "2024-06-01",
            "signing_event": None,
            "lead_department_id": departments["agriculture-rural"],
        },
        {
            "name": "长沙智能制造产业园",
            "project_code": "2024-430104-39-03-000001",
            "region_code": "430104",
            "total_investment": "12.5000",
            "stage": "under_construction",
            "owner_enterprise_id": owner.json()["id"],
            "planned_start_on": "2024-05-01",
            "signing_event": "中非经贸博览会",
            "lead_department_id": departments["industry-it"],
        },
    ]


async def test_imported_and_upserted_projects_carry_their_investment_as_their_size(
    client: httpx.AsyncClient, inline: ImportRunner, db_session: async_sessionmaker[AsyncSession]
) -> None:
    """Today's progress reads a project's size from its entity row: a re-import must move it too."""
    header = ["项目名称", "项目代码", "级别", "行政区划代码", "领域", "培育路径", "目标层级", "总投资（亿元）"]
    code = "2024-430104-39-03-000009"

    def project_file(investment: str) -> bytes:
        row = ["长沙导入项目", code, "县级", "430104", "工业和信息化", "招商引资引进", "亿元级", investment]
        return csv_bytes([header, row])

    async def size_and_progress() -> tuple[Any, ...]:
        async with db_session() as session:
            size = (
                await session.execute(
                    text(
                        "SELECT e.size_metric, e.size_year, e.size_value FROM registry.entity AS e"
                        " JOIN registry.project AS p ON p.entity_id = e.id WHERE p.project_code = :code"
                    ),
                    {"code": code},
                )
            ).one()
        response = await client.get("/api/v1/progress", headers=ADMIN)
        assert response.status_code == 200, response.text
        (tier,) = [
            (t["listed"], t["achieved"])
            for t in response.json()["tiers"]
            if (t["kind"], t["level"], t["tier"]) == ("project", "county", "hundred_million")
        ]
        return (*size, tier)

    created = await run_import(client, project_file("0.5"), kind="project")
    assert (created["created"], created["errors"]) == (1, [])
    assert await size_and_progress() == ("total_investment", None, Decimal("0.5"), (1, 0))
    updated = await run_import(client, project_file("2"), kind="project")
    assert (updated["created"], updated["updated"], updated["errors"]) == (0, 1, [])
    assert await size_and_progress() == ("total_investment", None, Decimal("2"), (1, 1))


async def test_gb18030_csv_imports_industries_and_upserts_by_name_level_and_region(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    header = ["名称", "级别", "行政区划代码", "领域", "培育路径", "目标层级", "路线图"]
    first = csv_bytes(
        [header, ["工程机械", "省级", "430000", "工业和信息化", "配套协作壮大", "万亿级", "旧路线图"]],
        encoding="gb18030",
    )
    assert (await run_import(client, first, kind="industry"))["created"] == 1
    again = csv_bytes(
        [
            header,
            ["工程机械", "省级", "430000", "工业和信息化", "配套协作壮大", "万亿级", "新路线图"],
            ["长沙工程机械", "市级", "430100", "industry_it", "“五好”园区聚集", "千亿级", ""],
        ],
        encoding="gb18030",
    )
    job = await run_import(client, again, kind="industry")
    assert outcome(job) == {
        "status": "succeeded",
        "total": 2,
        "processed": 2,
        "created": 1,
        "updated": 1,
        "error_count": 0,
        "errors": [],
    }
    industries = await listing(client, "industries")
    assert [(i["name"], i["level"], i["pathway"], i["roadmap"], i["version"]) for i in industries] == [
        ("工程机械", "province", "supporting_collaboration", "新路线图", 2),
        ("长沙工程机械", "city", "park_clustering", "", 1),
    ]


async def test_progress_is_saved_after_every_batch(
    client: httpx.AsyncClient, inline: ImportRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.registry.imports import repository

    saved: list[tuple[int, int, int, int]] = []
    original = repository.ImportRepository.save_job

    async def recording(self: repository.ImportRepository, job_id: uuid.UUID, values: dict[str, Any]) -> None:
        if "processed" in values:
            saved.append((values["total"], values["processed"], values["created"], values["error_count"]))
        await original(self, job_id, values)

    monkeypatch.setattr(repository.ImportRepository, "save_job", recording)
    monkeypatch.setattr(inline, "batch_size", 2)
    rows = [enterprise_row(1), enterprise_row(2, 领域="x"), enterprise_row(3), enterprise_row(4), enterprise_row(5)]
    job = await run_import(client, csv_bytes([ENTERPRISE_HEADER, *rows]), mode="valid_rows")
    assert (job["total"], job["processed"], job["created"], job["error_count"]) == (5, 5, 4, 1)
    assert saved == [(0, 0, 0, 0), (5, 0, 0, 0), (5, 2, 1, 1), (5, 4, 3, 1), (5, 5, 4, 1), (5, 5, 4, 1)]


@pytest.mark.parametrize("mode", ["all_or_nothing", "valid_rows"])
async def test_a_bad_row_deep_in_a_file_read_in_many_batches_is_reported_by_its_row_number(
    client: httpx.AsyncClient, inline: ImportRunner, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setattr(inline, "batch_size", 7)
    rows: list[list[str]] = []
    for n in range(1, 61):
        rows.append(enterprise_row(n, 领域="制造业") if n == 53 else enterprise_row(n))
        if n % 10 == 0:
            rows.append([""] * len(ENTERPRISE_HEADER))  # blank: skipped, but keeps its row number
    job = await run_import(client, csv_bytes([ENTERPRISE_HEADER, *rows]), mode=mode)
    good = mode == "valid_rows"
    assert outcome(job) == {
        "status": "succeeded" if good else "failed",
        "total": 60,
        "processed": 60,
        "created": 59 if good else 0,
        "updated": 0,
        "error_count": 1,
        "errors": [
            {
                "row": 59,  # the header, 52 rows and the 5 blank rows before it
                "column": "领域",
                "message": "“制造业”不是有效的领域，可选：农林牧渔、工业和信息化、建筑业、服务业",
                "code": "enum",
            }
        ],
    }
    page = (await client.get("/api/v1/enterprises?limit=200", headers=ADMIN)).json()["items"]
    assert len(page) == (59 if good else 0)


async def test_a_resumed_job_whose_committed_rows_end_a_batch_goes_on_with_the_next(
    client: httpx.AsyncClient,
    inline: ImportRunner,
    db_session: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inline, "batch_size", 2)
    for n in (1, 2):  # what the job's first batch committed before the process stopped
        body = factories.enterprise(n, name=f"湖南导入企业{n}号有限公司", labels=["little_giant", "leading"])
        assert (await client.post("/api/v1/enterprises", json=body, headers=ADMIN)).status_code == 201
    rows = [*(enterprise_row(n) for n in (1, 2, 3, 4)), enterprise_row(5, 统一社会信用代码=factories.make_uscc(2))]
    job_id = await stored_job(db_session, csv_bytes([ENTERPRISE_HEADER, *rows]), "valid_rows", "running", 5, 2)
    await inline.run_once(inline.clock())
    job = (await client.get(f"/api/v1/imports/{job_id}", headers=ADMIN)).json()
    assert outcome(job) == {
        "status": "succeeded",
        "total": 5,
        "processed": 5,
        "created": 4,
        "updated": 0,
        "error_count": 1,
        "errors": [
            {
                "row": 6,
                "column": "统一社会信用代码",
                "message": "与第 3 行的统一社会信用代码重复",
                "code": "import_duplicate_in_file",
            }
        ],
    }
    assert [e["uscc"] for e in await listing(client, "enterprises")] == [factories.make_uscc(n) for n in (1, 2, 3, 4)]


async def test_city_operator_rows_outside_its_region_are_errors(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    city = auth("city", "430100")
    content = csv_bytes(
        [
            ENTERPRISE_HEADER,
            enterprise_row(1),
            enterprise_row(2, 级别="县级", 行政区划代码="430104", 目标层级="十亿级"),
            enterprise_row(3, 行政区划代码="430200"),
            enterprise_row(4, 级别="省级", 行政区划代码="430000", 目标层级="千亿级"),
        ]
    )
    job = await run_import(client, content, mode="valid_rows", headers=city)
    assert outcome(job) == {
        "status": "succeeded",
        "total": 4,
        "processed": 4,
        "created": 2,
        "updated": 0,
        "error_count": 2,
        "errors": [
            {
                "row": 4,
                "column": "行政区划代码",
                "message": "目标地区不在您的辖区范围内",
                "code": "region_out_of_scope",
            },
            {
                "row": 5,
                "column": "行政区划代码",
                "message": "目标地区不在您的辖区范围内",
                "code": "region_out_of_scope",
            },
        ],
    }
    assert [e["region_code"] for e in await listing(client, "enterprises")] == ["430100", "430104"]


async def test_city_operator_cannot_update_a_record_of_another_city(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    other = await client.post("/api/v1/enterprises", json=factories.enterprise(1, region_code="430200"), headers=ADMIN)
    assert other.status_code == 201
    job = await run_import(client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(1)]), headers=auth("city", "430100"))
    assert outcome(job)["errors"] == [
        {
            "row": 2,
            "column": "行政区划代码",
            "message": "已存在的记录：目标地区不在您的辖区范围内",
            "code": "region_out_of_scope",
        }
    ]


async def test_department_writes_only_the_domains_it_leads(client: httpx.AsyncClient, inline: ImportRunner) -> None:
    department = auth("department", "430000", "agriculture-rural")
    content = csv_bytes([ENTERPRISE_HEADER, enterprise_row(1, 领域="农林牧渔"), enterprise_row(2)])
    job = await run_import(client, content, mode="valid_rows", headers=department)
    assert (job["created"], job["errors"]) == (
        1,
        [{"row": 3, "column": "领域", "message": "部门只能修改其牵头领域的对象", "code": "domain_not_led"}],
    )


@pytest.mark.parametrize("role", ["viewer", "service"])
async def test_read_only_roles_cannot_upload(client: httpx.AsyncClient, inline: ImportRunner, role: str) -> None:
    response = await upload(client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(1)]), headers=auth(role))
    assert response.status_code == 403
    assert response.json()["code"] == "role_read_only"


async def test_empty_and_legacy_xls_uploads_are_422(client: httpx.AsyncClient, inline: ImportRunner) -> None:
    empty = await upload(client, b"")
    assert (empty.status_code, empty.json()["code"]) == (422, "import_file_empty")
    xls = await upload(client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, filename="旧.xls")
    assert (xls.status_code, xls.json()["code"]) == (422, "import_format_unsupported")
    bad_kind = await upload(client, csv_bytes([ENTERPRISE_HEADER]), kind="park")
    assert bad_kind.status_code == 422


async def test_unknown_and_missing_columns_fail_the_file_in_any_mode(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    content = csv_bytes([["名称", "level", "行政区划代码", "领域", "目标层级", "备注", "Name"], ["甲", "city"]])
    job = await run_import(client, content, mode="valid_rows")
    assert outcome(job) == {
        "status": "failed",
        "total": 0,
        "processed": 0,
        "created": 0,
        "updated": 0,
        "error_count": 3,
        "errors": [
            {"row": 1, "column": "备注", "message": "无法识别的列“备注”", "code": "import_column_unknown"},
            {"row": 1, "column": "Name", "message": "列“Name”与“名称”重复", "code": "import_column_duplicate"},
            {
                "row": 1,
                "column": "统一社会信用代码",
                "message": "缺少必填列“统一社会信用代码”",
                "code": "import_column_missing",
            },
        ],
    }


async def test_a_file_over_the_row_limit_is_refused(
    client: httpx.AsyncClient, inline: ImportRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inline, "max_rows", 2)
    job = await run_import(client, csv_bytes([ENTERPRISE_HEADER, *(enterprise_row(n) for n in (1, 2, 3))]))
    assert outcome(job)["errors"] == [
        {
            "row": 0,
            "column": "",
            "message": "文件有 3 个数据行，超过上限 2 行，请拆分后导入",
            "code": "import_too_many_rows",
        }
    ]
    assert await listing(client, "enterprises") == []


async def test_stored_errors_are_capped_but_counted(
    client: httpx.AsyncClient, inline: ImportRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.registry.imports import pipeline

    monkeypatch.setattr(pipeline, "MAX_STORED_ERRORS", 3)
    rows = [enterprise_row(n, 级别="国家级") for n in range(1, 6)]
    job = await run_import(client, csv_bytes([ENTERPRISE_HEADER, *rows]))
    assert (job["error_count"], [e["row"] for e in job["errors"]]) == (5, [2, 3, 4])


async def test_unknown_department_and_owner_are_row_errors(client: httpx.AsyncClient, inline: ImportRunner) -> None:
    header = ["名称", "级别", "行政区划代码", "领域", "目标层级", "总投资", "牵头部门", "业主单位统一社会信用代码"]
    content = csv_bytes(
        [
            header,
            ["项目一", "县级", "430104", "服务业", "亿元级", "1", "不存在的厅", ""],
            ["项目二", "县级", "430104", "服务业", "亿元级", "1", "", factories.make_uscc(99)],
        ]
    )
    job = await run_import(client, content, kind="project")
    assert outcome(job)["errors"] == [
        {"row": 2, "column": "牵头部门", "message": "牵头部门“不存在的厅”不存在", "code": "department_unknown"},
        {
            "row": 3,
            "column": "业主单位统一社会信用代码",
            "message": f"统一社会信用代码为 {factories.make_uscc(99)} 的业主企业不存在",
            "code": "enterprise_unknown",
        },
    ]


async def test_jobs_are_visible_to_their_uploader_and_to_admins_only(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    city = auth("city", "430100")
    other_city = auth("city", "430200")
    mine = await upload(client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(1)]), headers=city)
    theirs = await upload(
        client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(2, 行政区划代码="430200")]), headers=other_city
    )
    assert mine.status_code == theirs.status_code == 202
    assert (await client.get(mine.headers["location"], headers=other_city)).status_code == 404
    own = (await client.get("/api/v1/imports", headers=city)).json()
    assert [j["id"] for j in own["items"]] == [mine.json()["id"]]
    everyone = (await client.get("/api/v1/imports?kind=enterprise&status=succeeded", headers=ADMIN)).json()
    assert {j["id"] for j in everyone["items"]} == {mine.json()["id"], theirs.json()["id"]}
    page = (await client.get("/api/v1/imports?limit=1", headers=ADMIN)).json()
    assert page["items"][0]["id"] == theirs.json()["id"]
    rest = (await client.get(f"/api/v1/imports?limit=1&cursor={page['next_cursor']}", headers=ADMIN)).json()
    assert rest["items"][0]["id"] == mine.json()["id"]


async def test_startup_recovery_runs_pending_jobs_and_resumes_running_valid_rows_jobs(
    client: httpx.AsyncClient, inline: ImportRunner, db_session: async_sessionmaker[AsyncSession]
) -> None:
    committed = await client.post(
        "/api/v1/enterprises",
        json=factories.enterprise(1, name="湖南导入企业1号有限公司", labels=["little_giant", "leading"]),
        headers=ADMIN,
    )
    assert committed.status_code == 201
    resumable = csv_bytes(
        [
            ENTERPRISE_HEADER,
            enterprise_row(1),
            enterprise_row(2),
            enterprise_row(3, 统一社会信用代码=factories.make_uscc(1)),
        ]
    )
    pending = csv_bytes([ENTERPRISE_HEADER, enterprise_row(4)])
    ids = [
        await stored_job(db_session, resumable, "valid_rows", "running", 3, 1),
        await stored_job(db_session, pending, "all_or_nothing", "pending", 0, 0),
    ]
    await inline.run_once(inline.clock())
    resumed, ran = [(await client.get(f"/api/v1/imports/{i}", headers=ADMIN)).json() for i in ids]
    assert outcome(resumed) == {
        "status": "succeeded",
        "total": 3,
        "processed": 3,
        "created": 2,
        "updated": 0,
        "error_count": 1,
        "errors": [
            {
                "row": 4,
                "column": "统一社会信用代码",
                "message": "与第 2 行的统一社会信用代码重复",
                "code": "import_duplicate_in_file",
            }
        ],
    }
    assert (ran["status"], ran["created"]) == ("succeeded", 1)
    assert [e["uscc"] for e in await listing(client, "enterprises")] == [factories.make_uscc(n) for n in (1, 2, 4)]


async def test_upload_on_a_committing_client_runs_in_the_background(
    committing_client: httpx.AsyncClient, committing_registry_app: Any, engine: AsyncEngine
) -> None:
    prefix = f"后台导入{uuid.uuid4().hex[:8]}"
    base = 90_000_000 + uuid.uuid4().int % 1_000_000 * 10
    rows = [enterprise_row(base + n, 名称=f"{prefix}{n}") for n in range(3)]
    response = await upload(committing_client, csv_bytes([ENTERPRISE_HEADER, *rows]), mode="valid_rows")
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    try:
        for _ in range(200):
            job = (await committing_client.get(response.headers["location"], headers=ADMIN)).json()
            if job["status"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.05)
        assert outcome(job) == {
            "status": "succeeded",
            "total": 3,
            "processed": 3,
            "created": 3,
            "updated": 0,
            "error_count": 0,
            "errors": [],
        }
        found = (await committing_client.get(f"/api/v1/enterprises?q={prefix}", headers=ADMIN)).json()["items"]
        assert sorted(e["name"] for e in found) == [f"{prefix}{n}" for n in range(3)]
    finally:
        await committing_registry_app.state.platform.state.imports.wait()
        async with engine.begin() as conn:
            deleted = await conn.execute(
                text("DELETE FROM registry.entity WHERE name LIKE :p RETURNING id::text"), {"p": f"{prefix}%"}
            )
            await conn.execute(
                text("DELETE FROM registry.change_event WHERE resource_id = ANY(:ids)"),
                {"ids": list(deleted.scalars())},
            )
            await conn.execute(text("DELETE FROM registry.import_job WHERE id = CAST(:id AS uuid)"), {"id": job_id})


async def test_a_batch_that_races_a_concurrent_create_is_retried_as_an_update(
    client: httpx.AsyncClient, inline: ImportRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.registry.imports import repository

    raced = await client.post("/api/v1/enterprises", json=factories.enterprise(1, name="先到的"), headers=ADMIN)
    assert raced.status_code == 201
    real = repository.ImportRepository.existing
    calls: list[int] = []

    async def stale_once(self: repository.ImportRepository, spec: Any, keys: Any) -> Any:
        calls.append(len(keys))
        return {} if len(calls) == 1 else await real(self, spec, keys)  # the first look missed the API's insert

    monkeypatch.setattr(repository.ImportRepository, "existing", stale_once)
    job = await run_import(client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(1), enterprise_row(2)]))
    assert (calls, job["status"], job["created"], job["updated"], job["errors"]) == ([2, 2], "succeeded", 1, 1, [])
    names = [e["name"] for e in await listing(client, "enterprises")]
    assert names == ["湖南导入企业1号有限公司", "湖南导入企业2号有限公司"]


async def test_an_unexpected_error_fails_the_job_and_writes_nothing(
    client: httpx.AsyncClient, inline: ImportRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.registry.imports import writer

    async def broken(*args: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writer.BulkWriter, "update", broken)
    job = await run_import(client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(1)]))
    assert outcome(job) == {
        "status": "failed",
        "total": 1,
        "processed": 0,
        "created": 0,
        "updated": 0,
        "error_count": 1,
        "errors": [
            {
                "row": 0,
                "column": "",
                "message": "导入过程中发生内部错误，已停止；请稍后重新导入（未写入任何数据）",
                "code": "import_internal_error",
            }
        ],
    }
    assert await listing(client, "enterprises") == []


async def test_a_job_leased_by_a_live_process_waits_until_its_lease_expires(
    client: httpx.AsyncClient, inline: ImportRunner, db_session: async_sessionmaker[AsyncSession]
) -> None:
    job_id = await stored_job(
        db_session, csv_bytes([ENTERPRISE_HEADER, enterprise_row(7)]), "valid_rows", "running", 1, 0
    )
    now = inline.clock()
    async with db_session.begin() as session:
        await session.execute(
            text(
                "UPDATE registry.import_job SET lease_owner = 'other-process', lease_expires_at = :until WHERE id = :id"
            ),
            {"until": now + dt.timedelta(seconds=30), "id": job_id},
        )
    assert await inline.run_once(now) == 0
    assert (await client.get(f"/api/v1/imports/{job_id}", headers=ADMIN)).json()["status"] == "running"
    assert await inline.run_once(now + dt.timedelta(seconds=31)) == 1
    job = (await client.get(f"/api/v1/imports/{job_id}", headers=ADMIN)).json()
    assert (job["status"], job["created"]) == ("succeeded", 1)
    async with db_session.begin() as session:
        lease = (
            await session.execute(
                text("SELECT lease_owner, lease_expires_at FROM registry.import_job WHERE id = :id"), {"id": job_id}
            )
        ).one()
    assert tuple(lease) == (None, None)
