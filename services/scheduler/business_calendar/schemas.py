"""The business calendar's admin bodies and answers (the office enters the State Council's arrangement)."""

from __future__ import annotations

import datetime as dt

from pydantic import ConfigDict, Field

from shared.schemas.common import RequestModel, ResponseModel, Text


class OverrideCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"day": "2027-02-06", "working": True, "note": "春节调休上班"}]}
    )

    day: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))
    working: bool = Field(description="true：工作日（含调休上班）；false：休息日（含法定节假日）")
    note: Text = ""


class OverrideUpdate(RequestModel):
    working: bool | None = None
    note: Text | None = None


class OverrideRead(ResponseModel):
    day: dt.date
    working: bool
    note: str
    updated_by: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class YearCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"year": 2027, "note": "国办发明电〔2026〕7号"}]})

    year: int = Field(ge=2000, le=2100)
    note: Text = ""


class YearRead(ResponseModel):
    year: int
    note: str
    completed_by: str
    created_at: dt.datetime
