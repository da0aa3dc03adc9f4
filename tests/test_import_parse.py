"""Reading an uploaded file: once, as a stream, into a spool the job then reads back batch by batch."""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import io
import itertools
import os
import uuid

import openpyxl
import pytest

from services.registry.imports import parse, validate
from services.registry.imports.parse import CSV, XLSX, Sheet, read_sheet
from services.registry.imports.problems import FileRejected


def rows_of(sheet: Sheet) -> list[tuple[int, tuple[object, ...]]]:
    return [(n, tuple(cells)) for batch in sheet.batches() for n, cells in batch]


def rejected_code(content: bytes, file_format: str = CSV) -> tuple[int, str]:
    with pytest.raises(FileRejected) as raised:
        read_sheet(content, file_format, batch_size=10)
    (issue,) = raised.value.issues
    return issue.row, issue.code


def test_csv_rows_come_back_in_batches_with_the_row_numbers_a_spreadsheet_shows() -> None:
    content = (
        "\ufeff\r\n"  # a BOM, then a blank line: the header is row 2
        "名称,级别\r\n"
        "甲,市级\r\n"
        ",\r\n"  # blank: skipped, keeps its number
        '"乙\r\n有限公司",县级\r\n'  # one row over two lines, as a spreadsheet shows it
        "丙,省级\r\n"
        "丁,市级\r\n"
    ).encode()
    with read_sheet(content, CSV, batch_size=2) as sheet:
        assert (sheet.header, sheet.header_row, sheet.total) == (["名称", "级别"], 2, 4)
        assert [[n for n, _ in batch] for batch in sheet.batches()] == [[3, 5], [6, 7]]
        assert rows_of(sheet) == [
            (3, ("甲", "市级")),
            (5, ("乙\r\n有限公司", "县级")),
            (6, ("丙", "省级")),
            (7, ("丁", "市级")),
        ]


def test_the_rows_are_a_stream_read_from_the_spool_one_batch_at_a_time() -> None:
    body = "".join(f"企业{n},市级\n" for n in range(1, 1001))
    with read_sheet(f"名称,级别\n{body}".encode(), CSV, batch_size=100) as sheet:
        assert inspect.isgeneratorfunction(Sheet.batches)  # lazy: nothing is read before the first batch
        batches = sheet.batches()
        assert not hasattr(sheet, "rows")
        first = next(batches)
        spool = sheet._spool
        read_so_far, size = spool.tell(), spool.seek(0, io.SEEK_END)
        assert len(first) == 100 and first[-1] == (101, ("企业100", "市级"))
        assert 0 < read_so_far < size / 5  # the first batch read, not the file
    assert spool.closed  # leaving the sheet drops the spool


def test_a_gb18030_file_whose_first_non_utf8_byte_is_deep_in_it_is_read_as_gb18030() -> None:
    lines = ["name,level", *(f"company {n},city" for n in range(8000)), "长沙工程机械,市级"]
    content = "\r\n".join(lines).encode("gb18030")
    assert content.index("长".encode("gb18030")) > 100_000  # well past the first chunks a decoder reads
    with read_sheet(content, CSV, batch_size=2000) as sheet:
        assert sheet.total == 8001
        assert rows_of(sheet)[-1] == (8002, ("长沙工程机械", "市级"))


def test_a_file_that_is_neither_utf8_nor_gb18030_is_refused() -> None:
    content = b"name,level\r\n" + b"company,city\r\n" * 5000 + b"\xff\xfe,city\r\n"
    assert rejected_code(content) == (0, "import_encoding_invalid")


def test_a_csv_error_deep_in_the_file_refuses_the_file_before_a_row_is_returned() -> None:
    oversized = "x" * (csv.field_size_limit() + 1)
    content = ("name,level\n" + "company,city\n" * 5000 + f'"{oversized}",city\n').encode()
    assert rejected_code(content) == (0, "import_file_unreadable")


def test_tab_separated_files_and_empty_files() -> None:
    with read_sheet("名称\t级别\n甲\t市级\n".encode(), CSV, batch_size=10) as sheet:
        assert (sheet.header, rows_of(sheet)) == (["名称", "级别"], [(2, ("甲", "市级"))])
    assert rejected_code(b"") == (1, "import_header_missing")
    assert rejected_code(b" , \r\n,\r\n") == (1, "import_header_missing")


def test_xlsx_rows_keep_their_numbers_and_cell_types_through_the_spool() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (
        ["名称", "总投资", "计划开工日期"],
        ["项目一", 1.5, dt.datetime(2024, 5, 1)],
        [None, None, None],
        ["项目二", 3, None],
    ):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with read_sheet(buffer.getvalue(), XLSX, batch_size=1) as spooled:
        assert (spooled.header, spooled.header_row, spooled.total) == (["名称", "总投资", "计划开工日期"], 1, 2)
        assert rows_of(spooled) == [(2, ("项目一", 1.5, dt.datetime(2024, 5, 1))), (4, ("项目二", 3, None))]
    assert rejected_code(b"PK\x03\x04 not a zip", XLSX) == (0, "import_file_unreadable")


def test_new_ids_are_version_4_uuids_drawn_from_one_system_call_per_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = os.urandom

    def counting(size: int) -> bytes:
        calls.append(size)
        return real(size)

    monkeypatch.setattr(os, "urandom", counting)
    ids = list(itertools.islice(validate.random_uuids(), 3 * validate._ID_POOL))
    assert len(calls) == 3 and len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)


def test_a_csv_holding_a_nul_byte_is_refused_as_a_whole() -> None:
    with pytest.raises(FileRejected) as caught:
        read_sheet("名称,级别\n甲\x00,市级\n".encode(), CSV, batch_size=10)
    assert [(i.code, i.message) for i in caught.value.issues] == [
        ("import_file_nul", "文件中含有空字符（NUL），不是 UTF-8 或 GB18030 编码的 CSV 文本")
    ]


def test_a_cell_holding_a_nul_is_refused_with_its_row() -> None:
    with pytest.raises(FileRejected) as caught:
        parse._spool(iter([(1, ["名称"]), (2, ["甲"]), (3, ["乙\x00"])]), 10)
    assert [(i.row, i.code) for i in caught.value.issues] == [(3, "import_file_nul")]
