"""The entity rules (`entities.rules`): each one alone, and the API and the bulk import refusing the
same record with the same field, code and message, because both call them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from services.registry.entities import rules
from services.registry.imports.runner import ImportRunner
from shared.errors import FieldError
from shared.schemas.enums import EntityKind, Level, Pathway, Tier
from tests import factories
from tests.conftest import ADMIN
from tests.test_imports import ENTERPRISE_HEADER, csv_bytes, enterprise_row, run_import

TODAY = dt.date(2024, 7, 1)


def test_each_rule_passes_a_good_value_and_names_the_field_of_a_bad_one() -> None:
    assert rules.level_region(Level.city, "430100") is None
    assert rules.level_region(Level.city, "430104", field="to_region_code") == FieldError(
        "to_region_code", "级别为 city 时行政区划应为市州代码（如 430100）", "level_region_mismatch"
    )
    assert rules.target_tier(EntityKind.enterprise, Level.city, Tier.ten_billion) is None
    assert rules.target_tier(EntityKind.enterprise, Level.city, Tier.trillion) == FieldError(
        "target_tier", "市级企业的目标层级只能是：ten_billion（百亿级）", "tier_not_allowed"
    )
    assert rules.pathway(EntityKind.project, Pathway.spin_off) is None
    assert rules.pathway(EntityKind.project, None) is None
    assert rules.pathway(EntityKind.enterprise, Pathway.spin_off) == FieldError(
        "pathway", "该类对象的培育路径只能是：consolidate, attract, nurture, merge", "pathway_not_allowed"
    )
    assert rules.listed_on(TODAY, TODAY) is None
    assert rules.listed_on(TODAY + dt.timedelta(days=1), TODAY) == FieldError(
        "listed_on", "纳入名单日期不能晚于今天", "listed_on_future"
    )
    assert rules.region_known("430100", exists=True) is None
    assert rules.region_known("439900", exists=False, field="to_region_code") == FieldError(
        "to_region_code", "439900 不是湖南省的有效行政区划代码", "region_unknown"
    )
    assert rules.department_known(exists=True) is None
    assert rules.department_known(exists=False) == FieldError(
        "lead_department_id", "牵头部门不存在", "department_unknown"
    )
    assert rules.department_known(exists=False, named="某厅") == FieldError(
        "lead_department_id", "牵头部门“某厅”不存在", "department_unknown"
    )
    assert rules.owner_known(exists=False) == FieldError(
        "owner_enterprise_id", "项目业主企业不存在", "enterprise_unknown"
    )
    assert rules.owner_known(exists=False, uscc="X") == FieldError(
        "owner_enterprise_id", "统一社会信用代码为 X 的业主企业不存在", "enterprise_unknown"
    )


@pytest.mark.parametrize(
    ("record", "error"),
    [
        ({}, None),
        ({"planned_start_on": TODAY, "actual_completion_on": TODAY - dt.timedelta(days=9)}, None),
        ({"planned_start_on": TODAY, "planned_completion_on": TODAY}, None),
        (
            {"actual_start_on": TODAY, "actual_completion_on": TODAY - dt.timedelta(days=1)},
            FieldError("actual_completion_on", "实际竣工日期不能早于实际开工日期", "project_dates_order"),
        ),
        (
            {
                "planned_start_on": TODAY,
                "planned_completion_on": TODAY - dt.timedelta(days=1),
                "actual_start_on": TODAY,
                "actual_completion_on": TODAY - dt.timedelta(days=1),
            },
            FieldError("planned_completion_on", "计划竣工日期不能早于计划开工日期", "project_dates_order"),
        ),
    ],
)
def test_project_dates_reports_the_first_completion_before_its_start(
    record: dict[str, Any], error: FieldError | None
) -> None:
    assert rules.project_dates(record) == error


TOMORROW = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()


@pytest.mark.parametrize(
    ("body", "cells", "field", "column"),
    [
        ({"region_code": "439900"}, {"行政区划代码": "439900"}, "region_code", "行政区划代码"),
        ({"target_tier": "trillion"}, {"目标层级": "万亿级"}, "target_tier", "目标层级"),
        ({"region_code": "430104"}, {"行政区划代码": "430104"}, "region_code", "行政区划代码"),
        ({"pathway": "spin_off"}, {"培育路径": "优质企业裂变"}, "pathway", "培育路径"),
        ({"listed_on": TOMORROW}, {"纳入名单日期": TOMORROW}, "listed_on", "纳入名单日期"),
    ],
    ids=["region_unknown", "tier_not_allowed", "level_region_mismatch", "pathway_not_allowed", "listed_on_future"],
)
async def test_the_api_and_the_import_refuse_a_record_alike(
    client: httpx.AsyncClient,
    inline: ImportRunner,
    body: dict[str, str],
    cells: dict[str, str],
    field: str,
    column: str,
) -> None:
    response = await client.post("/api/v1/enterprises", json=factories.enterprise(1, **body), headers=ADMIN)
    assert response.status_code == 422, response.text
    (api_error,) = response.json()["errors"]
    header = [*ENTERPRISE_HEADER, *(c for c in cells if c not in ENTERPRISE_HEADER)]
    row = enterprise_row(1, **cells) + [cells[c] for c in header[len(ENTERPRISE_HEADER) :]]
    job = await run_import(client, csv_bytes([header, row]))
    (row_error,) = job["errors"]
    assert api_error["field"] == field
    assert row_error == {"row": 2, "column": column, "message": api_error["message"], "code": api_error["code"]}


async def test_an_import_may_not_put_a_stored_start_after_the_completion_it_sends(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    """The file sends the completion date alone: it is checked against the start date already stored,
    as a PATCH of that date alone is, instead of reaching the database's check constraint."""
    created = await client.post(
        "/api/v1/projects", json=factories.project(1, planned_start_on="2024-05-01"), headers=ADMIN
    )
    assert created.status_code == 201, created.text
    project = created.json()
    patched = await client.patch(
        f"/api/v1/projects/{project['id']}",
        json={"planned_completion_on": "2024-04-01"},
        headers=ADMIN | {"If-Match": '"1"'},
    )
    assert patched.status_code == 422
    assert patched.json()["errors"] == [
        {"field": "planned_completion_on", "message": "计划竣工日期不能早于计划开工日期", "code": "project_dates_order"}
    ]
    header = ["项目名称", "项目代码", "级别", "行政区划代码", "领域", "目标层级", "总投资（亿元）", "计划竣工日期"]
    row = [project["name"], project["project_code"], "县级", "430104", "工业和信息化", "亿元级", "12.5", "2024-04-01"]
    job = await run_import(client, csv_bytes([header, row]), kind="project", mode="valid_rows")
    assert (job["status"], job["updated"], job["errors"]) == (
        "succeeded",
        0,
        [
            {
                "row": 2,
                "column": "计划竣工日期",
                "message": "计划竣工日期不能早于计划开工日期",
                "code": "project_dates_order",
            }
        ],
    )
    assert (await client.get(f"/api/v1/projects/{project['id']}", headers=ADMIN)).json() == project
