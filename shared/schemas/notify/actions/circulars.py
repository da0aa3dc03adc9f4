"""What a peer sends to issue a circular: `POST /api/v1/circulars`."""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from shared.schemas.common import LongText, Name, RegionCode, RequestModel, ShortText
from shared.schemas.notify.enums import CircularKind, Issuer, Urgency

MAX_DATA_DEPTH = 8
# What a webhook payload can carry: integers are sent as JSON numbers of at most 64 bits.
INT64 = range(-(2**63), 2**63)
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_.-]{0,59}$")]


def _hunan(code: str) -> str:
    if not code.startswith("43"):
        raise PydanticCustomError("region_unknown", "只能发往湖南省的行政区划（43 开头）")
    return code


HunanRegion = Annotated[RegionCode, AfterValidator(_hunan)]


def _check_json(value: Any, level: int = 1) -> None:
    """Refuse what JSONB or a webhook payload cannot hold (NUL in a string, an integer beyond 64 bits,
    a float that is not finite) and nesting deeper than `MAX_DATA_DEPTH`."""
    if level > MAX_DATA_DEPTH:
        raise PydanticCustomError("data_too_deep", f"结构化数据嵌套不能超过 {MAX_DATA_DEPTH} 层")
    if isinstance(value, str) and "\x00" in value:
        raise PydanticCustomError("string_nul_byte", "不允许包含 NUL 字符")
    if isinstance(value, int) and not isinstance(value, bool) and value not in INT64:
        raise PydanticCustomError("number_out_of_range", "整数超出 64 位范围")
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("number_not_finite", "数值须为有限数")
    if isinstance(value, float) and abs(value) >= 2**63:
        # JSONB keeps 1e20 as the integer 100000000000000000000, which a payload cannot carry either.
        raise PydanticCustomError("number_out_of_range", "数值超出 64 位整数范围")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_json(key, level)
            _check_json(item, level + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, level + 1)


def storable_json(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is not None:
        _check_json(data)
    return data


class Audience(BaseModel):
    """Who a circular is addressed to. Regions include everything below them; departments are
    registry department codes; topics and subscribers reach subscribed systems directly."""

    model_config = ConfigDict(extra="forbid")

    regions: list[HunanRegion] = Field(default_factory=list, max_length=200, description="地区（含下级）")
    departments: list[Code] = Field(default_factory=list, max_length=100, description="部门代码")
    topics: list[Code] = Field(default_factory=list, max_length=50, description="订阅主题")
    subscribers: list[uuid.UUID] = Field(default_factory=list, max_length=200, description="指定的接收系统")

    @model_validator(mode="after")
    def _not_empty(self) -> Audience:
        if not (self.regions or self.departments or self.topics or self.subscribers):
            raise PydanticCustomError("audience_empty", "至少指定一个地区、部门、主题或接收系统")
        self.regions = sorted(set(self.regions))
        self.departments = sorted(set(self.departments))
        self.topics = sorted(set(self.topics))
        self.subscribers = sorted(set(self.subscribers))
        return self


class SourceRef(BaseModel):
    """What a circular was made from (a dispatch round, say): one source yields at most one circular."""

    model_config = ConfigDict(extra="forbid")

    type: Code = Field(description="来源类型，如 round")
    id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$")
    ]


class CircularCreate(RequestModel):
    kind: CircularKind
    title: Name
    body: LongText = Field(default="", description="正文（Markdown）")
    data: Annotated[dict[str, Any] | None, AfterValidator(storable_json)] = Field(
        default=None, description="结构化数据（JSON），如排名表"
    )
    issuer: Issuer = Field(description="发文机关")
    urgency: Urgency = Urgency.routine
    audience: Audience
    recipients: list[ShortText] = Field(default_factory=list, max_length=50, description="主送机关（公文版式）")
    reply_deadline: AwareDatetime | None = Field(default=None, description="签收或回复截止时间")
    source: SourceRef | None = None
    publish: bool = Field(default=False, description="true：创建即发布（分配文号、投递、生成公文 PDF）")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "bulletin",
                    "title": "关于2026年第三季度“万千百”工程调度情况的通报",
                    "body": "各市州：\n\n现将第三季度调度情况通报如下。",
                    "data": {"ranking": [{"region_code": "430100", "rank": 1}]},
                    "issuer": "wqb_office",
                    "urgency": "routine",
                    "audience": {"regions": ["430000"]},
                    "source": {"type": "round", "id": "2026-Q3"},
                    "publish": True,
                }
            ]
        }
    )
