"""Keyset (cursor) pagination: opaque cursors that stay stable while rows are inserted."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, tuple_

from shared.edge import INT64_MAX
from shared.errors import Invalid
from shared.schemas.common import DEFAULT_PAGE_LIMIT

# For the few lists whose paging is loose parameters rather than a `PageParams` query model.


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int = DEFAULT_PAGE_LIMIT
    cursor: str | None = None
    sort: str | None = None


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | uuid.UUID | Decimal):
        return str(value)
    return value


def _decode_value(raw: Any, python_type: type) -> Any:
    """A cursor's value as its column's type; a value the database could not compare with is refused."""
    if raw is None:
        return None
    if isinstance(raw, str) and "\x00" in raw:
        raise ValueError("NUL in a cursor")
    if isinstance(raw, int) and not -INT64_MAX - 1 <= raw <= INT64_MAX:
        raise ValueError("integer out of range in a cursor")
    if python_type is dt.datetime:
        return dt.datetime.fromisoformat(raw)
    if python_type is dt.date:
        return dt.date.fromisoformat(raw)
    if python_type is uuid.UUID:
        return uuid.UUID(raw)
    if python_type is Decimal:
        return Decimal(raw)
    return python_type(raw)


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    raw = orjson.dumps([sort, [_encode_value(v) for v in values]])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, types: Sequence[type]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        sort_in_cursor, values = orjson.loads(base64.urlsafe_b64decode(padded))
        if sort_in_cursor != sort or len(values) != len(types):
            raise ValueError("cursor belongs to another sort order")
        return [_decode_value(v, t) for v, t in zip(values, types, strict=True)]
    except Exception as exc:
        raise Invalid.field("cursor", "分页游标无效或与排序方式不符", "cursor_invalid") from exc


@dataclass(frozen=True, slots=True)
class Sorting:
    """The sort keys a list allows, each mapped to a non-null column; `id` always breaks ties."""

    columns: Mapping[str, ColumnElement[Any]]
    tiebreak: ColumnElement[Any]
    default: str

    def resolve(self, sort: str | None) -> tuple[str, ColumnElement[Any], bool]:
        key = sort or self.default
        descending = key.startswith("-")
        name = key.lstrip("-")
        if name not in self.columns:
            allowed = ", ".join(sorted(self.columns))
            raise Invalid.field("sort", f"不支持的排序字段，可选：{allowed}（前加 - 为倒序）", "sort_invalid")
        return key, self.columns[name], descending

    def apply(self, stmt: Select[Any], page: PageRequest) -> tuple[Select[Any], str, ColumnElement[Any]]:
        """Order, seek past the cursor and fetch one extra row to know whether there is a next page."""
        key, column, descending = self.resolve(page.sort)
        if page.cursor:
            types = [column.type.python_type, self.tiebreak.type.python_type]
            after = decode_cursor(page.cursor, key, types)
            pair = tuple_(column, self.tiebreak)
            stmt = stmt.where(pair < tuple_(*after) if descending else pair > tuple_(*after))
        return stmt.order_by(*self._order(column, descending)).limit(page.limit + 1), key, column

    def order(self, stmt: Select[Any], sort: str | None) -> Select[Any]:
        """`stmt` in the order `sort` names (ties by the tiebreak column), unpaged; 422 on an unknown sort."""
        _, column, descending = self.resolve(sort)
        return stmt.order_by(*self._order(column, descending))

    def _order(self, column: ColumnElement[Any], descending: bool) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
        return (column.desc(), self.tiebreak.desc()) if descending else (column.asc(), self.tiebreak.asc())


def cut_page(rows: Sequence[Any], page: PageRequest, key: str, sort_attr: str) -> tuple[list[Any], str | None]:
    """Split the `limit + 1` rows fetched into the page and the cursor of the next one."""
    items = list(rows[: page.limit])
    if len(rows) <= page.limit:
        return items, None
    last = items[-1]
    keyed = isinstance(last, Mapping) or hasattr(last, "keys")  # a mapping or a driver's record
    get = (lambda r, a: r[a]) if keyed else getattr
    return items, encode_cursor(key, [get(last, sort_attr), get(last, "id")])
