"""An import job as the registry reports it, with the rows it refused."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from shared.schemas.common import PageParams, ResponseModel
from shared.schemas.enums import EntityKind, ImportStatus


class ImportRowError(ResponseModel):
    row: int = Field(description="数据行号（表头为第 1 行）")
    column: str
    message: str
    code: str


class ImportJobRead(ResponseModel):
    id: uuid.UUID
    kind: EntityKind
    file_format: str
    filename: str
    mode: str
    status: str
    total: int
    processed: int
    created: int
    updated: int
    unchanged: int = Field(
        description="与已有记录一致、未作修改的行数（processed = created + updated + unchanged + 出错的行）"
    )
    error_count: int
    errors: list[ImportRowError]
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class _ImportFilterFields(BaseModel):
    kind: EntityKind | None = None
    status: ImportStatus | None = None


class ImportFilters(PageParams, _ImportFilterFields):
    """Query parameters of the import job list."""
