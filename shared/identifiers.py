"""National identifiers: the unified social credit code (GB 32100-2015) and the project code.

The USCC check follows GB 32100 (mod 31 over positions 1–17) and GB 11714 (mod 11 over the
organisation code in positions 9–17). Positions 3–8 are deliberately not checked against the current
GB/T 2260 list: a code keeps the registering authority's area code for life, even once abolished.
"""

from __future__ import annotations

import operator
import re
import string
import unicodedata

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
PROJECT_CODE_RE = re.compile(r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$")
# Lookups instead of str.index/int() per character: a bulk import checks a code per row.
_USCC_CHARS = frozenset(USCC_CHARSET)
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}


class USCCError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def normalise_uscc(raw: str) -> str:
    """Trim, fold full-width characters to half-width and upper-case."""
    return unicodedata.normalize("NFKC", raw).strip().upper()


def uscc_check_char(first17: str) -> str:
    if len(first17) != len(USCC_WEIGHTS):
        raise ValueError(f"expected {len(USCC_WEIGHTS)} characters, got {len(first17)}")
    try:
        total = sum(map(operator.mul, map(_USCC_VALUE.__getitem__, first17), USCC_WEIGHTS))
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not a USCC character") from None
    return USCC_CHARSET[(31 - total % 31) % 31]


def _org_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


_ORG_VALUE = {c: _org_value(c) for c in string.digits + string.ascii_uppercase}


def org_code_check_char(body8: str) -> str:
    if len(body8) != len(ORG_WEIGHTS):
        raise ValueError(f"expected {len(ORG_WEIGHTS)} characters, got {len(body8)}")
    try:
        values = list(map(_ORG_VALUE.__getitem__, body8))
    except KeyError:  # not a digit or capital letter: weighed as GB 11714 would, though no code holds one
        values = [_org_value(c) for c in body8]
    total = sum(map(operator.mul, values, ORG_WEIGHTS))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def validate_uscc(raw: str) -> str:
    """The normalised code, or USCCError naming the first rule it breaks."""
    code = normalise_uscc(raw)
    if len(code) != 18:
        raise USCCError("enterprise_uscc_length", f"统一社会信用代码应为 18 位，实际 {len(code)} 位")
    if not _USCC_CHARS.issuperset(code):
        bad = sorted({c for c in code if c not in _USCC_CHARS})
        raise USCCError(
            "enterprise_uscc_charset", f"统一社会信用代码含非法字符：{''.join(bad)}（不使用 I、O、S、V、Z）"
        )
    if not code[2:8].isdigit():
        raise USCCError("enterprise_uscc_region", "统一社会信用代码第 3–8 位应为行政区划数字代码")
    if code[16] != org_code_check_char(code[8:16]):
        raise USCCError("enterprise_uscc_org_check", "统一社会信用代码中的组织机构代码校验位（第 17 位）错误")
    if code[17] != uscc_check_char(code[:17]):
        raise USCCError("enterprise_uscc_invalid", "统一社会信用代码校验位（第 18 位）错误")
    return code


def validate_project_code(raw: str) -> str:
    code = unicodedata.normalize("NFKC", raw).strip()
    if not PROJECT_CODE_RE.match(code):
        raise ValueError("项目代码格式应为 YYYY-AAAAAA-II-TT-NNNNNN（24 位，含 4 个连字符）")
    return code
