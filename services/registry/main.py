"""The registry service: the programme's lists (名单) and their reference data. Port 8001."""

from __future__ import annotations

from fastapi import FastAPI

from services.registry.approvals.router import router as approvals_router
from services.registry.deps import RegistryState
from services.registry.entities.router import router as entities_router
from services.registry.events.router import router as events_router
from services.registry.history.router import router as history_router
from services.registry.imports.router import router as imports_router
from services.registry.imports.runner import ImportRunner
from services.registry.metrics.router import router as metrics_router
from services.registry.models import SCHEMA, tables
from services.registry.progress.router import router as progress_router
from services.registry.reference.router import router as reference_router
from services.registry.roster.router import listing_router as roster_listing_router
from services.registry.roster.router import router as roster_router
from services.registry.search.router import router as search_router
from services.registry.settings import Settings
from services.registry.tiers.router import router as tiers_router
from shared.app import create_service_app
from shared.auth import Role
from shared.db import Database
from shared.reads import ReadLane
from shared.schemas.enums import ENUM_TYPES

DESCRIPTION = """
湖南省产业发展“万千百”工程 **名单库**：省、市、县三级的产业、企业、项目名单，及其级别、目标层级、
地区、领域、培育路径、产业链、园区、牵头部门与责任人、指标、目标与动态调整，以及参考数据。

The registry of Hunan's 万千百 programme: industries, enterprises and projects at province, city and
county level, their roster and its adjustments, metrics, targets and progress, and reference data.

Conventions: bearer JWT on every `/api/v1` route; errors are `application/problem+json` with a stable
`code`; lists page by cursor (`limit`, `cursor` → `next_cursor`); `PATCH`/`DELETE` need `If-Match`;
creating `POST`s accept `Idempotency-Key`. Money is decimal 亿元.
"""


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    state = RegistryState(reads=ReadLane(), imports=ImportRunner(settings))
    return create_service_app(
        service="registry",
        schema=SCHEMA,
        title="万千百 registry（名单库）",
        description=DESCRIPTION,
        settings=settings,
        state=state,
        tables=tables,
        # In the order routes are tried: the programme's lists, the most requested, first.
        routers=[
            entities_router,
            approvals_router,
            history_router,
            search_router,
            reference_router,
            roster_router,
            roster_listing_router,
            metrics_router,
            progress_router,
            imports_router,
            tiers_router,
            events_router,
        ],
        enums=ENUM_TYPES | {"role": Role},
        lifespans=[state.reads.lifespan, state.imports.lifespan],
        upload_path_suffixes=("/imports",),
        database=database,
    )
