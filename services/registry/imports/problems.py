"""What can be wrong with an import: a row's cell (`RowIssue`) or the whole file (`FileRejected`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A job keeps the first errors for display; `error_count` always has the full number.
MAX_STORED_ERRORS = 1000
# Rows are numbered as a spreadsheet shows them: the header is row 1. A problem with the file as a
# whole (encoding, size, an internal failure) is reported on row 0.
HEADER_ROW = 1
FILE_ROW = 0


@dataclass(frozen=True, slots=True)
class RowIssue:
    row: int
    column: str
    message: str
    code: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message, "code": self.code}


class FileRejected(Exception):
    """The file as a whole cannot be imported (encoding, header, size): nothing is written in any mode."""

    def __init__(self, issues: list[RowIssue]) -> None:
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues

    @classmethod
    def one(cls, message: str, code: str, column: str = "", row: int = FILE_ROW) -> FileRejected:
        return cls([RowIssue(row, column, message, code)])
