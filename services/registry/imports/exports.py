"""Exports: every record a list's filters match, as CSV or XLSX, streamed in the import's own columns.

The rows come from the list's own query (`imports.repository.export_statement`, so the caller's region
scope applies) read through a server-side cursor: one statement, one snapshot, however many rows.
Enumerations are written as their Chinese labels, amounts as exact decimals, and the columns are the
import's, so an exported file imports back as it is.

CSV is streamed as it is produced (UTF-8 with a BOM, which Excel needs to show Chinese). XLSX is a zip
that cannot be streamed while written: rows go into openpyxl's write-only workbook a page at a time,
in a worker thread, and the finished file is streamed from a spooled temporary file.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import IO, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.access import Access
from services.registry.entities.kinds import EntityFilters, KindSpec
from services.registry.entities.repository import EntityQuery
from services.registry.imports.cells import ExportValue, csv_value, is_formula_like, xlsx_value
from services.registry.imports.columns import (
    COLUMNS,
    LEAD_DEPARTMENT,
    LINK_LIST_COLUMNS,
    PARENT_INDUSTRY,
    PERSONS,
    REGION_NAME,
    Column,
)
from services.registry.imports.links import Links, links_of
from services.registry.imports.repository import ImportRepository, export_statement
from shared.auth import Principal
from shared.schemas.common import PageParams
from shared.schemas.enums import EntityKind

ExportFormat = Literal["csv", "xlsx"]
PAGE_ROWS = 1000
CHUNK_BYTES = 64 * 1024
SPOOL_BYTES = 16 * 1024 * 1024
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_AMOUNT_FORMAT = "0.0000"


def export_filters(spec: KindSpec) -> type[BaseModel]:
    """The list's filters without paging, plus `format`; unknown parameters are still a 422."""
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in spec.filters.model_fields.items()
        if name not in PageParams.model_fields
    }
    fields["format"] = (ExportFormat, Field(default="csv", description="csv 或 xlsx"))
    model: type[BaseModel] = create_model(
        f"{spec.filters.__name__}Export", __config__=ConfigDict(extra="forbid"), **fields
    )
    return model


def content_disposition(spec: KindSpec, file_format: str, today: dt.date) -> str:
    """An attachment named in Chinese (RFC 5987 `filename*`) with an ASCII fallback for old clients."""
    stamp = today.strftime("%Y%m%d")
    utf8_name = f"{spec.label}名单-{stamp}.{file_format}"
    return f"attachment; filename=\"{spec.path}-{stamp}.{file_format}\"; filename*=UTF-8''{quote(utf8_name, safe='')}"


def exported_columns(kind: EntityKind) -> tuple[Column, ...]:
    return tuple(c for c in COLUMNS[kind] if c.exported)


class Export:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        spec: KindSpec,
        principal: Principal,
        filters: EntityFilters,
        zone: ZoneInfo,
        now: dt.datetime,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.zone = zone
        self.spec = spec
        self.access = Access.reading(principal)
        self.columns = exported_columns(spec.kind)
        # Built now, so that an unknown `sort` is a 422 before the response starts streaming.
        query = EntityQuery.of(filters, principal.read_scope, now=now, zone=zone)
        self.statement = export_statement(spec, query)

    def stream(self, file_format: ExportFormat) -> AsyncIterator[bytes]:
        return self.csv() if file_format == "csv" else self.xlsx()

    def header(self) -> list[str]:
        return [c.header for c in self.columns]

    async def pages(self) -> AsyncIterator[list[list[ExportValue]]]:
        async with self.sessionmaker() as session, session.begin():
            repo = ImportRepository(session)
            departments = {row["id"]: row["name"] for row in await repo.departments()}
            regions = await repo.regions()
            links = links_of(await repo.link_targets(), self.access)
            async for page in repo.stream(self.statement, PAGE_ROWS):
                yield [self._cells(row, departments, regions, links) for row in page]

    def _cells(
        self, row: RowMapping, departments: dict[Any, str], regions: dict[str, str], links: Links
    ) -> list[ExportValue]:
        cells: list[ExportValue] = []
        for column in self.columns:
            name = column.field
            if name in LINK_LIST_COLUMNS:
                named = links.named(LINK_LIST_COLUMNS[name])
                ids = [p["id"] for p in row["persons"] or ()] if name == PERSONS else row[named.api_field]
                cells.append(column.cell.write([named.label_of(uuid.UUID(str(i))) for i in ids or ()]))
            elif name == PARENT_INDUSTRY:
                parent = row["parent_industry_id"]
                cells.append(None if parent is None else links.industries.label_of(parent))
            elif name == REGION_NAME:
                cells.append(regions.get(row["region_code"]))
            elif name == LEAD_DEPARTMENT:
                cells.append(departments.get(row["lead_department_id"]))
            elif name == "updated_at":
                cells.append(row["updated_at"].astimezone(self.zone).isoformat(timespec="seconds"))
            else:
                cells.append(column.cell.write(row[name]))
        return cells

    async def csv(self) -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.header())
        yield ("\ufeff" + buffer.getvalue()).encode()
        async for page in self.pages():
            buffer.seek(0)
            buffer.truncate()
            writer.writerows([csv_value(v) for v in cells] for cells in page)
            yield buffer.getvalue().encode()

    async def xlsx(self) -> AsyncIterator[bytes]:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(f"{self.spec.label}名单")
        sheet.append(self.header())
        async for page in self.pages():
            await asyncio.to_thread(_append, sheet, page)
        spool = await asyncio.to_thread(_save, workbook)
        try:
            while chunk := await asyncio.to_thread(spool.read, CHUNK_BYTES):
                yield chunk
        finally:
            spool.close()


def _append(sheet: WriteOnlyWorksheet, page: Sequence[Sequence[ExportValue]]) -> None:
    for cells in page:
        row: list[object] = []
        for value in cells:
            converted = xlsx_value(value)
            if isinstance(converted, float):
                cell = WriteOnlyCell(sheet, converted)
                cell.number_format = _AMOUNT_FORMAT
                row.append(cell)
            elif is_formula_like(converted):
                cell = WriteOnlyCell(sheet, converted)
                cell.data_type = "s"  # text, never a formula
                row.append(cell)
            else:
                row.append(converted)
        sheet.append(row)


def _save(workbook: Workbook) -> IO[bytes]:
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by the caller
    workbook.save(spool)
    spool.seek(0)
    return spool
