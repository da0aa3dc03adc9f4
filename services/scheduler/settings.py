from __future__ import annotations

from pydantic import Field

from shared.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    port: int = Field(default=8002, alias="SCHEDULER_PORT")
    registry_url: str = Field(default="http://127.0.0.1:8001", description="The registry's base URL.")
    tick_interval_s: float = Field(default=30.0, gt=0, description="Seconds between the round ticker's ticks.")
    tick_lease_s: float = Field(
        default=120.0, gt=0, description="How long a replica holds a due plan before another may take it over."
    )
    relay_interval_s: float = Field(default=5.0, gt=0, description="Seconds between the outbox relay's ticks.")
    rounds_ahead: int = Field(default=3, ge=1, le=24, description="Future rounds kept scheduled per active plan.")
    relay_backoff_max_s: float = Field(default=3600.0, gt=0, description="Longest wait between two delivery tries.")
    notify_url: str = Field(default="http://127.0.0.1:8003", description="notify's base URL (circulars).")
    sweep_interval_s: float = Field(
        default=900.0, gt=0, description="Seconds between supervision sweeps (findings, reminders, case deadlines)."
    )
    escalation_interval_s: float = Field(default=3600.0, gt=0, description="Seconds between problem escalation passes.")
    feed_interval_s: float = Field(
        default=10.0,
        gt=0,
        description="Seconds between reads of the registry's change feed (roster changes).",
    )
