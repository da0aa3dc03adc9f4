"""A recorded metric value: one revision of one entity's metric for one period."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from shared.schemas.common import ResponseModel
from shared.schemas.enums import MetricKind, MetricSource


class MetricRead(ResponseModel):
    id: int
    entity_id: uuid.UUID
    metric: MetricKind
    year: int
    month: int | None
    value: Decimal
    revision: int
    source: MetricSource
    source_ref: str | None
    recorded_at: dt.datetime
    recorded_by: str
