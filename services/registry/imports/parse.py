"""Uploaded bytes → a header and numbered rows, and the header → which field each column feeds.

CSV is read as UTF-8 (with or without BOM) and, when that fails, as GB18030 (what Excel on a
Chinese Windows saves). XLSX is read with openpyxl in read-only mode, first worksheet, cached
formula values. Row numbers are those a spreadsheet shows: the header is row 1; blank rows are
skipped but keep their numbers.

The file is read once, as a stream (CSV decoded incrementally, XLSX row by row): its data rows are
counted and spooled, a batch at a time, to an anonymous temporary file, from which `Sheet.batches`
streams them back. A job so knows its total before it writes anything, and memory holds one batch
of rows at a time however long the file is.
"""

from __future__ import annotations

import csv
import io
import pickle
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, TextIO

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from services.registry.imports.columns import COLUMNS, HEADER_INDEX, Column, normalise_header
from services.registry.imports.problems import HEADER_ROW, FileRejected, RowIssue
from shared.schemas.enums import EntityKind

CSV, XLSX = "csv", "xlsx"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
_ENCODINGS = ("utf-8-sig", "gb18030")
# Characters read to find the first line of a CSV (which tells its delimiter) before giving up on a newline.
_SNIFF_CHARS = 1 << 16

Cells = Sequence[object]
Row = tuple[int, Cells]


@dataclass
class Sheet:
    """A file's header and its data rows, spooled: `total` of them, in batches of `batch_size`.

    Close it (or use it as a context manager) to drop the spool.
    """

    header: list[str]
    header_row: int
    total: int
    batch_size: int
    _spool: IO[bytes] = field(repr=False)

    def batches(self) -> Iterator[list[Row]]:
        """The data rows in file order, `batch_size` at a time (the last batch may be shorter)."""
        self._spool.seek(0)
        while True:
            try:
                batch: list[Row] = pickle.load(self._spool)  # noqa: S301 - our own spool, written just before
            except EOFError:
                return
            yield batch

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> Sheet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


def _blank(cells: Cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _without_nul(row: int, cells: tuple[object, ...]) -> tuple[object, ...]:
    """The row as it is, or the file refused when a cell holds a NUL (an XLSX `_x0000_` escape, say)."""
    if any(isinstance(cell, str) and "\x00" in cell for cell in cells):
        raise FileRejected.one("单元格中含有空字符（NUL）", "import_file_nul", row=row)
    return cells


def _spool(numbered: Iterable[Row], batch_size: int) -> Sheet:
    """Find the header (the first row that is not blank) and spool every non-blank row after it."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the Sheet, closed by its close()
    try:
        # Tuples of text: the garbage collector stops tracking them, so a batch in memory costs it nothing.
        rows = ((n, _without_nul(n, tuple(cells))) for n, cells in numbered if not _blank(cells))
        first = next(rows, None)
        if first is None:
            raise FileRejected.one("文件为空：没有表头行", "import_header_missing", row=HEADER_ROW)
        header_row, header = first
        total = 0
        batch: list[Row] = []
        for row in rows:
            batch.append(row)
            if len(batch) == batch_size:
                pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
                total += len(batch)
                batch = []
        if batch:
            pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
            total += len(batch)
    except BaseException:
        spool.close()
        raise
    return Sheet([("" if h is None else str(h)) for h in header], header_row, total, batch_size, spool)


def _first_line(stream: TextIO) -> str:
    text = ""
    while "\n" not in text and len(text) < _SNIFF_CHARS:
        chunk = stream.read(4096)
        if not chunk:
            break
        text += chunk
    return text.split("\n", 1)[0]


def _csv_rows(content: bytes, encoding: str) -> Iterator[Row]:
    """Decoded as it is read: a bad byte deep in the file raises UnicodeDecodeError when reached."""
    with io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline="") as stream:
        first_line = _first_line(stream)
        delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
        stream.seek(0)
        yield from enumerate(csv.reader(stream, delimiter=delimiter), start=1)


def read_csv(content: bytes, batch_size: int) -> Sheet:
    if b"\x00" in content:  # no text a cell can hold (PostgreSQL refuses it); a UTF-16 or binary file
        raise FileRejected.one("文件中含有空字符（NUL），不是 UTF-8 或 GB18030 编码的 CSV 文本", "import_file_nul")
    for encoding in _ENCODINGS:
        try:
            return _spool(_csv_rows(content, encoding), batch_size)
        except UnicodeDecodeError:
            continue
        except csv.Error as exc:
            raise FileRejected.one(f"CSV 格式错误：{exc}", "import_file_unreadable") from exc
    raise FileRejected.one("文件既不是 UTF-8 也不是 GB18030 编码的 CSV", "import_encoding_invalid")


def read_xlsx(content: bytes, batch_size: int) -> Sheet:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRejected.one("无法读取该 XLSX 文件", "import_file_unreadable") from exc
    try:
        if not workbook.worksheets:
            raise FileRejected.one("XLSX 文件中没有工作表", "import_header_missing", row=HEADER_ROW)
        sheet = workbook.worksheets[0]
        return _spool(enumerate(sheet.iter_rows(values_only=True), start=1), batch_size)
    finally:
        workbook.close()


def read_sheet(content: bytes, file_format: str, batch_size: int) -> Sheet:
    """Read the whole file once (call it in a worker thread); the rows wait in the returned Sheet."""
    return read_xlsx(content, batch_size) if file_format == XLSX else read_csv(content, batch_size)


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
