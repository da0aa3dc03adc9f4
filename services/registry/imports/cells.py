"""Spreadsheet cells ⇄ values: what an import reads out of a cell, and what an export writes into one.

Text that a spreadsheet would take for a formula (`=`, `+`, `-`, `@` first) is written to CSV behind
an apostrophe and to XLSX as an explicit text cell, so opening an export never evaluates what a user
typed into a name; an import drops the apostrophe again.

A reader turns a non-empty cell (a string from CSV; a string, number or date from XLSX) into the value
the entity's create schema takes: an enum code, a list of codes, a date, a decimal string. It raises
`CellError` only for what the schema could not explain in the user's terms (an unknown Chinese label);
everything else is left to the schema, so the rules and error codes are those of the API.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Any, TypeGuard

from shared.schemas.enums import LabelledEnum

ExportValue = str | Decimal | dt.date | None

LIST_SEPARATORS = re.compile(r"[;；、,，\n]+")
LIST_JOINER = "、"
_IGNORED_IN_LABELS = str.maketrans("", "", "“”\"'‘’「」 \u3000")
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MEMO_LIMIT = 10_000
# Amounts with at most this many significant digits survive a round trip through a double.
_EXACT_DOUBLE_DIGITS = 15


class CellError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def normalise_label(text: str) -> str:
    """Fold full-width forms, drop quotes and spaces, lower-case: `“五好”园区聚集` ≡ `"五好"园区聚集`."""
    return unicodedata.normalize("NFKC", text).translate(_IGNORED_IN_LABELS).lower()


FORMULA_START = ("=", "+", "-", "@")


def cell_text(raw: object) -> str:
    """A cell as text: XLSX numbers lose a spurious `.0`, dates become ISO dates, `'=…` is `=…`."""
    if type(raw) is str:  # every CSV cell: the fast path
        text = raw.strip()
        return text[1:] if text.startswith("'") and text[1:2] in FORMULA_START else text
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw).strip()


class Cell:
    """Free text, or a code such as a USCC or region code (XLSX may hold those as numbers)."""

    def read(self, raw: object) -> Any:
        return cell_text(raw)

    def write(self, value: Any) -> ExportValue:
        return None if value is None else str(value)


class EnumCell(Cell):
    """An enumeration, by English code or Chinese label (`省级`, `province`, `PROVINCE`)."""

    def __init__(self, enum: type[LabelledEnum], what: str) -> None:
        self.what = what
        self.labels = dict(enum.choices())
        self.lookup = {normalise_label(code): code for code in self.labels}
        self.lookup |= {normalise_label(label): code for code, label in self.labels.items()}
        self.choices = "、".join(self.labels.values())
        # A file repeats the same few spellings: remember each as written (bounded by the cap).
        self.seen: dict[str, str] = {}

    def code_of(self, text: str) -> str:
        code = self.seen.get(text)
        if code is not None:
            return code
        code = self.lookup.get(normalise_label(text))
        if code is None:
            raise CellError("enum", f"“{text}”不是有效的{self.what}，可选：{self.choices}")
        if len(self.seen) < _MEMO_LIMIT:
            self.seen[text] = code
        return code

    def read(self, raw: object) -> Any:
        return self.code_of(cell_text(raw))

    def write(self, value: Any) -> ExportValue:
        return None if value is None else self.labels[str(value)]


class EnumListCell(EnumCell):
    """Several codes or labels in one cell, separated by ； ; 、 or a comma."""

    def read(self, raw: object) -> Any:
        parts = [p for p in LIST_SEPARATORS.split(cell_text(raw)) if p.strip()]
        return list(dict.fromkeys(self.code_of(p) for p in parts))

    def write(self, value: Any) -> ExportValue:
        return LIST_JOINER.join(self.labels[str(v)] for v in value or ())


class NameListCell(Cell):
    """Several records named in one cell (by name or id), separated by ； ; 、 or a comma; the export
    writes the names it resolved (`imports.links`)."""

    def read(self, raw: object) -> Any:
        return list(dict.fromkeys(p.strip() for p in LIST_SEPARATORS.split(cell_text(raw)) if p.strip()))

    def write(self, value: Any) -> ExportValue:
        return LIST_JOINER.join(value or ()) or None


class DecimalCell(Cell):
    """An exact amount: text is handed to the schema as it is; an XLSX double by its shortest repr."""

    def read(self, raw: object) -> Any:
        if isinstance(raw, bool):
            return cell_text(raw)
        if isinstance(raw, int | float):
            return str(Decimal(repr(raw)))
        return cell_text(raw).replace("\u3000", "")

    def write(self, value: Any) -> ExportValue:
        return None if value is None else Decimal(value)


class DateCell(Cell):
    """A date: an XLSX date, `2024-05-01`, `2024/5/1` or `2024年5月1日`."""

    def read(self, raw: object) -> Any:
        if isinstance(raw, dt.datetime):
            return raw.date() if raw.time() == dt.time() else raw.isoformat()
        if isinstance(raw, dt.date):
            return raw
        text = cell_text(raw)
        match = _DATE_RE.match(text)
        if match is None:
            return text
        year, month, day = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError as exc:
            raise CellError("date_parsing", f"“{text}”不是有效日期") from exc

    def write(self, value: Any) -> ExportValue:
        return value if isinstance(value, dt.date) else None


def xlsx_value(value: ExportValue) -> object:
    """What an XLSX cell holds: amounts as numbers when a double keeps them exact, else as text."""
    if isinstance(value, Decimal):
        digits = len(value.normalize().as_tuple().digits)
        return float(value) if digits <= _EXACT_DOUBLE_DIGITS else format(value, "f")
    return value


def is_formula_like(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_value(value: ExportValue) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "'" + value if is_formula_like(value) else value
