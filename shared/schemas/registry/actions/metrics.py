"""The body that records one metric value: sent by operators, and by the scheduler for an accepted report."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import ConfigDict, Field

from shared.schemas.common import RequestModel, ShortText, Yi
from shared.schemas.enums import MetricKind, MetricSource


class MetricCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entity_id": "4f6c2d0e-0000-4000-8000-000000000001",
                    "metric": "revenue",
                    "year": 2023,
                    "value": "126.4821",
                    "source": "manual",
                }
            ]
        },
    )

    entity_id: uuid.UUID
    metric: MetricKind
    year: Annotated[int, Field(ge=2000, le=2100)]
    month: Annotated[int | None, Field(ge=1, le=12, description="月份；年度值不填")] = None
    value: Yi = Field(description="指标值，单位：亿元")
    source: MetricSource = MetricSource.manual
    source_ref: ShortText | None = Field(default=None, description="来源标识，如调度轮次 ID")
