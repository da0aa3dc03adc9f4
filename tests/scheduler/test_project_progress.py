"""An accepted project report moves the project itself in the registry: its stage and approval states,
through the outbox, once, even when the registry was away at first; a refusal is settled and visible."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from sqlalchemy import null, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduler.models import outbox
from services.scheduler.tasks.figures import ProjectProgress, progress_update
from shared.db import Database
from shared.outbox import refused
from shared.schemas.enums import ProjectStage
from shared.schemas.registry.responses.entities import ProjectRead
from tests import factories
from tests.conftest import ADMIN, auth, scheduler_factory, scheduler_settings
from tests.harness import asgi_client, started
from tests.scheduler.helpers import create_plan
from tests.scheduler.test_rounds_and_tasks import Down

COUNTY = auth("county", "430104")
CITY = auth("city", "430100")
FIGURES = {
    "investment_period": "1.2",
    "investment_ytd": "3.4",
    "stage": "under_construction",
    "approval_filing": "approved",
    "eia": "approved",
    "land": "in_progress",
    "progress": "主体结构施工",
    "next_steps": "设备安装",
}
APPROVALS: list[dict[str, str | None]] = [
    {
        "kind": "eia",
        "state": "in_progress",
        "applied_on": "2024-01-05",
        "document_no": "长环评〔2024〕1号",
        "committed_completion_on": "2024-03-05",
    },
    {"kind": "land", "state": "in_progress", "applied_on": "2024-02-01"},
]


def project_read(**overrides: Any) -> ProjectRead:
    now = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    values = {
        "id": uuid.UUID(int=1),
        "kind": "project",
        "name": "测试项目1",
        "level": "county",
        "region_code": "430104",
        "domain": "industry_it",
        "pathway": None,
        "target_tier": "hundred_million",
        "lead_department_id": None,
        "roster_status": "listed",
        "listed_on": "2024-01-10",
        "version": 4,
        "created_at": now,
        "updated_at": now,
        "project_code": None,
        "owner_enterprise_id": None,
        "total_investment": "12.5",
        "stage": "signed",
        "planned_start_on": None,
        "planned_completion_on": None,
        "actual_start_on": None,
        "actual_completion_on": None,
        "approvals": [a | {"approved_on": None, "document_no": a.get("document_no")} for a in APPROVALS],
        "signing_event": None,
        "signed_on": None,
    } | overrides
    return ProjectRead.model_validate(values)


def progress(stage: str | None, **approvals: str) -> ProjectProgress:
    return ProjectProgress.model_validate(
        {"project_id": uuid.UUID(int=1), "period_key": "2026-12", "stage": stage, "approvals": approvals}
    )


def test_only_what_differs_is_written_and_the_approvals_keep_their_dates() -> None:
    update = progress_update(project_read(), progress("started", eia="approved", land="in_progress"))
    assert update is not None
    assert update.model_dump(mode="json", exclude_unset=True) == {
        "stage": "started",
        "approvals": [
            {
                "kind": "eia",
                "state": "approved",
                "applied_on": "2024-01-05",
                "approved_on": None,
                "document_no": "长环评〔2024〕1号",
                "committed_completion_on": "2024-03-05",
            },
            {
                "kind": "land",
                "state": "in_progress",
                "applied_on": "2024-02-01",
                "approved_on": None,
                "document_no": None,
                "committed_completion_on": None,
            },
        ],
    }


def test_a_new_approval_kind_is_added_and_a_same_stage_is_not_sent() -> None:
    update = progress_update(project_read(), progress("signed", approval_filing="approved"))
    assert update is not None
    assert update.model_dump(mode="json", exclude_unset=True)["approvals"][0] == {
        "kind": "approval_filing",
        "state": "approved",
        "applied_on": None,
        "approved_on": None,
        "document_no": None,
    }
    assert "stage" not in update.model_fields_set


def test_a_project_that_already_says_so_gets_no_write() -> None:
    assert progress_update(project_read(), progress("signed", eia="in_progress", land="in_progress")) is None
    assert progress_update(project_read(stage=ProjectStage.completed), progress(None)) is None


async def _accepted_project_report(
    database_url: str, db_connection: AsyncConnection, registry_app: Any, client: httpx.AsyncClient
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A project in the registry (stage signed, eia in progress) and its accepted report (under construction)."""
    created = await client.post(
        "/api/v1/projects",
        json=factories.project(1, listed_on="2024-01-10", stage="signed", approvals=APPROVALS),
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    project = created.json()
    async with (
        started(
            scheduler_factory(registry_app), scheduler_settings(database_url), Database.inside(db_connection)
        ) as app,
        asgi_client(app, "scheduler") as http,
    ):
        plan = await create_plan(http, scope={"kinds": ["project"]})
        now = dt.datetime.fromisoformat(plan["next_tick_at"]) + dt.timedelta(minutes=5)
        assert await app.state.platform.state.ticker.run_once(now) == 1
        [task] = (await http.get(f"/api/v1/tasks?plan_id={plan['id']}", headers=ADMIN)).json()["items"]
        submitted = await http.post(f"/api/v1/tasks/{task['id']}/submit", json={"figures": FIGURES}, headers=COUNTY)
        assert submitted.status_code == 200, submitted.text
        accepted = await http.post(f"/api/v1/tasks/{task['id']}/accept", headers=CITY)
        assert accepted.status_code == 200, accepted.text
    return project, task


async def test_the_stage_reaches_the_registry_once_even_when_it_was_down(
    database_url: str, db_connection: AsyncConnection, registry_app: Any, client: httpx.AsyncClient
) -> None:
    project, task = await _accepted_project_report(database_url, db_connection, registry_app, client)
    rows = (await db_connection.execute(select(outbox).order_by(outbox.c.id))).mappings().all()
    assert [(r["operation"], r["idempotency_key"]) for r in rows] == [
        ("record_metric", f"scheduler:report:{task['round_id']}:{project['id']}:investment_completed"),
        ("update_project", f"scheduler:report:{task['round_id']}:{project['id']}:progress"),
    ]
    assert rows[1]["payload"] == {
        "project_id": project["id"],
        "period_key": task["period_key"],
        "stage": "under_construction",
        "approvals": {"approval_filing": "approved", "eia": "approved", "land": "in_progress"},
    }
    down = Down(registry_app)
    async with started(
        scheduler_factory(registry_app, down), scheduler_settings(database_url), Database.inside(db_connection)
    ) as app:
        relay = app.state.platform.state.relay
        now = dt.datetime.now(dt.UTC)
        assert await relay.run_once(now) == 2
        write = (await db_connection.execute(select(outbox).where(outbox.c.id == rows[1]["id"]))).mappings().one()
        assert (write["attempts"], write["delivered_at"], write["last_error"][:16]) == (1, None, "peer_unavailable")
        down.up = True
        assert await relay.run_once(write["next_attempt_at"]) == 2
        # As if the answer had been lost: the same message delivered again writes nothing.
        await db_connection.execute(
            outbox.update().where(outbox.c.id == rows[1]["id"]).values(delivered_at=None, response=null())
        )
        assert await relay.run_once(write["next_attempt_at"] + dt.timedelta(days=1)) == 1
    write = (await db_connection.execute(select(outbox).where(outbox.c.id == rows[1]["id"]))).mappings().one()
    assert (write["attempts"], write["response"]) == (3, {"unchanged": True, "version": 2})
    after = (await client.get(f"/api/v1/projects/{project['id']}", headers=ADMIN)).json()
    assert (after["stage"], after["version"]) == ("under_construction", 2)
    assert [(a["kind"], a["state"], a["applied_on"]) for a in after["approvals"]] == [
        ("approval_filing", "approved", None),
        ("eia", "approved", "2024-01-05"),
        ("land", "in_progress", "2024-02-01"),
    ]
    feed = (await client.get("/api/v1/events?after=0&limit=1000", headers=ADMIN)).json()["items"]
    updates = [e for e in feed if e["resource_id"] == project["id"] and e["action"] == "updated"]
    assert [e["payload"]["stage"] for e in updates] == ["under_construction"]


async def test_a_version_that_moved_is_read_again_and_the_write_retried(
    database_url: str, db_connection: AsyncConnection, registry_app: Any, client: httpx.AsyncClient
) -> None:
    project, _ = await _accepted_project_report(database_url, db_connection, registry_app, client)

    class RenamedFirst(httpx.AsyncBaseTransport):
        """Someone renames the project between the relay's read and its write, once."""

        def __init__(self) -> None:
            self.real = httpx.ASGITransport(app=registry_app)
            self.methods: list[str] = []

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            self.methods.append(request.method)
            if request.method == "PATCH" and self.methods.count("PATCH") == 1:
                renamed = await client.patch(
                    f"/api/v1/projects/{project['id']}",
                    json={"name": "测试项目一期"},
                    headers=ADMIN | {"If-Match": '"1"'},
                )
                assert renamed.status_code == 200, renamed.text
            return await self.real.handle_async_request(request)

    transport = RenamedFirst()
    async with started(
        scheduler_factory(registry_app, transport), scheduler_settings(database_url), Database.inside(db_connection)
    ) as app:
        assert await app.state.platform.state.relay.run_once(dt.datetime.now(dt.UTC)) == 2
    assert [m for m in transport.methods if m != "POST"] == ["GET", "PATCH", "GET", "PATCH"]  # POST: the metric
    after = (await client.get(f"/api/v1/projects/{project['id']}", headers=ADMIN)).json()
    assert (after["name"], after["stage"], after["version"]) == ("测试项目一期", "under_construction", 3)


async def test_a_refusal_is_settled_visibly_and_not_retried(
    database_url: str, db_connection: AsyncConnection, registry_app: Any, client: httpx.AsyncClient
) -> None:
    project, _ = await _accepted_project_report(database_url, db_connection, registry_app, client)
    deleted = await client.delete(f"/api/v1/projects/{project['id']}", headers=ADMIN | {"If-Match": '"1"'})
    assert deleted.status_code == 204, deleted.text  # entered by mistake: no metric reached it yet
    async with started(
        scheduler_factory(registry_app), scheduler_settings(database_url), Database.inside(db_connection)
    ) as app:
        relay = app.state.platform.state.relay
        now = dt.datetime.now(dt.UTC)
        assert await relay.run_once(now) == 2
        assert await relay.run_once(now + dt.timedelta(days=7)) == 0  # neither is tried again
    rows = (await db_connection.execute(select(outbox).where(refused(outbox)))).mappings().all()
    assert sorted((r["operation"], r["attempts"], r["last_error"]) for r in rows) == [
        ("record_metric", 1, "refused: entity_not_found: 名单对象不存在"),
        ("update_project", 1, "refused: project_not_found: 项目不存在"),
    ]
    by_operation = {r["operation"]: r["response"] for r in rows}
    assert by_operation["update_project"] == {
        "refused": {"status": 404, "code": "project_not_found", "detail": "项目不存在"}
    }
    assert by_operation["record_metric"] == {
        "refused": {"status": 404, "code": "entity_not_found", "detail": "名单对象不存在"}
    }
