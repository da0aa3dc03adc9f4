"""Request and response models of receipts (签收) that only notify's own routes use."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from shared.schemas.common import PageParams, RequestModel, Text
from shared.schemas.notify.enums import ReceiptAction, UnitType

UnitCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_.-]{0,59}$")]


class ReceiptActCreate(RequestModel):
    """Sign (签收) or return (退回, with a reason) a circular on behalf of one addressed unit."""

    unit_type: UnitType
    unit_code: UnitCode = Field(description="地区代码或部门代码")
    action: ReceiptAction = ReceiptAction.sign
    reason: Text | None = Field(default=None, description="退回原因（退回时必填）")

    @model_validator(mode="after")
    def _reason(self) -> ReceiptActCreate:
        if self.action is ReceiptAction.return_ and not self.reason:
            raise PydanticCustomError("receipt_reason_required", "退回须说明原因")
        return self


class _UnsignedFilterFields(BaseModel):
    unsigned_for_days: int = Field(default=0, ge=0, le=3650, description="发布已满的天数")


class UnsignedFilters(PageParams, _UnsignedFilterFields):
    pass
