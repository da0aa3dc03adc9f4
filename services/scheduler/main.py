"""The scheduler service: dispatch plans, their rounds and report tasks (定期调度). Port 8002."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import RowMapping

from services.scheduler.business_calendar.router import router as calendar_router
from services.scheduler.cases.router import router as cases_router
from services.scheduler.cases.schemas import CaseState
from services.scheduler.circulars import delivery
from services.scheduler.circulars.compose import NOTIFY, REQUEST_CIRCULAR
from services.scheduler.deps import SchedulerState
from services.scheduler.escalation import CoordinationLevel, ProblemAction, ProblemState
from services.scheduler.findings.router import router as findings_router
from services.scheduler.findings.schemas import FindingRule, FindingState
from services.scheduler.findings.sweep_loop import SupervisionSweep
from services.scheduler.models import SCHEMA, outbox, tables
from services.scheduler.peers import Peers
from services.scheduler.plans.router import router as plans_router
from services.scheduler.problems.escalation_loop import ProblemEscalation
from services.scheduler.problems.router import router as problems_router
from services.scheduler.problems.schemas import ProblemCategory, ProblemSource
from services.scheduler.roster_feed.follower import RosterFeedFollower
from services.scheduler.rounds.router import router as rounds_router
from services.scheduler.rounds.ticker import RoundTicker
from services.scheduler.rule_versions.router import router as rule_versions_router
from services.scheduler.rules import Colour
from services.scheduler.scoring import Grade
from services.scheduler.settings import Settings
from services.scheduler.tasks.progress import write_progress
from services.scheduler.tasks.router import router as tasks_router
from services.scheduler.tasks.service import RECORD_METRIC, REGISTRY, UPDATE_PROJECT
from shared.app import create_service_app
from shared.auth import Role
from shared.clients import RetryPolicy
from shared.clients.base import DEFAULT_RETRY
from shared.db import Database
from shared.outbox import Outbox, OutboxRelay, refusals_are_final
from shared.reads import ReadLane
from shared.schemas.enums import ENUM_TYPES, LabelledEnum
from shared.schemas.registry.actions.metrics import MetricCreate
from shared.schemas.scheduler.enums import SCHEDULER_ENUM_TYPES

SUPERVISION_ENUM_TYPES: dict[str, type[LabelledEnum]] = {
    "problem_state": ProblemState,
    "problem_action": ProblemAction,
    "problem_category": ProblemCategory,
    "problem_source": ProblemSource,
    "coordination_level": CoordinationLevel,
    "finding_colour": Colour,
    "finding_rule": FindingRule,
    "finding_state": FindingState,
    "case_state": CaseState,
    "grade": Grade,
}

DESCRIPTION = """
湖南省产业发展“万千百”工程 **定期调度**：调度计划按固定节奏（每月、每季度、每周、每年或 cron）开启报送轮次，
向名单内的每个产业、企业、项目派发报送任务；县市区报送、上一级或牵头部门审核，审核通过的数据写入名单库指标。

The scheduler of Hunan's 万千百 programme: dispatch plans tick on their schedule in an IANA time zone,
each tick opens a round for one reporting period with a report task per roster entity in scope; tasks
are filed, reviewed, and accepted figures are written to the registry's metrics (a project's stage and
approvals to the project). Entities added to or removed from the roster while a round is open join or
leave it (the registry's change feed). Difficulties raised
become tracked problems escalated by rule; supervision rules raise colour-coded findings, red ones
become supervision cases; round summaries score and rank every city and county; bulletins,
supervision letters and reminders go to notify.

Conventions: bearer JWT on every `/api/v1` route; errors are `application/problem+json` with a stable
`code`; lists page by cursor; `PATCH`/`DELETE` need `If-Match`; creating `POST`s accept `Idempotency-Key`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    registry_transport: httpx.AsyncBaseTransport | None = None,
    registry_retry: RetryPolicy = DEFAULT_RETRY,
    notify_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`registry_transport`, `registry_retry` and `notify_transport` put the peer clients on other
    transports (tests: the registry or notify app in process); `registry_retry` applies to notify too."""
    settings = settings or Settings()
    peers = Peers(
        settings.registry_url,
        transport=registry_transport,
        retry=registry_retry,
        notify_url=settings.notify_url,
        notify_transport=notify_transport,
    )

    async def record_metric(row: RowMapping) -> dict[str, object]:
        body = MetricCreate.model_validate(row["payload"])
        with refusals_are_final():  # the entity gone, or the figure refused: no retry helps
            metric = await peers.registry.record_metric(body, row["idempotency_key"])
        return metric.model_dump(mode="json")

    async def update_project(row: RowMapping) -> dict[str, object]:
        return await write_progress(peers.registry, row["payload"])

    async def request_circular(row: RowMapping) -> dict[str, object]:
        return await delivery.request_circular(peers.notify, row)

    outbox_table = Outbox(outbox)
    state = SchedulerState(
        reads=ReadLane(),
        peers=peers,
        outbox=outbox_table,
        ticker=RoundTicker(
            peers, interval_s=settings.tick_interval_s, ahead=settings.rounds_ahead, lease_s=settings.tick_lease_s
        ),
        relay=OutboxRelay(
            outbox,
            {
                (REGISTRY, RECORD_METRIC): record_metric,
                (REGISTRY, UPDATE_PROJECT): update_project,
                (NOTIFY, REQUEST_CIRCULAR): request_circular,
            },
            interval_s=settings.relay_interval_s,
            backoff_max_s=settings.relay_backoff_max_s,
        ),
        sweep=SupervisionSweep(outbox_table, peers, interval_s=settings.sweep_interval_s),
        escalation=ProblemEscalation(interval_s=settings.escalation_interval_s),
        roster_feed=RosterFeedFollower(peers, interval_s=settings.feed_interval_s),
    )
    return create_service_app(
        service="scheduler",
        schema=SCHEMA,
        title="万千百 scheduler（定期调度）",
        description=DESCRIPTION,
        settings=settings,
        state=state,
        tables=tables,
        routers=[
            tasks_router,
            rounds_router,
            plans_router,
            calendar_router,
            problems_router,
            findings_router,
            cases_router,
            rule_versions_router,
        ],
        enums=SCHEDULER_ENUM_TYPES | SUPERVISION_ENUM_TYPES | ENUM_TYPES | {"role": Role},
        lifespans=[
            state.reads.lifespan,
            peers.lifespan,
            state.ticker.lifespan,
            state.relay.lifespan,
            state.sweep.lifespan,
            state.escalation.lifespan,
            state.roster_feed.lifespan,
        ],
        database=database,
    )
