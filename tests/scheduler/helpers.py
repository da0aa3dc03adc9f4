"""Bodies and steps the scheduler's API tests share."""

from __future__ import annotations

from typing import Any

import httpx

from tests import factories
from tests.conftest import ADMIN


def plan(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "企业月度调度",
        "owner_department": "industry-it",
        "schedule": {"kind": "monthly", "day": 1, "at": "09:00"},
        "scope": {"kinds": ["enterprise"]},
        "submission_window": {"due_after_working_days": 5, "grace_working_days": 2},
        "reminders": [{"working_days_before_due": 1, "at": "09:00"}],
    } | overrides


async def create_plan(scheduler: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await scheduler.post("/api/v1/plans", json=plan(**overrides), headers=ADMIN)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_enterprise(registry: httpx.AsyncClient, n: int, **overrides: Any) -> dict[str, Any]:
    body = factories.enterprise(n, listed_on="2024-01-10", **overrides)
    response = await registry.post("/api/v1/enterprises", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
