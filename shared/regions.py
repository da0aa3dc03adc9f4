"""GB/T 2260 code arithmetic: which codes a region covers, without a database round trip.

A six-digit code `PPCCDD` names a province when `CCDD == 0000`, a city when `DD == 00`, else a
county. A region covers itself and every code sharing its significant prefix; this is what region
scopes and `region=` filters (which include descendants) are built on.
"""

from __future__ import annotations

import re

CODE_RE = re.compile(r"^\d{6}$")
HUNAN = "430000"


def region_level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def region_prefix(code: str) -> str:
    level = region_level(code)
    return code[:2] if level == "province" else code[:4] if level == "city" else code


def covers(scope: str, code: str) -> bool:
    """True when `code` is `scope` itself or lies below it."""
    return code.startswith(region_prefix(scope))


def code_range(code: str) -> tuple[str, str]:
    """Inclusive bounds of the codes `code` covers, for an index-friendly BETWEEN."""
    prefix = region_prefix(code)
    return prefix.ljust(6, "0"), prefix.ljust(6, "9")


def parent_city(code: str) -> str:
    return code[:4] + "00"
