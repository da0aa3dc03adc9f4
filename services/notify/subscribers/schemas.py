"""Request and response models of subscribers (receiving systems) and their deliveries."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shared.schemas.common import Name, PageParams, RequestModel
from shared.schemas.notify.actions.circulars import Code, HunanRegion
from shared.schemas.notify.enums import DeliveryStatus, EventType, SubscriberStatus

WebhookUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
RateLimit = Annotated[int, Field(ge=1, le=10_000, description="每分钟最多投递次数；不填为不限")]


class SubscriberCreate(RequestModel):
    name: Name
    department: Code | None = Field(default=None, description="所属部门代码")
    region_code: HunanRegion = Field(description="所属地区")
    url: WebhookUrl = Field(description="接收 webhook 的地址（https；内网地址须在允许列表中）")
    event_types: list[EventType] = Field(default_factory=list, max_length=10, description="只接收这些事件；空为全部")
    topics: list[Code] = Field(default_factory=list, max_length=50, description="订阅的主题")
    rate_limit_per_minute: RateLimit | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "长沙市政务协同平台",
                    "region_code": "430100",
                    "url": "https://oa.changsha.example.cn/hooks/wanqianbai",
                    "event_types": ["circular.published", "circular.revoked"],
                    "topics": ["ranking"],
                    "rate_limit_per_minute": 60,
                }
            ]
        }
    )


class SubscriberUpdate(RequestModel):
    name: Name | None = None
    department: Code | None = None
    region_code: HunanRegion | None = None
    url: WebhookUrl | None = None
    event_types: list[EventType] | None = Field(default=None, max_length=10)
    topics: list[Code] | None = Field(default=None, max_length=50)
    rate_limit_per_minute: RateLimit | None = None
    status: SubscriberStatus | None = Field(default=None, description="active 重新启用（清除失败记录）或 disabled 停用")


class SubscriberRead(BaseModel):
    id: uuid.UUID
    name: str
    department: str | None
    region_code: str
    url: str
    event_types: list[EventType]
    topics: list[str]
    rate_limit_per_minute: int | None
    status: SubscriberStatus
    disabled_reason: str | None
    disabled_at: dt.datetime | None
    failing_since: dt.datetime | None
    secrets_active: int = Field(description="当前有效的签名密钥个数（轮换重叠期内为 2）")
    previous_secret_expires_at: dt.datetime | None = Field(description="轮换前密钥的失效时间")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class SubscriberCreated(SubscriberRead):
    secret: str = Field(description="签名密钥（whsec_…），仅在此显示一次")


class SecretRotate(RequestModel):
    overlap_hours: float | None = Field(default=None, gt=0, le=720, description="旧密钥继续签名的小时数，默认 24")


class SecretRotated(BaseModel):
    subscriber_id: uuid.UUID
    secret: str = Field(description="新的签名密钥，仅在此显示一次")
    previous_secret_expires_at: dt.datetime | None
    version: int


class ReplayRequest(RequestModel):
    since: AwareDatetime = Field(description="重放此时间以来创建的失败投递")


class Replayed(BaseModel):
    requeued: int
    delivery_ids: list[uuid.UUID]


class DeliveryRead(BaseModel):
    id: uuid.UUID
    subscriber_id: uuid.UUID
    circular_id: uuid.UUID | None
    event_type: EventType
    webhook_id: str
    status: DeliveryStatus
    attempts: int = Field(description="本轮已尝试次数")
    next_attempt_at: dt.datetime
    last_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime


class AttemptRead(BaseModel):
    attempt_no: int
    attempted_at: dt.datetime
    status_code: int | None
    latency_ms: int
    outcome: str
    error_code: str | None
    error_message: str | None
    response_excerpt: str = Field(description="响应体前 1 KB")


class _SubscriberFilterFields(BaseModel):
    status: SubscriberStatus | None = None
    region: HunanRegion | None = Field(default=None, description="所属地区（含下级）")
    topic: Code | None = None
    sort: str | None = Field(default=None, description="created_at（默认）或 name，前加 - 为倒序")


class SubscriberFilters(PageParams, _SubscriberFilterFields):
    pass


class _DeliveryFilterFields(BaseModel):
    subscriber_id: uuid.UUID | None = None
    status: DeliveryStatus | None = None
    sort: str | None = Field(default=None, description="created_at，前加 - 为倒序（默认 -created_at）")


class DeliveryFilters(PageParams, _DeliveryFilterFields):
    pass
