"""Links in imports and exports: chains, parks, responsible persons and an industry's parent, by name or id."""

from __future__ import annotations

from typing import Any

import httpx

from services.registry.imports.runner import ImportRunner
from tests import factories
from tests.conftest import ADMIN, auth
from tests.test_exports import create, read_csv
from tests.test_imports import csv_bytes, enterprise_row, run_import

HEADER = ["名称", "统一社会信用代码", "级别", "行政区划代码", "领域", "培育路径", "目标层级", "标签"]
INDUSTRY_HEADER = ["名称", "级别", "行政区划代码", "领域", "培育路径", "目标层级", "上级产业"]


async def chain(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    return await create(client, "chains", {"name": name, "group_name": "测试"})


async def reference(client: httpx.AsyncClient) -> dict[str, Any]:
    """Two chains, a park in 长沙 and one in 株洲, a person named once and a name two persons share."""
    return {
        "chains": [await chain(client, "测试链甲"), await chain(client, "测试链乙")],
        "park": await create(client, "parks", {"name": "长沙经开区", "grade": "national", "region_code": "430100"}),
        "zhuzhou_park": await create(
            client, "parks", {"name": "株洲高新区", "grade": "national", "region_code": "430200"}
        ),
        "wang": await create(client, "persons", {"name": "王五", "region_code": "430100"}),
        "li": [await create(client, "persons", {"name": "李四", "region_code": r}) for r in ("430100", "430104")],
    }


def enterprise_file(*rows: list[str], extra: list[str]) -> bytes:
    return csv_bytes([[*HEADER, *extra], *rows])


async def test_an_import_links_records_named_by_name_or_id(client: httpx.AsyncClient, inline: ImportRunner) -> None:
    ref = await reference(client)
    rows = [
        [*enterprise_row(1), "测试链甲；测试链乙", "长沙经开区", f"王五、{ref['li'][1]['id']}"],
        [*enterprise_row(2), "", "", ""],
    ]
    job = await run_import(client, enterprise_file(*rows, extra=["产业链", "园区", "责任人"]))
    assert (job["status"], job["created"], job["errors"]) == ("succeeded", 2, [])
    page = (await client.get("/api/v1/enterprises", params={"sort": "name"}, headers=ADMIN)).json()["items"]
    first, second = page
    assert sorted(first["chain_ids"]) == sorted(c["id"] for c in ref["chains"])
    assert first["park_ids"] == [ref["park"]["id"]]
    assert sorted(p["id"] for p in first["persons"]) == sorted([ref["wang"]["id"], ref["li"][1]["id"]])
    assert (second["chain_ids"], second["park_ids"], second["persons"]) == ([], [], [])
    # the feed and the audit log carry the persons the record now has
    events = (await client.get("/api/v1/events", params={"limit": 1000}, headers=ADMIN)).json()["items"]
    [created] = [e for e in events if e["resource_id"] == first["id"]]
    assert sorted(created["payload"]["person_ids"]) == sorted([ref["wang"]["id"], ref["li"][1]["id"]])


async def test_unknown_ambiguous_and_out_of_scope_names_are_row_errors(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    await reference(client)
    rows = [
        [*enterprise_row(1), "不存在的链", "", ""],
        [*enterprise_row(2), "", "", "李四"],
        [*enterprise_row(3), "", "株洲高新区", ""],
    ]
    job = await run_import(
        client,
        enterprise_file(*rows, extra=["产业链", "园区", "责任人"]),
        mode="valid_rows",
        headers=auth("city", "430100"),
    )
    assert (job["created"], [(e["row"], e["column"], e["code"]) for e in job["errors"]]) == (
        0,
        [(2, "产业链", "chain_unknown"), (3, "责任人", "import_link_ambiguous"), (4, "园区", "park_unknown")],
    )
    assert job["errors"][1]["message"] == "有 2 个名为“李四”的责任人，请填写其 ID"


async def test_an_industry_names_its_parent_by_name(client: httpx.AsyncClient, inline: ImportRunner) -> None:
    province = await create(client, "industries", factories.industry(name="工程机械"))
    city = await create(
        client,
        "industries",
        factories.industry(name="工程机械", level="city", region_code="430100", target_tier="hundred_billion"),
    )
    rows = [
        INDUSTRY_HEADER,
        # a county industry: both 工程机械 lie above it and cover it
        ["岳麓工程机械", "县级", "430104", "工业和信息化", "配套协作壮大", "百亿级", "工程机械"],
        # a city industry: only the province one is above it
        ["株洲工程机械", "市级", "430200", "工业和信息化", "配套协作壮大", "千亿级", "工程机械"],
        ["长沙轨道交通", "市级", "430100", "工业和信息化", "配套协作壮大", "千亿级", city["id"]],
    ]
    job = await run_import(client, csv_bytes(rows), kind="industry", mode="valid_rows")
    assert (job["created"], [(e["row"], e["column"], e["code"]) for e in job["errors"]]) == (
        1,
        [(2, "上级产业", "import_link_ambiguous"), (4, "上级产业", "parent_industry_not_above")],
    )
    [zhuzhou] = (await client.get("/api/v1/industries", params={"region": "430200"}, headers=ADMIN)).json()["items"]
    assert zhuzhou["parent_industry_id"] == province["id"]


async def test_an_export_writes_names_and_imports_back_unchanged(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    ref = await reference(client)
    parent = await create(client, "industries", factories.industry(name="工程机械"))
    await create(
        client,
        "industries",
        factories.industry(name="长沙工程机械", level="city", region_code="430100", target_tier="hundred_billion")
        | {"parent_industry_id": parent["id"], "chain_ids": [ref["chains"][0]["id"]]},
    )
    persons = [ref["wang"]["id"], ref["li"][0]["id"]]
    enterprise = await create(
        client,
        "enterprises",
        factories.enterprise(
            1, chain_ids=[c["id"] for c in ref["chains"]], park_ids=[ref["park"]["id"]], person_ids=persons
        ),
    )

    exported = await client.get("/api/v1/exports/enterprises", headers=ADMIN)
    header, row = read_csv(exported)
    cells = dict(zip(header, row, strict=True))
    assert sorted(cells["产业链"].split("、")) == sorted(["测试链甲", "测试链乙"])
    assert cells["园区"] == "长沙经开区"
    # 王五 by name; the 李四 of 430100 by id, since two persons bear that name
    assert sorted(cells["责任人"].split("、")) == sorted(["王五", ref["li"][0]["id"]])
    industries = await client.get("/api/v1/exports/industries", params={"sort": "name"}, headers=ADMIN)
    rows = [dict(zip(read_csv(industries)[0], r, strict=True)) for r in read_csv(industries)[1:]]
    assert [(r["名称"], r["上级产业"], r["产业链"]) for r in rows] == [
        ("工程机械", "", ""),
        ("长沙工程机械", "工程机械", "测试链甲"),
    ]

    again = await run_import(client, exported.content)
    assert (again["status"], again["unchanged"], again["updated"], again["errors"]) == ("succeeded", 1, 0, [])
    back = await run_import(client, industries.content, kind="industry")
    assert (back["status"], back["unchanged"], back["errors"]) == ("succeeded", 2, [])

    # a changed link cell replaces that kind of link, and leaves the others
    changed = exported.content.decode("utf-8-sig").replace(cells["园区"], "")
    job = await run_import(client, changed.encode())
    assert (job["updated"], job["errors"]) == (1, [])
    now = (await client.get(f"/api/v1/enterprises/{enterprise['id']}", headers=ADMIN)).json()
    assert (now["park_ids"], sorted(p["id"] for p in now["persons"])) == ([], sorted(persons))
    audit = (await client.get("/api/v1/audit-events", params={"resource_id": enterprise["id"]}, headers=ADMIN)).json()
    [update] = [e for e in audit["items"] if e["action"] == "update"]
    assert (update["before"]["park_ids"], update["after"]["park_ids"]) == ([ref["park"]["id"]], [])
