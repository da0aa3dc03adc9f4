"""Building blocks of every wire schema: strict request models, bounded text, region codes, paging."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo
from pydantic_core import PydanticCustomError

from shared.schemas.enums import Level
from shared.tiers import level_region_error

T = TypeVar("T")

MAX_PAGE_LIMIT = 200
DEFAULT_PAGE_LIMIT = 50


def _no_control_chars(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("string_nul_byte", "不允许包含 NUL 字符")
    return value


def _bounded(max_length: int, min_length: int = 0) -> object:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Name = Annotated[str, _bounded(200, 1), AfterValidator(_no_control_chars)]
ShortText = Annotated[str, _bounded(200), AfterValidator(_no_control_chars)]
Text = Annotated[str, _bounded(2000), AfterValidator(_no_control_chars)]
LongText = Annotated[str, _bounded(20000), AfterValidator(_no_control_chars)]
RegionCode = Annotated[
    str,
    StringConstraints(pattern=r"^\d{6}$"),
    Field(description="GB/T 2260 六位行政区划代码", examples=["430100"]),
]
# 亿元 with 4 decimals (= 万元 precision), never a float.
Yi = Annotated[
    Decimal,
    Field(ge=0, max_digits=16, decimal_places=4, description="金额，单位：亿元（最多 4 位小数）"),
]


def check_level_region(region_code: str, info: ValidationInfo) -> str:
    """The body of a `region_code` validator: the region must be one of the `level` declared before it."""
    level = info.data.get("level")
    if level is not None and (message := level_region_error(Level(level), region_code)):
        raise PydanticCustomError("level_region_mismatch", message)
    return region_code


class RequestModel(BaseModel):
    """Base of every request body: unknown fields are an error, not silently dropped.

    A subclass's own `model_config` (one adding an OpenAPI example, say) is merged with this one.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PageParams(BaseModel):
    """The paging every list's query model takes; an unknown query parameter is a 422, not ignored.

    A list's model names it first among its bases, before the model of its own filters:
    `class RosterFilters(PageParams, _RosterFilterFields)`. Pydantic orders fields from the last base
    to the first, so `limit` and `cursor` come after the filters in the OpenAPI parameter list (which
    clients generated from it follow), and a subclass's fields after them.
    """

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DEFAULT_PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT)
    cursor: str | None = Field(default=None, max_length=512)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="下一页游标；为 null 表示没有更多")
