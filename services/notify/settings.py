from __future__ import annotations

from pydantic import Field

from shared.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    port: int = Field(default=8003, alias="NOTIFY_PORT")
    webhook_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts a webhook may name over http, on any port and address (internal receivers); JSON list.",
    )
    delivery_interval_s: float = Field(default=2.0, description="Seconds between the delivery loop's ticks.")
    delivery_concurrency: int = Field(
        default=64, ge=1, description="Webhook requests one process has in flight at once."
    )
    delivery_timeout_s: float = Field(default=15.0, gt=0)
    delivery_lease_s: float = Field(default=60.0, gt=0)
    secret_rotation_overlap_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    sse_poll_interval_s: float = Field(default=1.0, gt=0)
    sse_heartbeat_s: float = Field(default=15.0, gt=0)
