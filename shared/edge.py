"""What the platform refuses at the edge, before any handler or query sees it.

PostgreSQL refuses a NUL byte in text, an integer beyond 64 bits and a time beyond year 9999 (as
Python holds it) or before 4713 BC; none of them can name anything that exists. The middleware
refuses NUL bytes in the path and the query string of every request; the types below bound the
parameters and fields that reach a query (bodies' strings already refuse NUL in their schemas).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import parse_qsl

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from shared.errors import FieldError, Invalid

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

Int64 = Annotated[int, Field(ge=-INT64_MAX - 1, le=INT64_MAX)]
"""An integer a `bigint` column or parameter can hold."""


def _representable(value: dt.datetime) -> dt.datetime:
    """An aware time that still exists once moved to UTC (`9999-12-31T23:59:59-23:59` does not)."""
    if value.tzinfo is None:
        return value
    try:
        value.astimezone(dt.UTC)
    except OverflowError:
        raise PydanticCustomError("datetime_out_of_range", "时间超出可表示的范围") from None
    return value


StoredDatetime = Annotated[dt.datetime, AfterValidator(_representable)]
"""A time the database can be asked about: within range whatever its offset."""


def nul_in_request(path: str, query_string: bytes) -> Invalid | None:
    """The problem with a request whose path or query string holds a NUL byte, or None."""
    errors: list[FieldError] = []
    if "\x00" in path:
        errors.append(FieldError("path", "路径中不能包含空字符（NUL）", "string_nul_byte"))
    if b"%00" in query_string or b"\x00" in query_string:
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                field = name.replace("\x00", "") or "query"
                errors.append(FieldError(field, "参数中不能包含空字符（NUL）", "string_nul_byte"))
    if not errors:
        return None
    return Invalid("请求中含有空字符（NUL）", code="string_nul_byte", errors=errors)
