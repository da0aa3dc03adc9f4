"""The steps every service's app factory shares: state, middleware, errors, operations endpoints."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.audit import AuditLog, audit_router
from shared.auth import Role, TokenVerifier
from shared.context import PrincipalDep
from shared.db import PoolReader, Reader, create_engine, create_sessionmaker
from shared.errors import install_error_handlers
from shared.logging import configure_logging
from shared.metrics import Metrics
from shared.middleware import PlatformMiddleware
from shared.migrate import current_revision, head_revision
from shared.schemas.enums import ENUM_TYPES
from shared.settings import BaseServiceSettings
from shared.tables import PlatformTables

log = logging.getLogger("wanqianbai.app")

API_PREFIX = "/api/v1"


def api_router(**kwargs: Any) -> APIRouter:
    """An APIRouter under `/api/v1`; every service's resource routers are made with this."""
    return APIRouter(prefix=API_PREFIX, **kwargs)


@dataclass
class Platform:
    """Typed state a service's lifespan builds; reachable as `app.state.platform`."""

    service: str
    schema: str
    settings: BaseServiceSettings
    metrics: Metrics
    verifier: TokenVerifier
    tables: PlatformTables
    audit: AuditLog
    head: str | None
    zone: ZoneInfo
    engine: AsyncEngine | None = None
    sessionmaker: async_sessionmaker[AsyncSession] | None = None
    reader: Reader | None = None  # the read lane (`shared.db.request_reader`)
    extras: dict[str, Any] = field(default_factory=dict)


StartupHook = Callable[[FastAPI, Platform], AbstractAsyncContextManager[None]]


def create_service_app(
    *,
    service: str,
    schema: str,
    title: str,
    description: str,
    settings: BaseServiceSettings,
    tables: PlatformTables,
    routers: Sequence[APIRouter],
    upload_path_suffixes: Sequence[str] = (),
    startup: StartupHook | None = None,
    engine: AsyncEngine | None = None,
) -> FastAPI:
    """Build a service app. Nothing connects until the lifespan runs; `engine` lets tests inject one."""
    configure_logging(service, settings.log_level)
    metrics = Metrics(service)
    platform = Platform(
        service=service,
        schema=schema,
        settings=settings,
        metrics=metrics,
        verifier=TokenVerifier(settings),
        tables=tables,
        audit=AuditLog(tables.audit_event),
        head=head_revision(service),
        zone=ZoneInfo(settings.timezone),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owns_engine = engine is None
        platform.engine = engine or create_engine(settings, application_name=service)
        platform.sessionmaker = platform.sessionmaker or create_sessionmaker(platform.engine)
        metrics.watch_pool(platform.engine)
        reads = await PoolReader.open(settings, application_name=service)
        platform.reader = reads
        metrics.watch_reads(reads)
        try:
            async with startup(app, platform) if startup is not None else nullcontext():
                freeze_startup_heap()
                yield
        finally:
            await reads.close()
            if owns_engine:
                await platform.engine.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_tags=[{"name": "operations", "description": "健康检查与监控"}],
        # FastAPI's native OpenTelemetry consults the global providers on every request; the platform
        # reports through Prometheus and its JSON logs unless OTEL_ENABLED turns it on.
        telemetry=None if settings.otel_enabled else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.platform = platform
    install_error_handlers(app)
    suffixes = tuple(upload_path_suffixes)
    if settings.cors_origins:  # none allowed (the default): no CORS layer at all on the request path
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "X-Request-ID",
                "traceparent",
            ],
            expose_headers=["ETag", "Location", "X-Request-ID", "traceparent", "Idempotent-Replayed"],
        )
    app.add_middleware(
        PlatformMiddleware,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        is_upload_path=lambda path: bool(suffixes) and path.endswith(suffixes),
        access_log_enabled=settings.access_log,
    )
    # The service's own routes first: routes are tried in order, and the lists are the most requested.
    for router in (*routers, operations_router(platform), enums_router(), audit_router()):
        mount(app, router)
    return app


def freeze_startup_heap() -> None:
    """Take what startup built out of the cyclic garbage collector's sight (`gc.freeze`).

    A service holds a few hundred thousand long-lived objects (SQLAlchemy, pydantic and FastAPI
    models, routes); every request allocates enough to trigger collections, and each older-generation
    collection walked all of them again: about a quarter of the CPU of a GET by id under load. Frozen
    objects are still freed as usual when their last reference goes; only cycles among them are no
    longer collected, and startup objects live as long as the process.
    """
    gc.collect()
    gc.freeze()


def mount(app: FastAPI, router: APIRouter) -> None:
    """Declare a router's path operations on the app itself, as `include_router` did before FastAPI 0.137.

    Since 0.137 `include_router` keeps the router as a subtree, which every request is matched against
    twice (once to choose the subtree, once inside it): ~30 µs of CPU per GET on the registry. Our
    routers carry their full prefix (`api_router`) and no router-level options, so each operation is
    re-declared as it is; the app's router then owns it (dependency overrides included), and its
    `path` is the whole template that metrics and logs label requests by.
    """
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"only path operations can be mounted, not {route!r}")
        app.router.add_api_route(
            route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=route.tags,
            dependencies=route.dependencies,
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=route.responses,
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            generate_unique_id_function=route.generate_unique_id_function,
            strict_content_type=route.strict_content_type,
            max_body_size=route.max_body_size,
        )


def operations_router(platform: Platform) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="进程存活")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": platform.service}

    @router.get("/readyz", summary="数据库可达且迁移到最新版本", responses={503: {"description": "未就绪"}})
    async def readyz() -> Response:
        assert platform.engine is not None
        try:
            current = await current_revision(platform.engine, platform.schema)  # a round trip: reachable
        except Exception as exc:  # any failure to reach the database means not ready
            log.warning("readiness check failed: %s", type(exc).__name__)
            return JSONResponse({"status": "unavailable", "reason": "database_unreachable"}, status_code=503)
        if current != platform.head:
            return JSONResponse(
                {"status": "unavailable", "reason": "schema_not_at_head", "current": current, "head": platform.head},
                status_code=503,
            )
        return JSONResponse({"status": "ready", "schema_revision": current})

    @router.get("/metrics", summary="Prometheus 指标", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(platform.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def enums_router() -> APIRouter:
    router = api_router(tags=["reference"])
    listing = {
        name: [{"code": code, "label": label} for code, label in enum.choices()]
        for name, enum in (ENUM_TYPES | {"role": Role}).items()
    }

    @router.get("/enums", summary="枚举及中文名称")
    async def list_enums(_: PrincipalDep) -> dict[str, list[dict[str, str]]]:
        return listing

    return router
