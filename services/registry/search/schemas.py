"""`GET /search`: the query it takes and the hits it gives."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from shared.schemas.common import PageParams, RegionCode, ResponseModel
from shared.schemas.enums import EntityKind, Level, RosterStatus, SearchField, Tier

SearchText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class _SearchFilterFields(BaseModel):
    q: SearchText = Field(
        description="名称中的文字（中文可用，至少 1 个字）、统一社会信用代码或项目代码（前缀即可，不区分大小写）"
    )
    kind: EntityKind | None = Field(default=None, description="只搜一类：industry、enterprise、project")
    region: RegionCode | None = Field(default=None, description="地区，含下级地区")
    roster_status: RosterStatus | None = Field(default=None, description="名单状态；不填为全部")


class SearchFilters(PageParams, _SearchFilterFields):
    """Query parameters of the search."""


class SearchHit(ResponseModel):
    kind: EntityKind
    id: uuid.UUID
    name: str
    level: Level
    region_code: str
    target_tier: Tier
    roster_status: RosterStatus
    uscc: str | None = Field(description="企业的统一社会信用代码；其他类为 null")
    project_code: str | None = Field(description="项目代码；其他类或未赋码为 null")
    matched: list[SearchField] = Field(
        description="命中的字段：name 名称、uscc 统一社会信用代码、project_code 项目代码"
    )
    score: Decimal = Field(
        description="相关度，越大越靠前：代码完全相同 5；名称完全相同 3、以查询开头 2、包含 1，"
        "再加查询长度与名称（代码）长度之比；代码前缀 2 加长度之比"
    )


SEARCH_EXAMPLE: dict[str, Any] = {
    "items": [
        {
            "kind": "industry",
            "id": "4f6c2d0e-0000-4000-8000-000000000011",
            "name": "工程机械",
            "level": "province",
            "region_code": "430000",
            "target_tier": "trillion",
            "roster_status": "listed",
            "uscc": None,
            "project_code": None,
            "matched": ["name"],
            "score": "4.0000",
        },
        {
            "kind": "enterprise",
            "id": "4f6c2d0e-0000-4000-8000-000000000012",
            "name": "工程机械配件有限公司",
            "level": "city",
            "region_code": "430100",
            "target_tier": "ten_billion",
            "roster_status": "listed",
            "uscc": "91430100MA4L7K3PXH",
            "project_code": None,
            "matched": ["name"],
            "score": "2.4000",
        },
    ],
    "next_cursor": None,
}
