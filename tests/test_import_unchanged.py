"""An import reports the rows that matched a record and left it as it was: `unchanged`, so that
processed = created + updated + unchanged + the rows refused."""

from __future__ import annotations

import httpx

from services.registry.imports.runner import ImportRunner
from tests.test_imports import ENTERPRISE_HEADER, csv_bytes, enterprise_row, run_import

COUNTS = ("status", "processed", "created", "updated", "unchanged", "error_count")


async def test_reimporting_a_file_reports_every_row_unchanged(client: httpx.AsyncClient, inline: ImportRunner) -> None:
    content = csv_bytes([ENTERPRISE_HEADER, *(enterprise_row(n) for n in (41, 42, 43))])
    first = await run_import(client, content)
    assert [first[k] for k in COUNTS] == ["succeeded", 3, 3, 0, 0, 0]
    again = await run_import(client, content)
    assert [again[k] for k in COUNTS] == ["succeeded", 3, 0, 0, 3, 0]


async def test_valid_rows_counts_add_up_to_the_rows_processed(client: httpx.AsyncClient, inline: ImportRunner) -> None:
    await run_import(client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(44), enterprise_row(45)]))
    rows = [
        enterprise_row(44),
        enterprise_row(45, 名称="改名企业"),
        enterprise_row(46),
        enterprise_row(47, 级别="国家级"),
    ]
    job = await run_import(client, csv_bytes([ENTERPRISE_HEADER, *rows]), mode="valid_rows")
    assert [job[k] for k in COUNTS] == ["succeeded", 4, 1, 1, 1, 1]
    assert job["processed"] == job["created"] + job["updated"] + job["unchanged"] + job["error_count"]


async def test_a_failed_all_or_nothing_import_reports_nothing_unchanged(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    await run_import(client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(48)]))
    job = await run_import(
        client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(48), enterprise_row(49, 级别="国家级")])
    )
    assert [job[k] for k in COUNTS] == ["failed", 2, 0, 0, 0, 1]


async def test_the_job_schema_documents_unchanged(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]["ImportJobRead"]
    assert "unchanged" in schema["required"]
    assert schema["properties"]["unchanged"]["type"] == "integer"
