"""Contract tests of the `NotifyClient` methods the scheduler calls (`request_circular`, `get_circular`),
run with the client the scheduler itself holds (its own service token) against the real notify app:
each circular the scheduler composes is one notify accepts, and is issued as composed."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduler.circulars import compose
from shared.clients import NotifyClient
from shared.db import Database
from shared.errors import Conflict, NotFound
from shared.schemas.notify.actions.circulars import Audience, SourceRef
from shared.schemas.notify.enums import CircularKind, CircularStatus, Issuer, Urgency
from tests.conftest import scheduler_factory, scheduler_settings
from tests.harness import started

CST = dt.timezone(dt.timedelta(hours=8))
DUE = dt.datetime(2026, 7, 8, 18, tzinfo=CST)


@pytest.fixture
async def notify(
    database_url: str, db_connection: AsyncConnection, registry_app: Any, notify_app: Any
) -> AsyncIterator[NotifyClient]:
    """The NotifyClient of a running scheduler, reaching the real notify app in process."""
    factory = scheduler_factory(registry_app, notify=httpx.ASGITransport(app=notify_app))
    async with started(factory, scheduler_settings(database_url), Database.inside(db_connection)) as app:
        client: NotifyClient = app.state.platform.state.peers.notify
        yield client


def _finding() -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "entity_name": "长沙智能制造产业园项目",
        "region_code": "430104",
        "rule_code": "investment_lag",
        "rule_version": 1,
        "explanation": {"ratio": "0.3000", "threshold": "0.5"},
        "lead_department_code": "industry-it",
    }


async def test_contract_request_circular_issues_each_kind_the_scheduler_composes(notify: NotifyClient) -> None:
    finding = _finding()
    case = {
        "id": uuid.uuid4(),
        "requirement": "十个工作日内报送整改情况",
        "reply_due_on": dt.date(2026, 7, 22),
        "reply_due_at": dt.datetime(2026, 7, 22, 18, tzinfo=CST),
        "region_code": "430104",
        "responsible_department": "commerce",
    }
    round_row = {"id": uuid.uuid4(), "period_key": "2026-06", "due_at": DUE}
    summary = {"cities": [{"rank": 1, "name": "长沙市", "unit": "430100", "score": "88.00", "grade_label": "良好"}]}
    composed = [
        compose.bulletin(round_row, summary),
        compose.red_finding_letter(finding),
        compose.case_letter(case, finding),
        compose.reminder(round_row, 7, ["430104", "430102"], 2),
    ]
    issued = [await notify.request_circular(body, key) for key, body in composed]
    assert [(c.kind, c.status, c.issuer, c.source) for c in issued] == [
        (
            CircularKind.bulletin,
            CircularStatus.published,
            Issuer.wqb_office,
            SourceRef(type="round", id=str(round_row["id"])),
        ),
        (
            CircularKind.supervision_letter,
            CircularStatus.published,
            Issuer.wqb_office,
            SourceRef(type="finding", id=str(finding["id"])),
        ),
        (
            CircularKind.supervision_letter,
            CircularStatus.published,
            Issuer.wqb_office,
            SourceRef(type="case", id=str(case["id"])),
        ),
        (CircularKind.reminder, CircularStatus.published, Issuer.wqb_office, SourceRef(type="reminder", id="7")),
    ]
    assert [c.audience for c in issued] == [
        Audience(regions=["430000"]),
        Audience(regions=["430104"], departments=["industry-it"]),
        Audience(regions=["430104"], departments=["commerce"]),
        Audience(regions=["430102", "430104"]),
    ]
    assert [c.urgency for c in issued] == [Urgency.routine, Urgency.urgent, Urgency.urgent, Urgency.routine]
    assert [c.reply_deadline for c in issued] == [None, None, case["reply_due_at"], DUE]
    assert issued[0].data == summary
    assert [c.document_number is not None for c in issued] == [True, True, True, True]
    # A repeat under the same key answers with the same circular; the scheduler's retries rely on it.
    assert await notify.request_circular(composed[1][1], composed[1][0]) == issued[1]


async def test_contract_get_circular_and_the_duplicate_source_it_resolves(notify: NotifyClient) -> None:
    key, body = compose.red_finding_letter(_finding())
    first = await notify.request_circular(body, key)
    with pytest.raises(Conflict) as duplicate:
        await notify.request_circular(body, "another-key")
    assert (duplicate.value.code, duplicate.value.extra) == (
        "circular_source_duplicate",
        {"existing_id": str(first.id)},
    )
    assert await notify.get_circular(first.id) == first
    with pytest.raises(NotFound) as missing:
        await notify.get_circular(uuid.uuid4())
    assert missing.value.code == "circular_not_found"
