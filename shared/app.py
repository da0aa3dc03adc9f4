"""The kernel every service's app stands on: typed platform state, lifespans, middleware, errors,
operations endpoints.

A service writes `create_app(settings=None, *, database=None)` that calls `create_service_app` with
its settings, its own state object, the lifespans that open and close what that state holds (runners,
peer clients, loop services), its routers and its enumerations. Everything shared (engine and unit
of work, token verifier, audit log, idempotency records, metrics, logs, `/healthz`, `/readyz`,
`/metrics`, `/api/v1/enums`, `/api/v1/audit-events`) comes from here.
"""

from __future__ import annotations

import datetime as dt
import gc
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.audit import AuditLog, audit_router
from shared.auth import TokenVerifier
from shared.context import PrincipalDep
from shared.db import Database, create_engine
from shared.direct import direct_lane
from shared.errors import FieldError, Invalid, install_error_handlers
from shared.idempotency import IdempotencyPurge
from shared.logging import configure_logging, service_var
from shared.loops import LoopService
from shared.metrics import Metrics
from shared.middleware import PlatformMiddleware
from shared.migrate import current_revision, head_revision
from shared.openapi import install_openapi
from shared.schemas.enums import LabelledEnum
from shared.settings import BaseServiceSettings
from shared.tables import PlatformTables

log = logging.getLogger("wanqianbai.app")

API_PREFIX = "/api/v1"

SettingsT = TypeVar("SettingsT", bound=BaseServiceSettings)
StateT = TypeVar("StateT")


def api_router(**kwargs: Any) -> APIRouter:
    """An APIRouter under `/api/v1`; every service's resource routers are made with this."""
    return APIRouter(prefix=API_PREFIX, **kwargs)


@dataclass(eq=False)
class Platform(Generic[SettingsT, StateT]):
    """What a running service holds, typed by its settings and its own state; `app.state.platform`.

    A service reads it through a dependency of its own that names both types, e.g.
    `Platform[registry.Settings, RegistryState]`; the shared pieces (audit, idempotency, auth) read
    only the fields every service has.
    """

    service: str
    schema: str
    settings: SettingsT
    state: StateT
    metrics: Metrics
    verifier: TokenVerifier
    tables: PlatformTables
    audit: AuditLog
    head: str | None
    zone: ZoneInfo
    # The clock of the request path: every request's `now` (`RequestContext.now`, the direct reads' own);
    # the test harness pins it.
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    loops: list[LoopService] = field(default_factory=list)  # the kernel's own (a service's are in its state)
    _database: Database | None = None  # while the lifespan runs

    @property
    def database(self) -> Database:
        if self._database is None:
            raise RuntimeError(f"{self.service}: the app's lifespan has not started")
        return self._database

    @property
    def engine(self) -> AsyncEngine:
        return self.database.engine

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        return self.database.sessionmaker


# What a service contributes to its app's lifespan: opened in order at startup, closed in reverse.
Lifespan = Callable[[Platform[SettingsT, StateT]], AbstractAsyncContextManager[None]]


def platform_of(request: Request) -> Platform[Any, Any]:
    """The serving app's platform, for the pieces every service shares."""
    platform: Platform[Any, Any] = request.app.state.platform
    return platform


def create_service_app(
    *,
    service: str,
    schema: str,
    title: str,
    description: str,
    settings: SettingsT,
    state: StateT,
    tables: PlatformTables,
    routers: Sequence[APIRouter],
    enums: Mapping[str, type[LabelledEnum]],
    lifespans: Sequence[Lifespan[SettingsT, StateT]] = (),
    upload_path_suffixes: Sequence[str] = (),
    database: Database | None = None,
) -> FastAPI:
    """Build a service app. Nothing connects until the lifespan runs.

    `database` puts the app on a database it does not own (the test harness: one connection's
    transaction); otherwise the lifespan creates the engine from the settings and disposes of it.
    """
    configure_logging(settings.log_level)
    metrics = Metrics()
    platform = Platform(
        service=service,
        schema=schema,
        settings=settings,
        state=state,
        metrics=metrics,
        verifier=TokenVerifier(settings),
        tables=tables,
        audit=AuditLog(tables.audit_event),
        head=head_revision(service),
        zone=ZoneInfo(settings.timezone),
    )

    purge = IdempotencyPurge(
        tables.idempotency_record,
        ttl=dt.timedelta(hours=settings.idempotency_ttl_hours),
        interval_s=settings.idempotency_purge_interval_s,
    )
    platform.loops.append(purge)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service_var.set(service)  # inherited by every task the lifespans start
        owned = database is None
        platform._database = database or Database.on(create_engine(settings, application_name=service))
        metrics.watch_pool(platform.engine)
        try:
            async with AsyncExitStack() as stack:
                await stack.enter_async_context(purge.lifespan(platform))
                for contribute in lifespans:
                    await stack.enter_async_context(contribute(platform))
                if settings.gc_freeze:
                    freeze_startup_heap()
                yield
        finally:
            if owned:
                await platform.engine.dispose()
            platform._database = None

    # Swagger UI and ReDoc served from the service itself (fastapi-offline bundles their assets): a
    # government intranet usually has no route to a public CDN, where FastAPI's pages load them from.
    app = FastAPIOffline(
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
        service=service,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        is_upload_path=lambda path: bool(suffixes) and path.endswith(suffixes),
        access_log_enabled=settings.access_log,
    )
    # The service's own routes first: routes are tried in order, and the lists are the most requested.
    for router in (*routers, operations_router(platform), enums_router(enums), audit_router()):
        mount(app, router)
    # The docs' static files last: routes are tried in order, and those are the least requested.
    app.router.routes.sort(key=lambda route: not isinstance(route, APIRoute))
    # The direct lane, innermost of the app's own middleware (inside CORS, request ids, metrics, logs).
    # Not with OpenTelemetry on: FastAPI's telemetry traces each operation inside its own routing.
    lane = None if settings.otel_enabled else direct_lane(app, allowed_query_names)
    if lane is not None:
        app.user_middleware.append(lane)
    install_openapi(app)
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


