"""Uploaded bytes → a header and numbered rows, and the header → which field each column feeds.

CSV is read as UTF-8 (with or without BOM) and, when that fails, as GB18030 (what Excel on a
Chinese Windows saves). XLSX is read with openpyxl in read-only mode, first worksheet, cached
formula values. Row numbers are those a spreadsheet shows: the header is row 1; blank rows are
skipped but keep their numbers.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from services.registry.imports.columns import COLUMNS, HEADER_INDEX, Column, normalise_header
from services.registry.imports.problems import HEADER_ROW, FileRejected, RowIssue
from shared.schemas.enums import EntityKind

CSV, XLSX = "csv", "xlsx"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls

Cells = Sequence[object]


@dataclass(frozen=True)
class Sheet:
    header: list[str]
    header_row: int
    rows: list[tuple[int, Cells]]


@dataclass(frozen=True)
class Layout:
    """The file's columns that feed a field: (position, column, header as written in the file)."""

    columns: list[tuple[int, Column, str]]

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(column.field for _, column, _ in self.columns)

    def header_of(self, field: str, default: str) -> str:
        return next((written for _, column, written in self.columns if column.field == field), default)


def detect_format(content: bytes) -> str | None:
    """`xlsx`, `csv`, or None for a format we do not read (legacy .xls)."""
    if content.startswith(_ZIP_MAGIC):
        return XLSX
    if content.startswith(_OLE_MAGIC):
        return None
    return CSV


def decode_csv(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileRejected.one("文件既不是 UTF-8 也不是 GB18030 编码的 CSV", "import_encoding_invalid") from exc


def _blank(cells: Cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _split(numbered: list[tuple[int, Cells]]) -> Sheet:
    rows = [(n, cells) for n, cells in numbered if not _blank(cells)]
    if not rows:
        raise FileRejected.one("文件为空：没有表头行", "import_header_missing", row=HEADER_ROW)
    header_row, header = rows[0]
    return Sheet([("" if h is None else str(h)) for h in header], header_row, rows[1:])


def read_csv(content: bytes) -> Sheet:
    text = decode_csv(content)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return _split([(n, row) for n, row in enumerate(reader, start=1)])
    except csv.Error as exc:
        raise FileRejected.one(f"CSV 格式错误：{exc}", "import_file_unreadable") from exc


def read_xlsx(content: bytes) -> Sheet:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRejected.one("无法读取该 XLSX 文件", "import_file_unreadable") from exc
    try:
        if not workbook.worksheets:
            raise FileRejected.one("XLSX 文件中没有工作表", "import_header_missing", row=HEADER_ROW)
        sheet = workbook.worksheets[0]
        return _split([(n, row) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)])
    finally:
        workbook.close()


def read_sheet(content: bytes, file_format: str) -> Sheet:
    return read_xlsx(content) if file_format == XLSX else read_csv(content)


def map_header(sheet: Sheet, kind: EntityKind) -> Layout:
    """Every header must name a column of the kind once; required columns must be there."""
    index = HEADER_INDEX[kind]
    issues: list[RowIssue] = []
    seen: dict[str, str] = {}
    columns: list[tuple[int, Column, str]] = []
    row = sheet.header_row
    for position, written in enumerate(sheet.header):
        name = written.strip()
        if not name:
            continue
        column = index.get(normalise_header(name))
        if column is None:
            issues.append(RowIssue(row, name, f"无法识别的列“{name}”", "import_column_unknown"))
        elif column.field in seen:
            issues.append(RowIssue(row, name, f"列“{name}”与“{seen[column.field]}”重复", "import_column_duplicate"))
        else:
            seen[column.field] = name
            if column.imported:
                columns.append((position, column, name))
    for column in COLUMNS[kind]:
        if column.required and column.field not in seen:
            issues.append(RowIssue(row, column.header, f"缺少必填列“{column.header}”", "import_column_missing"))
    if issues:
        raise FileRejected(issues)
    return Layout(columns)
