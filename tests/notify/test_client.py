"""`NotifyClient` against the real notify app in process, and its retries against a scripted transport."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import typing
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from pydantic import BaseModel

import shared.schemas.notify
from shared.clients import NotifyClient, RetryPolicy
from shared.errors import Conflict, Forbidden, NotFound
from shared.schemas.notify.actions.circulars import Audience, CircularCreate, SourceRef
from shared.schemas.notify.enums import CircularKind, CircularStatus, Issuer, ReceiptStatus, UnitType
from tests.conftest import ADMIN, token
from tests.notify import factories
from tests.test_wire_schemas import _models

RETRY = RetryPolicy(backoff_base_s=0.001, backoff_max_s=0.004)


def ranking(round_id: str = "2026-Q3", **overrides: Any) -> CircularCreate:
    values: dict[str, Any] = {
        "kind": CircularKind.bulletin,
        "title": "关于2026年第三季度调度情况的通报",
        "body": "各市州：现将第三季度调度情况通报如下。",
        "data": {"ranking": [{"region_code": "430100", "rank": 1}, {"region_code": "430200", "rank": 2}]},
        "issuer": Issuer.wqb_office,
        "audience": Audience(regions=["430100", "430200"]),
        "source": SourceRef(type="round", id=round_id),
        "publish": True,
    }
    return CircularCreate(**(values | overrides))


@pytest.fixture
async def notify(notify_app: Any) -> AsyncIterator[NotifyClient]:
    """A NotifyClient as the scheduler holds one: a service token, on the real app."""
    transport = httpx.ASGITransport(app=notify_app)
    async with NotifyClient("http://notify", token=token("service"), transport=transport, retry=RETRY) as client:
        yield client


async def test_request_circular_publishes_and_a_retry_returns_the_same(notify: NotifyClient, now: dt.datetime) -> None:
    first = await notify.request_circular(ranking(), idempotency_key="round-2026-Q3-bulletin")
    again = await notify.request_circular(ranking(), idempotency_key="round-2026-Q3-bulletin")
    assert (first.status, first.document_number, first.source) == (
        CircularStatus.published,
        factories.number("湘万千百办通", 1, now),
        SourceRef(type="round", id="2026-Q3"),
    )
    assert again == first
    assert first.data == {"ranking": [{"region_code": "430100", "rank": 1}, {"region_code": "430200", "rank": 2}]}


async def test_another_key_for_the_same_source_is_a_conflict_naming_the_circular(notify: NotifyClient) -> None:
    first = await notify.request_circular(ranking(), idempotency_key="k1")
    with pytest.raises(Conflict) as raised:
        await notify.request_circular(ranking(), idempotency_key="k2")
    assert (raised.value.code, raised.value.extra["existing_id"]) == ("circular_source_duplicate", str(first.id))
    assert await notify.find_circular("round", "2026-Q3") == first
    assert await notify.find_circular("round", "2026-Q4") is None


async def test_get_circular_and_list_receipts(notify: NotifyClient, notify_client: httpx.AsyncClient) -> None:
    circular = await notify.request_circular(ranking(), idempotency_key="k")
    assert await notify.get_circular(circular.id) == circular
    await notify_client.post(
        f"/api/v1/circulars/{circular.id}/receipts", json={"unit_type": "region", "unit_code": "430200"}, headers=ADMIN
    )
    receipts = await notify.list_receipts(circular.id)
    assert [(r.unit_code, r.status) for r in receipts.items] == [
        ("430100", ReceiptStatus.pending),
        ("430200", ReceiptStatus.signed),
    ]
    assert (receipts.total, receipts.signed, receipts.sign_rate) == (2, 1, 0.5)
    assert [(u.unit_type, u.unit_code) for u in receipts.unsigned_units] == [(UnitType.region, "430100")]


async def test_list_unsigned_receipts_pages_through_every_unit_for_a_service(
    notify: NotifyClient, notify_client: httpx.AsyncClient
) -> None:
    first = await notify.request_circular(ranking("2026-Q2"), idempotency_key="q2")
    second = await notify.request_circular(ranking("2026-Q3"), idempotency_key="q3")
    await notify_client.post(
        f"/api/v1/circulars/{first.id}/receipts", json={"unit_type": "region", "unit_code": "430200"}, headers=ADMIN
    )
    page = await notify.list_unsigned_receipts(limit=2)
    rest = await notify.list_unsigned_receipts(limit=2, cursor=page.next_cursor)
    assert [(r.circular_id, r.unit_code, r.status, r.days_unsigned) for r in page.items + rest.items] == [
        (first.id, "430100", ReceiptStatus.pending, 0),
        (second.id, "430100", ReceiptStatus.pending, 0),
        (second.id, "430200", ReceiptStatus.pending, 0),
    ]
    assert (page.items[0].title, page.items[0].document_number) == (first.title, first.document_number)
    assert rest.next_cursor is None
    assert (await notify.list_unsigned_receipts(unsigned_for_days=1)).items == []


async def test_errors_arrive_as_the_platform_s_own(notify_app: Any) -> None:
    transport = httpx.ASGITransport(app=notify_app)
    department = token("department", department="commerce")
    async with NotifyClient("http://notify", token=department, transport=transport, retry=RETRY) as client:
        with pytest.raises(Forbidden) as forbidden:
            await client.request_circular(ranking(), idempotency_key="k")
        with pytest.raises(NotFound) as missing:
            await client.get_circular(uuid.uuid4())
        with pytest.raises(NotFound):
            await client.list_receipts(uuid.uuid4())
    assert forbidden.value.code == "issuer_not_own"
    assert missing.value.code == "circular_not_found"


async def test_a_keyed_request_is_retried_through_a_503() -> None:
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            problem = {"type": "x", "title": "t", "status": 503, "detail": "d", "code": "database_unavailable"}
            return httpx.Response(503, json=problem, headers={"Content-Type": "application/problem+json"})
        return httpx.Response(201, content=_published(request))

    transport = httpx.MockTransport(answer)
    async with NotifyClient("http://notify", token="t", transport=transport, retry=RETRY) as client:
        read = await client.request_circular(ranking(), idempotency_key="same-key")
    assert read.title == "关于2026年第三季度调度情况的通报"
    assert [c.headers["Idempotency-Key"] for c in calls] == ["same-key", "same-key"]


def _published(request: httpx.Request) -> bytes:
    """What notify would answer to the request: the circular, published."""
    sent = orjson.loads(request.content)
    now = "2026-12-01T08:00:00Z"
    return orjson.dumps(
        sent
        | {
            "id": str(uuid.uuid4()),
            "status": "published",
            "body_html": "<p>x</p>",
            "reminder_of": None,
            "document_number": "湘万千百办通〔2026〕1号",
            "published_at": now,
            "revoked_at": None,
            "revoke_reason": None,
            "version": 2,
            "created_at": now,
            "updated_at": now,
        }
    )


def test_shared_notify_schemas_are_exactly_those_its_client_sends_and_receives() -> None:
    package = shared.schemas.notify.__name__
    found: set[type[BaseModel]] = set()
    for method in vars(NotifyClient).values():
        if inspect.iscoroutinefunction(method):
            for hint in typing.get_type_hints(method).values():
                _models(hint, found)
    used = {f"{m.__module__}.{m.__qualname__}" for m in found if m.__module__.startswith(package)}
    defined = set()
    for info in pkgutil.walk_packages(shared.schemas.notify.__path__, prefix=f"{package}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__:
                defined.add(f"{value.__module__}.{value.__qualname__}")
    assert defined == used
