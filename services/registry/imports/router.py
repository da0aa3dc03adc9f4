"""HTTP for bulk imports (/imports) and exports (/exports/{industries|enterprises|projects}).

No `from __future__ import annotations`: the export routes are built per kind inside `_mount_export`,
and FastAPI must see their annotations as objects, not strings naming function-local aliases.
"""

import uuid
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse

from services.registry.deps import ImportRunnerDep
from services.registry.entities.kinds import KINDS, KindSpec
from services.registry.imports.exports import MEDIA_TYPES, Export, content_disposition, export_filters
from services.registry.imports.pipeline import ImportMode
from services.registry.imports.schemas import ImportFilters, ImportJobRead
from services.registry.imports.service import ImportService
from shared.app import api_router
from shared.context import ContextDep, PrincipalDep
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.pagination import PageRequest
from shared.schemas.common import Page
from shared.schemas.enums import EntityKind

router = api_router()

IMPORT_DESCRIPTION = """
Upload a CSV (UTF-8 with or without BOM, or GB18030) or XLSX file of industries, enterprises or
projects. The file's first row is the header: Chinese column names (名称, 级别, 行政区划代码, 领域,
培育路径, 目标层级, 牵头部门, 统一社会信用代码, 标签, 项目代码, 总投资（亿元）, 阶段, …) or their English
field names. Enumerations take the English code or the Chinese label (省级, 万亿级, 工业和信息化); labels
are separated by ； or 、. Every row goes through the same rules as `POST /{kind}` and the caller's
write scope. Enterprises are matched by USCC, projects by project code, industries by name + level +
region: a match is updated (a change of level, region or tier is a row error: those change only
through roster adjustments), anything else is created and listed. An exported file imports as it is.

`all_or_nothing` (default): one bad row and nothing is written. `valid_rows`: the good rows are written,
the bad ones reported. The job runs in the background: follow `GET /imports/{id}` (`processed` of
`total`, then `status` succeeded or failed, `created`, `updated`, `unchanged` (rows matching a record
they leave as it is), and row errors with row number (header = row 1; row 0 = the file as a whole),
column, message and code). Every processed row is created, updated, unchanged or refused.
"""


async def _service(session: SessionDep, principal: PrincipalDep) -> ImportService:
    return ImportService(session, principal)


ServiceDep = Annotated[ImportService, Depends(_service)]


@router.post(
    "/imports",
    response_model=ImportJobRead,
    status_code=202,
    tags=["imports"],
    summary="批量导入产业、企业或项目（CSV / XLSX，后台执行；支持 Idempotency-Key）",
    description=IMPORT_DESCRIPTION,
    responses={403: {"description": "只读角色不能导入"}, 422: {"description": "空文件或不支持的格式"}},
)
async def create_import(
    svc: ServiceDep,
    ctx: ContextDep,
    runner: ImportRunnerDep,
    background: BackgroundTasks,
    idem: IdempotencyDep,
    file: Annotated[UploadFile, File(description="CSV 或 XLSX 文件，最大 50 MiB")],
    kind: Annotated[EntityKind, Form(description="industry、enterprise 或 project")],
    mode: Annotated[ImportMode, Form(description="all_or_nothing（默认）或 valid_rows")] = ImportMode.all_or_nothing,
) -> Response:
    if idem.replay is not None:  # the first upload's job is already queued
        return idem.replay.to_response()
    job = await svc.create_job(ctx, kind=kind, mode=mode, filename=file.filename, content=await file.read())
    # Runs after the response, so after the request's transaction has committed the job row.
    background.add_task(runner.submit, job.id)

    async def accepted() -> ImportJobRead:
        return job

    return await idem.run(accepted, status_code=202, location=lambda j: f"/api/v1/imports/{j.id}")


@router.get("/imports", response_model=Page[ImportJobRead], tags=["imports"], summary="导入任务（本人的；管理员全部）")
async def list_imports(svc: ServiceDep, filters: Annotated[ImportFilters, Query()]) -> Page[ImportJobRead]:
    page = PageRequest(limit=filters.limit, cursor=filters.cursor)
    items, next_cursor = await svc.list(page, kind=filters.kind, status=filters.status)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/imports/{id}", response_model=ImportJobRead, tags=["imports"], summary="一个导入任务：进度、结果与错误")
async def get_import(id: uuid.UUID, svc: ServiceDep) -> ImportJobRead:
    return await svc.get(id)


def _mount_export(spec: KindSpec) -> None:
    filters_model = export_filters(spec)
    Filters = Annotated[filters_model, Query()]  # type: ignore[valid-type]

    @router.get(
        f"/exports/{spec.path}",
        tags=["exports"],
        name=f"export_{spec.path}",
        summary=f"导出{spec.label}名单（CSV / XLSX，筛选条件同列表，不分页）",
        response_class=StreamingResponse,
        responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
    )
    async def export_items(request: Request, principal: PrincipalDep, ctx: ContextDep, params: Filters) -> Any:
        values: dict[str, Any] = dict(params)
        file_format = values.pop("format")
        export = Export(
            request.app.state.platform.sessionmaker,
            spec,
            principal,
            spec.filters.model_validate(values),
            ctx.zone,
            ctx.now,
        )
        headers = {"Content-Disposition": content_disposition(spec, file_format, ctx.today)}
        return StreamingResponse(export.stream(file_format), media_type=MEDIA_TYPES[file_format], headers=headers)


for _spec in KINDS.values():
    _mount_export(_spec)
