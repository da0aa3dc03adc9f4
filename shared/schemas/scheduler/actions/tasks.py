"""What an operator sends to file a report, and what a reviewer sends to accept or return it."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from shared.schemas.common import RequestModel, Text


class SubmissionCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "figures": {
                        "revenue_ytd": "86.5",
                        "progress": "新增订单 12 亿元",
                        "next_steps": "推进二期投产",
                    }
                }
            ]
        },
    )

    figures: dict[str, Any] = Field(
        max_length=100, description="按报表模板填报的各项；金额为十进制字符串（亿元），不接受浮点数"
    )


class ReviewAccept(RequestModel):
    comment: Text | None = None


class ReviewReturn(RequestModel):
    comment: Text = Field(min_length=1, description="退回原因（必填）")
