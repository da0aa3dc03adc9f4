"""URL pieces from typed values: query parameters as the peer parses them, path segments that stay one segment."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import Enum
from urllib.parse import quote

Scalar = str | int | float | Decimal | bool | uuid.UUID | dt.date | Enum
QueryValue = Scalar | Sequence[Scalar] | None


def query(values: Mapping[str, QueryValue]) -> dict[str, str | list[str]]:
    """Drop None; enums as their value, booleans as true/false, dates ISO; a sequence repeats the name."""
    out: dict[str, str | list[str]] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, Sequence) and not isinstance(value, str):
            out[name] = [_scalar(v) for v in value]
        else:
            out[name] = _scalar(value)
    return out


def _scalar(value: Scalar) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def segment(value: object) -> str:
    """`value` as exactly one path segment: `/` escaped, and `.`/`..` kept from being resolved away."""
    quoted = quote(str(value), safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted
