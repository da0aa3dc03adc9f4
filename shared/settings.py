"""Configuration common to every service, read only from environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BaseServiceSettings(BaseSettings):
    """Fields every service shares. Each service subclasses this with its own prefix-free fields."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL (postgresql://…). Unset: `make run` starts an embedded server.",
    )
    # A fixed pool: overflow connections are closed as soon as the pool is full again, so under a burst
    # every request past the pool size paid for a new PostgreSQL backend.
    db_pool_size: int = 20
    db_max_overflow: int = 0
    db_pool_timeout_s: float = 10.0
    db_pool_pre_ping: bool = False
    db_pool_recycle_s: int = 1800
    db_statement_timeout_ms: int = 30_000
    # The read lane (`shared.reads`): a second pool, on asyncpg alone, for the hot reads (the registry's
    # GET by id, the scheduler's task list): no ORM session and no transaction around a statement.
    db_read_pool_size: int = Field(default=20, ge=1)

    jwt_algorithms: list[str] = Field(default_factory=lambda: ["HS256"])
    jwt_secret: SecretStr | None = None
    jwt_public_key: str | None = None
    jwks_url: str | None = None
    jwt_issuer: str = "wanqianbai"
    jwt_audience: str = "wanqianbai"
    # Tokens already verified, kept until they expire (at most 5 minutes) so a client's every request
    # does not pay for the signature check again. 0 turns the cache off.
    jwt_cache_size: int = 1024
    service_token: SecretStr | None = Field(
        default=None, description="Bearer token this service presents to its peers."
    )

    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = 1 * 1024 * 1024
    max_upload_bytes: int = 50 * 1024 * 1024
    idempotency_ttl_hours: int = 48
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    access_log: bool = True
    otel_enabled: bool = False
    # Take the startup heap out of the cyclic GC's sight once the lifespan has opened everything
    # (`shared.app.freeze_startup_heap`); test harnesses that start an app per test turn it off.
    gc_freeze: bool = True
    # Background loops (imports, purges, ticks, deliveries) start with the app. The test harness turns
    # them off and drives each loop itself (`run_once`, `run_ticks`).
    run_loops: bool = True
    idempotency_purge_interval_s: float = 3600.0

    def sqlalchemy_url(self) -> str:
        """The configured URL with the asyncpg driver named, as SQLAlchemy wants it."""
        if self.database_url is None:
            raise RuntimeError("DATABASE_URL is not set")
        return to_asyncpg_url(self.database_url)


def asyncpg_dsn(url: str) -> str:
    """The URL as asyncpg itself takes it (`postgresql://…`, query string such as `?host=` kept)."""
    return "postgresql://" + to_asyncpg_url(url).removeprefix("postgresql+asyncpg://")


def to_asyncpg_url(url: str) -> str:
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")
