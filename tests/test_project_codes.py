"""A project code's region and time parts (`entities.rules.project_code`): a real GB/T 2260 region
(Hunan's from the region table, elsewhere a real province's prefix) and a plausible year, refused alike
by POST, PATCH and the bulk import."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from services.registry.entities import rules
from services.registry.imports.runner import ImportRunner
from tests import factories
from tests.conftest import ADMIN
from tests.test_imports import csv_bytes, run_import

TODAY = dt.date(2026, 12, 1)
REGION = "project_code_region_unknown"
YEAR = "project_code_year_implausible"


@pytest.mark.parametrize(
    ("code", "hunan_known", "expected"),
    [
        ("2020-430100-39-03-012345", True, None),  # first layout: the year
        ("2014-430100-39-03-012345", True, None),
        ("2011-430100-39-03-012345", True, None),  # second layout: 2020-11
        ("2411-130202-89-01-637015", False, None),  # 河北, registered elsewhere
        ("2612-810000-89-01-637015", False, None),  # this month; 香港
        ("2026-430100-39-03-012345", True, None),
        ("2024-431121-39-03-012345", False, REGION),  # not one of Hunan's codes in the region table
        ("2024-990100-39-03-012345", False, REGION),
        ("2024-160100-39-03-012345", False, REGION),
        ("2013-430100-39-03-012345", True, YEAR),
        ("2010-430100-39-03-012345", True, YEAR),  # 2020-10 precedes the second layout; 2010 the first
        ("2701-430100-39-03-012345", True, YEAR),  # next month
        ("2030-430100-39-03-012345", True, YEAR),
    ],
)
def test_project_code_region_and_year(code: str, hunan_known: bool, expected: str | None) -> None:
    error = rules.project_code(code, today=TODAY, region_exists=hunan_known)
    assert (None if error is None else (error.field, error.code)) == (
        None if expected is None else ("project_code", expected)
    )


async def test_post_with_an_unknown_hunan_region_or_a_future_year_is_422(client: httpx.AsyncClient) -> None:
    this_year = dt.date.today().year
    for n, code, expected in (
        (1, "2024-431199-39-03-000001", REGION),
        (2, f"{this_year + 1}-430104-39-03-000002", YEAR),
        (3, "2013-430104-39-03-000003", YEAR),
    ):
        response = await client.post("/api/v1/projects", json=factories.project(n, project_code=code), headers=ADMIN)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == expected
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("project_code", expected)]
    elsewhere = await client.post(
        "/api/v1/projects", json=factories.project(4, project_code="2411-130202-89-01-637015"), headers=ADMIN
    )
    assert elsewhere.status_code == 201, elsewhere.text


async def test_patch_to_a_code_of_no_province_is_422(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/projects", json=factories.project(5), headers=ADMIN)
    response = await client.patch(
        f"/api/v1/projects/{created.json()['id']}",
        json={"project_code": "2024-990104-39-03-000005"},
        headers=ADMIN | {"If-Match": '"1"'},
    )
    assert (response.status_code, response.json()["code"]) == (422, REGION)


async def test_import_refuses_the_code_with_the_apis_code(client: httpx.AsyncClient, inline: ImportRunner) -> None:
    header = ["项目名称", "项目代码", "级别", "行政区划代码", "领域", "培育路径", "目标层级", "总投资（亿元）"]
    row = ["导入项目", "2024-431199-39-03-000006", "县级", "430104", "工业和信息化", "招商引资引进", "亿元级", "3"]
    job = await run_import(client, csv_bytes([header, row]), kind="project")
    assert job["status"] == "failed"
    assert [(e["row"], e["column"], e["code"]) for e in job["errors"]] == [(2, "项目代码", REGION)]


async def test_openapi_documents_the_code_rule(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
    for name in ("ProjectCreate", "ProjectUpdate"):
        description = schema[name]["properties"]["project_code"]["description"]
        assert REGION in description and YEAR in description and "2014" in description
