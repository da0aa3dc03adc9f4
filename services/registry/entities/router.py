"""HTTP for /industries, /enterprises and /projects: the same verbs, declared once per kind.

No `from __future__ import annotations`: routes are built per kind inside `_mount`, and FastAPI must
see their annotations as objects, not strings naming function-local aliases.
"""

import datetime as dt
import re
import uuid
from enum import Enum
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response

from services.registry.access import AccessDep
from services.registry.deps import registry_platform, request_reader
from services.registry.entities.kinds import KINDS, KindSpec
from services.registry.entities.service import EntityService, read_one, read_page
from services.registry.pointintime import KnownAt, PointInTime, point_in_time
from shared.app import API_PREFIX, api_router
from shared.audit import AuditDep
from shared.auth import authenticate
from shared.concurrency import IfMatchDep, etag_for, set_etag, versioned_json
from shared.context import ContextDep, local_date
from shared.db import SessionDep
from shared.direct import direct
from shared.idempotency import IdempotencyDep
from shared.params import RequestParams
from shared.schemas.common import Page

router = api_router()
KnownAtQuery = Annotated[KnownAt | None, Query()]
AsOfQuery = Annotated[
    dt.date | None,
    Query(description="按某一日期读取：级别、层级、地区、名单状态与规模取当日值；当日尚未纳入名单的为 404"),
]
# An id pydantic takes as it is: `uuid.UUID` gives the same value without validating it again.
_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _mount(spec: KindSpec) -> None:
    async def service(session: SessionDep, access: AccessDep, audit: AuditDep, ctx: ContextDep) -> EntityService:
        return EntityService(session, spec, access, audit, ctx.today)

    ServiceDep = Annotated[EntityService, Depends(service)]
    Filters = Annotated[spec.filters, Query()]  # type: ignore[name-defined]
    label, path, noun = spec.label, f"/{spec.path}", spec.path.replace("-", "_")
    singular = spec.kind.value
    tags: list[str | Enum] = [spec.path]

    def list_parameters(filters: Filters) -> None:
        """What a list takes: documented, and validated by the filters' model (`RequestParams`)."""

    list_params = RequestParams(API_PREFIX + path, list_parameters, shared_schemas=True)

    @router.get(
        path,
        response_model=Page[spec.read],  # type: ignore[name-defined]
        tags=tags,
        name=f"list_{noun}",
        summary=f"{label}名单（筛选、搜索、游标分页、as_of 历史名单、known_at 当时登记的名单）",
        openapi_extra={"parameters": list_params.openapi()},
    )
    @direct
    async def list_items(request: Request) -> Response:
        # On the read lane, outside any unit of work, like a GET by id, and served by the direct lane.
        # The filters are read here (`list_params`: the model validates them, the same values and 422s
        # as FastAPI's solving of the 20-field query model, which cost more than writing the page).
        principal = await authenticate(request)
        filters = list_params.parse(request)["filters"]
        platform = registry_platform(request)
        page = await read_page(request_reader(request), spec, principal, filters, platform.clock(), platform.zone)
        return Response(page.json(), media_type="application/json")  # `Page[spec.read]`, written from the rows

    def get_parameters(id: uuid.UUID, as_of: AsOfQuery = None, known_at: KnownAtQuery = None) -> None:
        """What GET by id takes: documented, and validated when the request is not a plain one."""

    get_params = RequestParams(API_PREFIX + path + "/{id}", get_parameters)

    @router.get(
        path + "/{id}",
        response_model=spec.read,
        tags=tags,
        name=f"get_{singular}",
        summary=f"一个{label}（as_of：某一日期的名单状态与规模；known_at：某一时刻登记的情况）",
        openapi_extra={"parameters": get_params.openapi()},
    )
    @direct
    async def get_item(request: Request) -> Response:
        # The most requested call, served by the direct lane: the caller and the read lane are resolved
        # here rather than as dependencies, and so are the parameters: a canonical UUID without a query
        # string needs no validation, anything else is validated as FastAPI would (`get_params`, same
        # values, same 422). Same checks, same errors.
        raw_id = request.path_params["id"]
        if not request.scope["query_string"] and _CANONICAL_UUID.fullmatch(raw_id):
            entity_id, as_of, known_at = uuid.UUID(raw_id), None, None
        else:
            values = get_params.parse(request)
            entity_id, as_of, known_at = values["id"], values["as_of"], values["known_at"]
        principal = await authenticate(request)
        platform = registry_platform(request)
        zone, now = platform.zone, platform.clock()
        point = PointInTime(as_of) if known_at is None else point_in_time(as_of, known_at, now=now, zone=zone)
        record = await read_one(request_reader(request), spec, principal, entity_id, local_date(now, zone), point)
        return versioned_json(record.json(), record.version)  # `spec.read`, written from the row

    @router.post(
        path,
        response_model=spec.read,
        status_code=201,
        tags=tags,
        name=f"create_{singular}",
        summary=f"新增{label}并纳入名单（支持 Idempotency-Key）",
        responses={409: {"description": "唯一编码重复，返回已存在记录的 existing_id"}},
    )
    async def create_item(
        body: spec.create,  # type: ignore[name-defined]
        svc: ServiceDep,
        ctx: ContextDep,
        idem: IdempotencyDep,
    ) -> Response:
        return await idem.run(
            lambda: svc.create(ctx, body),
            location=lambda r: f"/api/v1{path}/{r.id}",
            etag=lambda r: etag_for(r.version),
        )

    @router.patch(
        path + "/{id}",
        response_model=spec.read,
        tags=tags,
        name=f"update_{singular}",
        summary=f"修改{label}的描述信息（需 If-Match；级别、层级与名单状态经名单调整修改）",
    )
    async def update_item(
        id: uuid.UUID,
        body: spec.update,  # type: ignore[name-defined]
        svc: ServiceDep,
        ctx: ContextDep,
        version: IfMatchDep,
        response: Response,
    ) -> Any:
        item = await svc.update(ctx, id, version, body)
        set_etag(response, item.version)  # type: ignore[attr-defined]
        return item

    @router.delete(
        path + "/{id}",
        status_code=204,
        tags=tags,
        name=f"delete_{singular}",
        summary=f"删除误录的{label}（需 If-Match；已有历史的 409，应通过名单调整移出）",
    )
    async def delete_item(id: uuid.UUID, svc: ServiceDep, ctx: ContextDep, version: IfMatchDep) -> Response:
        await svc.delete(ctx, id, version)
        return Response(status_code=204)


for _spec in KINDS.values():
    _mount(_spec)
