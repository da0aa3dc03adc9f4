"""A round's summary as the office prints it: an XLSX workbook, one sheet per level (市州, 县市区).

Each sheet: a merged title row, a subtitle with the deadline and the scoring profile, a styled header
of Chinese column names, one row per unit in rank order, the province's totals last (on the city
sheet), fixed column widths and the header frozen. Rates are shown as percentages, amounts in 亿元.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.scheduler.rounds.summary_schemas import RoundSummary, UnitSummary

COLUMNS: tuple[tuple[str, float], ...] = (
    ("排名", 7),
    ("地区代码", 11),
    ("地区", 18),
    ("应报", 8),
    ("已报", 8),
    ("按时", 8),
    ("报送率", 10),
    ("按时率", 10),
    ("计划投资（亿元）", 16),
    ("完成投资（亿元）", 16),
    ("投资完成率", 12),
    ("红色预警", 10),
    ("黄色预警", 10),
    ("蓝色提示", 10),
    ("得分", 9),
    ("等级", 8),
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_PERCENT = "0.00%"
_AMOUNT = "#,##0.0000"


def _row(unit: UnitSummary) -> list[object]:
    def number(value: Decimal | None) -> float | None:
        return float(value) if value is not None else None

    return [
        unit.rank,
        unit.unit,
        unit.name or unit.unit,
        unit.expected,
        unit.submitted,
        unit.on_time,
        number(unit.submission_rate),
        number(unit.on_time_rate),
        number(unit.investment_planned),
        number(unit.investment_completed),
        number(unit.investment_rate),
        unit.findings.red,
        unit.findings.yellow,
        unit.findings.blue,
        number(unit.score),
        unit.grade_label,
    ]


def _sheet(ws: Worksheet, title: str, summary: RoundSummary, units: Sequence[UnitSummary], totals: bool) -> None:
    width = len(COLUMNS)
    last = get_column_letter(width)
    ws.append([title])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(name="黑体", size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30
    profile = summary.scoring
    ws.append([f"截止时间：{summary.due_at.isoformat()}　评分方案：{profile.code} 第 {profile.version} 版"])
    ws.merge_cells(f"A2:{last}2")
    ws["A2"].alignment = Alignment(horizontal="right")
    ws.append([name for name, _ in COLUMNS])
    for index, (_, column_width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=3, column=index)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
        ws.column_dimensions[get_column_letter(index)].width = column_width
    rows = list(units) + ([summary.totals] if totals else [])
    for unit in rows:
        ws.append(_row(unit))
        current = ws.max_row
        for index in range(1, width + 1):
            cell = ws.cell(row=current, column=index)
            cell.border = _BORDER
            if index in (7, 8, 11):
                cell.number_format = _PERCENT
            elif index in (9, 10):
                cell.number_format = _AMOUNT
    if totals:
        for index in range(1, width + 1):
            ws.cell(row=ws.max_row, column=index).font = Font(bold=True)
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1


def summary_workbook(summary: RoundSummary) -> bytes:
    book = Workbook()
    cities = book.active
    assert cities is not None
    cities.title = "市州"
    _sheet(cities, f"{summary.period_key} “万千百”工程调度情况（市州）", summary, summary.cities, totals=True)
    _sheet(
        book.create_sheet("县市区"),
        f"{summary.period_key} “万千百”工程调度情况（县市区）",
        summary,
        summary.counties,
        totals=False,
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