class PlatformRoute(APIRoute):
    """A path operation that refuses query parameters it does not declare (422 `extra_forbidden`).

    One rule for every operation of every service, lists and single records alike: a misspelt
    filter is an error, never silently ignored. The names come from the operation's own parameters
    (query models' fields included) and those its `openapi_extra` documents, computed once.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        allowed = allowed_query_names(self)

        async def checked(request: Request) -> Response:
            if request.scope["query_string"]:
                unknown = [name for name in request.query_params if name not in allowed]
                if unknown:
                    errors = [FieldError(name, "不允许的字段", "extra_forbidden") for name in unknown]
                    raise Invalid("；".join(f"{name}: 不允许的字段" for name in unknown), errors=errors)
            return await handler(request)

        return checked


def allowed_query_names(route: APIRoute) -> frozenset[str]:
    """The query parameters an operation takes: declared in its signature or documented by itself."""
    return query_names(route.dependant) | documented_query_names(route.openapi_extra)


def query_names(dependant: Dependant) -> frozenset[str]:
    """Every query parameter an operation declares, through its dependencies and query models."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        pending.extend(current.dependencies)
        for param in current.query_params:
            model = param.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                names |= {info.alias or name for name, info in model.model_fields.items()}
            else:
                names.add(param.alias)
    return frozenset(names)


def documented_query_names(openapi_extra: Mapping[str, Any] | None) -> frozenset[str]:
    """Query parameters an operation documents itself (`shared.params.RequestParams`) and reads from the
    request rather than through its signature."""
    parameters = (openapi_extra or {}).get("parameters", [])
    return frozenset(p["name"] for p in parameters if p.get("in") == "query")


# `add_api_route` parameters that are not attributes of the route under the same name.
_MOUNT_FROM_ROUTE: dict[str, Callable[[APIRoute], Any]] = {"route_class_override": lambda _: PlatformRoute}


def mount(app: FastAPI, router: APIRouter) -> None:
    """Declare a router's path operations on the app itself, as `include_router` did before FastAPI 0.137.

    Since 0.137 `include_router` keeps the router as a subtree, which every request is matched against
    twice (once to choose the subtree, once inside it): ~30 µs of CPU per GET on the registry. Our
    routers carry their full prefix (`api_router`) and no router-level options, so each operation is
    re-declared as it is; the app's router then owns it (dependency overrides included), and its
    `path` is the whole template that metrics and logs label requests by.

    The options are read off `add_api_route`'s own signature, so one a FastAPI release adds is carried
    over, or fails here loudly (a route without that attribute) rather than being dropped.
    """
    parameters = inspect.signature(app.router.add_api_route).parameters
    options = [name for name in parameters if name not in {"path", "endpoint"}]
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"only path operations can be mounted, not {route!r}")
        kwargs: dict[str, Any] = {}
        for name in options:
            if name in _MOUNT_FROM_ROUTE:
                kwargs[name] = _MOUNT_FROM_ROUTE[name](route)
            elif hasattr(route, name):
                kwargs[name] = getattr(route, name)
            else:
                raise TypeError(f"add_api_route takes {name!r}, which mount() does not know how to carry over")
        app.router.add_api_route(route.path, route.endpoint, **kwargs)


def operations_router(platform: Platform[Any, Any]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="进程存活")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": platform.service}

    @router.get("/readyz", summary="数据库可达且迁移到最新版本", responses={503: {"description": "未就绪"}})
    async def readyz() -> Response:
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


def enums_router(enums: Mapping[str, type[LabelledEnum]]) -> APIRouter:
    """`GET /api/v1/enums`: the service's own enumerations, each code with its Chinese label."""
    router = api_router(tags=["reference"])
    listing = {name: [{"code": code, "label": label} for code, label in enum.choices()] for name, enum in enums.items()}

    @router.get("/enums", summary="枚举及中文名称")
    async def list_enums(_: PrincipalDep) -> dict[str, list[dict[str, str]]]:
        return listing

    return router
