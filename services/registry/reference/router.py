"""HTTP for regions and the declared reference resources.

No `from __future__ import annotations` here: the routes are built per resource inside `_mount`, and
FastAPI must see their annotations as real objects, not strings naming function-local aliases.
"""

import uuid
from typing import Annotated, Any

from fastapi import Depends, Query, Response

from services.registry.access import AccessDep
from services.registry.reference.resources import RESOURCES, ReferenceResource
from services.registry.reference.service import ReferenceService, RegionService
from shared.app import api_router
from shared.audit import AuditDep
from shared.concurrency import IfMatchDep, set_etag
from shared.context import ContextDep, PrincipalDep
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.schemas.common import Page
from shared.schemas.enums import Level
from shared.schemas.registry.responses.reference import RegionDetail, RegionRead

router = api_router(tags=["reference"])


async def _regions(session: SessionDep) -> RegionService:
    return RegionService(session)


RegionServiceDep = Annotated[RegionService, Depends(_regions)]


@router.get("/regions", response_model=Page[RegionRead], summary="湖南省行政区划（GB/T 2260）")
async def list_regions(
    svc: RegionServiceDep,
    _: PrincipalDep,
    level: Level | None = None,
    parent: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> Page[RegionRead]:
    return Page(items=await svc.list(level=level, parent=parent), next_cursor=None)


@router.get("/regions/{code}", response_model=RegionDetail, summary="一个行政区划及其直接下级")
async def get_region(code: str, svc: RegionServiceDep, _: PrincipalDep) -> RegionDetail:
    return await svc.get(code)


def _mount(resource: ReferenceResource) -> None:
    async def service(session: SessionDep, access: AccessDep, audit: AuditDep) -> ReferenceService:
        return ReferenceService(session, resource, access, audit)

    ServiceDep = Annotated[ReferenceService, Depends(service)]
    Filters = Annotated[resource.filters, Query()]  # type: ignore[name-defined]
    label = resource.label
    path = f"/{resource.path}"
    noun = resource.path.replace("-", "_")

    @router.get(path, response_model=Page[resource.read], summary=f"{label}列表", name=f"list_{noun}")  # type: ignore[name-defined]
    async def list_items(svc: ServiceDep, filters: Filters) -> Any:
        items, cursor = await svc.list(filters)
        return {"items": items, "next_cursor": cursor}

    @router.get(path + "/{id}", response_model=resource.read, summary=f"一个{label}", name=f"get_{noun}")
    async def get_item(id: uuid.UUID, svc: ServiceDep, response: Response) -> Any:
        item = await svc.get(id)
        set_etag(response, item.version)  # type: ignore[attr-defined]
        return item

    @router.post(path, response_model=resource.read, status_code=201, summary=f"新增{label}", name=f"create_{noun}")
    async def create_item(
        body: resource.create,  # type: ignore[name-defined]
        svc: ServiceDep,
        ctx: ContextDep,
        idem: IdempotencyDep,
    ) -> Response:
        return await idem.run(
            lambda: svc.create(ctx, body),
            location=lambda r: f"/api/v1{path}/{r.id}",
            etag=lambda r: f'"{r.version}"',
        )

    @router.patch(
        path + "/{id}", response_model=resource.read, summary=f"修改{label}（需 If-Match）", name=f"update_{noun}"
    )
    async def update_item(
        id: uuid.UUID,
        body: resource.update,  # type: ignore[name-defined]
        svc: ServiceDep,
        ctx: ContextDep,
        version: IfMatchDep,
        response: Response,
    ) -> Any:
        item = await svc.update(ctx, id, version, body)
        set_etag(response, item.version)  # type: ignore[attr-defined]
        return item

    @router.delete(
        path + "/{id}", status_code=204, summary=f"删除{label}（需 If-Match；被引用时 409）", name=f"delete_{noun}"
    )
    async def delete_item(id: uuid.UUID, svc: ServiceDep, ctx: ContextDep, version: IfMatchDep) -> Response:
        await svc.delete(ctx, id, version)
        return Response(status_code=204)


for _resource in RESOURCES:
    _mount(_resource)
