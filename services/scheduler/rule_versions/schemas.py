"""Supervision rules and the scoring profile as the API shows and changes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from shared.schemas.common import RequestModel


class RuleVersionRead(BaseModel):
    code: str = Field(description="规则代码，如 report_deadline、investment_lag")
    version: int = Field(description="参数版本：每次修改加 1；预警记录其产生时所用的版本")
    parameters: dict[str, Any] = Field(description="规则参数（阈值、天数等）")
    active: bool
    created_at: dt.datetime


class RuleUpdate(RequestModel):
    """The parameters to change (JSON merge: only the keys sent change); the result is a new version."""

    parameters: dict[str, Any] = Field(
        description="要修改的参数", json_schema_extra={"examples": [{"blue_within_days": 5}]}
    )


class ScoringProfileUpdate(RequestModel):
    """What to change of the active profile (each map merged key by key); the result is a new version."""

    weights: dict[str, Decimal] | None = None
    penalties: dict[str, Decimal] | None = None
    cutoffs: dict[str, Decimal] | None = None
