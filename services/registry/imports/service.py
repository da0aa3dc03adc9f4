"""Import jobs as the API sees them: accept an upload, show a job, list jobs. Running them is the runner's.

An upload is checked only for what can be told without reading it (who uploads, empty file, legacy
.xls); everything else is the job's to find and report row by row. The file is kept in the job row
until the job has run, so an accepted upload survives a restart.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath, PureWindowsPath

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.imports.parse import detect_format
from services.registry.imports.pipeline import ImportMode
from services.registry.imports.repository import ImportRepository
from services.registry.imports.schemas import ImportJobRead
from shared.auth import Principal, Role
from shared.context import RequestContext
from shared.errors import Forbidden, Invalid, NotFound
from shared.pagination import PageRequest
from shared.schemas.enums import EntityKind, ImportStatus

MAX_FILENAME = 255


def _filename(raw: str | None) -> str:
    """The name without any client-side directory, bounded to the column."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name
    return name.replace("\x00", "")[:MAX_FILENAME]


def job_read(row: RowMapping) -> ImportJobRead:
    return ImportJobRead.model_validate(dict(row))


class ImportService:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.repo = ImportRepository(session)
        self.principal = principal

    async def create_job(
        self, ctx: RequestContext, *, kind: EntityKind, mode: ImportMode, filename: str | None, content: bytes
    ) -> ImportJobRead:
        p = self.principal
        if p.role in (Role.viewer, Role.service):
            raise Forbidden("当前角色不能导入名单对象", code="role_read_only")
        if not content:
            raise Invalid.field("file", "上传的文件为空", "import_file_empty")
        file_format = detect_format(content)
        if file_format is None:
            raise Invalid.field(
                "file", "不支持的文件格式：请上传 CSV 或 XLSX（旧版 .xls 请另存为 .xlsx）", "import_format_unsupported"
            )
        row = await self.repo.insert_job(
            {
                "kind": kind.value,
                "file_format": file_format,
                "filename": _filename(filename),
                "mode": mode.value,
                "status": ImportStatus.pending.value,
                "content": content,
                "created_by": p.sub,
                "actor": {
                    "sub": p.sub,
                    "name": p.name,
                    "role": p.role.value,
                    "region": p.region,
                    "department": p.department,
                    "request_id": ctx.request_id,
                },
                "created_at": ctx.now,
            }
        )
        return job_read(row)

    async def get(self, job_id: uuid.UUID) -> ImportJobRead:
        row = await self.repo.get_job(job_id)
        if row is None or not (self.principal.is_admin or row["created_by"] == self.principal.sub):
            raise NotFound("导入任务不存在", code="import_job_not_found")
        return job_read(row)

    async def list(
        self, page: PageRequest, *, kind: EntityKind | None, status: ImportStatus | None
    ) -> tuple[list[ImportJobRead], str | None]:
        rows, cursor = await self.repo.list_jobs(
            page,
            created_by=None if self.principal.is_admin else self.principal.sub,
            kind=kind.value if kind else None,
            status=status.value if status else None,
        )
        return [job_read(r) for r in rows], cursor
