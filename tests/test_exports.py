"""Exports of the filtered lists as CSV and XLSX, and the round trip back through an import."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import quote

import httpx
import openpyxl
import pytest

from services.registry.imports.runner import ImportRunner
from tests import factories
from tests.conftest import ADMIN, auth
from tests.test_imports import run_import

ENTERPRISE_COLUMNS = [
    "ID",
    "名称",
    "统一社会信用代码",
    "级别",
    "行政区划代码",
    "地区",
    "领域",
    "培育路径",
    "目标层级",
    "牵头部门",
    "标签",
    "产业链",
    "园区",
    "责任人",
    "纳入名单日期",
    "名单状态",
    "更新时间",
]


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/{path}", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def read_csv(response: httpx.Response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def department_id(client: httpx.AsyncClient, code: str) -> str:
    items = (await client.get("/api/v1/departments?limit=200", headers=ADMIN)).json()["items"]
    return str(next(d["id"] for d in items if d["code"] == code))


async def test_enterprise_csv_has_chinese_headers_labels_and_an_rfc5987_filename(client: httpx.AsyncClient) -> None:
    dept = await department_id(client, "industry-it")
    made = await create(
        client,
        "enterprises",
        factories.enterprise(1, labels=["chain_master", "top500"], lead_department_id=dept, listed_on="2024-03-01"),
    )
    response = await client.get("/api/v1/exports/enterprises?format=csv", headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="enterprises-')
    assert f"filename*=UTF-8''{quote('企业名单-')}" in disposition
    assert disposition.endswith(".csv")
    header, *rows = read_csv(response)
    assert header == ENTERPRISE_COLUMNS
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row.pop("更新时间").endswith("+08:00")
    assert row == {
        "ID": made["id"],
        "名称": "湖南测试企业1号有限公司",
        "统一社会信用代码": factories.make_uscc(1),
        "级别": "市级",
        "行政区划代码": "430100",
        "地区": "长沙市",
        "领域": "工业和信息化",
        "培育路径": "扶持壮大培育",
        "目标层级": "百亿级",
        "牵头部门": "湖南省工业和信息化厅",
        "标签": "链主、“三类500强”",
        "产业链": "",
        "园区": "",
        "责任人": "",
        "纳入名单日期": "2024-03-01",
        "名单状态": "在册",
    }


async def test_projects_export_exact_amounts_stage_labels_and_owner_uscc(client: httpx.AsyncClient) -> None:
    owner = await create(client, "enterprises", factories.enterprise(5))
    await create(
        client,
        "projects",
        factories.project(
            total_investment="123456789012.3456",
            stage="in_operation",
            owner_enterprise_id=owner["id"],
            actual_start_on="2024-01-02",
        ),
    )
    header, row = read_csv(await client.get("/api/v1/exports/projects", headers=ADMIN))
    got = dict(zip(header, row, strict=True))
    assert {
        k: got[k] for k in ("总投资（亿元）", "阶段", "业主单位统一社会信用代码", "实际开工日期", "计划开工日期")
    } == {
        "总投资（亿元）": "123456789012.3456",
        "阶段": "投产运营",
        "业主单位统一社会信用代码": factories.make_uscc(5),
        "实际开工日期": "2024-01-02",
        "计划开工日期": "",
    }


async def test_export_applies_the_list_filters_and_the_callers_region_scope(client: httpx.AsyncClient) -> None:
    await create(client, "enterprises", factories.enterprise(1, labels=["leading"]))
    await create(client, "enterprises", factories.enterprise(2, labels=[]))
    await create(client, "enterprises", factories.enterprise(3, region_code="430200", labels=["leading"]))

    async def names(query: str, headers: dict[str, str]) -> list[str]:
        response = await client.get(f"/api/v1/exports/enterprises?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [row[1] for row in read_csv(response)[1:]]

    assert await names("label=leading&sort=name", ADMIN) == ["湖南测试企业1号有限公司", "湖南测试企业3号有限公司"]
    assert await names("sort=name", auth("viewer", "430100")) == ["湖南测试企业1号有限公司", "湖南测试企业2号有限公司"]
    assert await names("region=430200", auth("city", "430100")) == []


async def test_export_streams_every_row_once_across_cursor_pages(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.registry.imports import exports

    monkeypatch.setattr(exports, "PAGE_ROWS", 2)
    for n in range(1, 6):
        await create(client, "enterprises", factories.enterprise(n))
    rows = read_csv(await client.get("/api/v1/exports/enterprises?sort=-name", headers=ADMIN))[1:]
    assert [r[1] for r in rows] == [f"湖南测试企业{n}号有限公司" for n in (5, 4, 3, 2, 1)]


async def test_xlsx_export_holds_labels_numbers_and_dates(client: httpx.AsyncClient) -> None:
    await create(client, "projects", factories.project(total_investment="12.5", planned_start_on="2024-05-01"))
    response = await client.get("/api/v1/exports/projects?format=xlsx", headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''" + quote("项目名单-") in response.headers["content-disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = workbook.worksheets[0]
    assert sheet.title == "项目名单"
    header, row = list(sheet.iter_rows(values_only=True))
    got = dict(zip(header, row, strict=True))
    assert (got["名称"], got["级别"], got["目标层级"], got["总投资（亿元）"], got["计划开工日期"]) == (
        "测试项目1",
        "县级",
        "亿元级",
        12.5,
        dt.datetime(2024, 5, 1),
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=10", "limit"), ("cursor=abc", "cursor"), ("format=pdf", "format"), ("sort=uscc", "sort")],
)
async def test_paging_parameters_unknown_formats_and_sorts_are_422(
    client: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await client.get(f"/api/v1/exports/enterprises?{query}", headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


async def some_links(client: httpx.AsyncClient) -> dict[str, list[str]]:
    """Two chains, a park and two persons (one of them sharing a name with a third), to link records to."""
    chains = (await client.get("/api/v1/chains", params={"limit": 2}, headers=ADMIN)).json()["items"]
    park = await create(client, "parks", {"name": "长沙经开区", "grade": "national", "region_code": "430100"})
    persons = [
        await create(client, "persons", {"name": name, "region_code": region})
        for name, region in (("王五", "430100"), ("李四", "430100"), ("李四", "430104"))
    ]
    return {
        "chain_ids": [c["id"] for c in chains],
        "park_ids": [park["id"]],
        "person_ids": [persons[0]["id"], persons[1]["id"]],
    }


def comparable(item: dict[str, Any]) -> dict[str, Any]:
    volatile = {"id", "created_at", "updated_at", "version"}
    return {k: v for k, v in item.items() if k not in volatile}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
async def test_an_export_imports_back_into_an_empty_list_as_the_same_records(
    client: httpx.AsyncClient, inline: ImportRunner, file_format: str
) -> None:
    dept = await department_id(client, "development-reform")
    links = await some_links(client)
    bodies = {
        "industries": [
            factories.industry(roadmap="路线图：2025 年", task_book="任务书"),
            factories.industry(name="长沙工程机械", level="city", region_code="430100", target_tier="hundred_billion"),
        ],
        "enterprises": [
            factories.enterprise(1, labels=["little_giant", "single_champion"], listed_on="2023-12-31") | links,
            factories.enterprise(2, pathway=None, labels=[], domain="services", lead_department_id=dept),
        ],
        "projects": [
            factories.project(1, total_investment="0.0001", stage="signed", signing_event="中非经贸博览会") | links,
            factories.project(2, project_code=None, planned_start_on="2024-01-01", planned_completion_on="2026-06-30"),
        ],
    }
    for path, kind in (("industries", "industry"), ("enterprises", "enterprise"), ("projects", "project")):
        for body in bodies[path]:
            await create(client, path, body)
        before = (await client.get(f"/api/v1/{path}?sort=name", headers=ADMIN)).json()["items"]
        exported = await client.get(f"/api/v1/exports/{path}?format={file_format}", headers=ADMIN)
        assert exported.status_code == 200
        for item in before:
            deleted = await client.delete(f"/api/v1/{path}/{item['id']}", headers=ADMIN | {"If-Match": '"1"'})
            assert deleted.status_code == 204, deleted.text
        assert (await client.get(f"/api/v1/{path}", headers=ADMIN)).json()["items"] == []
        job = await run_import(client, exported.content, kind=kind, filename=f"export.{file_format}")
        assert (job["status"], job["created"], job["errors"]) == ("succeeded", 2, [])
        after = (await client.get(f"/api/v1/{path}?sort=name", headers=ADMIN)).json()["items"]
        assert [comparable(i) for i in after] == [comparable(i) for i in before]


async def test_formula_like_names_are_exported_as_text_and_import_back_unchanged(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    made = await create(client, "enterprises", factories.enterprise(1, name='=HYPERLINK("http://x","点击")'))
    as_csv = await client.get("/api/v1/exports/enterprises", headers=ADMIN)
    assert read_csv(as_csv)[1][1] == "'" + made["name"]
    as_xlsx = await client.get("/api/v1/exports/enterprises?format=xlsx", headers=ADMIN)
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).worksheets[0]
    assert (sheet["B2"].value, sheet["B2"].data_type) == (made["name"], "s")
    deleted = await client.delete(f"/api/v1/enterprises/{made['id']}", headers=ADMIN | {"If-Match": '"1"'})
    assert deleted.status_code == 204
    for content in (as_csv.content, as_xlsx.content):
        job = await run_import(client, content, filename="x")
        assert (job["status"], job["errors"]) == ("succeeded", [])
        names = [e["name"] for e in (await client.get("/api/v1/enterprises", headers=ADMIN)).json()["items"]]
        assert names == [made["name"]]
