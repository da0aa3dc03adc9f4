"""notify's fixtures: a quick stand-in for the PDF renderer, bodies of circulars and subscribers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notify.circulars.documents import DocumentRenderer
from services.notify.document import OfficialDocument
from tests.notify.dns import TEST_DNS, FakeResolver


def fake_pdf(doc: OfficialDocument) -> bytes:
    """Stands in for `render_pdf` (about a second each) where the PDF's layout is not under test."""
    return b"%PDF-1.4 stand-in " + doc.number.encode()


@pytest.fixture(autouse=True)
def quick_documents(request: pytest.FixtureRequest) -> None:
    if "real_documents" in request.fixturenames:
        return
    for name in ("notify_app", "committing_notify_app"):
        if name in request.fixturenames:
            app: Any = request.getfixturevalue(name)
            app.state.platform.state.renderer = DocumentRenderer(fake_pdf)


@pytest.fixture(autouse=True)
def test_dns(request: pytest.FixtureRequest) -> None:
    """Webhook hosts are resolved at registration from `tests.notify.dns.TEST_DNS`, never the real DNS."""
    for name in ("notify_app", "committing_notify_app"):
        if name in request.fixturenames:
            app: Any = request.getfixturevalue(name)
            app.state.platform.state.resolver = FakeResolver(TEST_DNS)


@pytest.fixture
def real_documents() -> None:
    """Publish with the real GB/T 9704 renderer (about a second per circular)."""


# Committing tests issue as this issuer alone, so its document counters can be removed afterwards.
COMMITTED_ISSUER = "jrj"


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[str]:
    """A unique prefix for tests on `committing_notify_app`: name circulars, subscribers and
    Idempotency-Keys with it. Afterwards what they named is deleted, with the events of those
    circulars and the counters of `COMMITTED_ISSUER` (audit rows stay: append-only)."""
    prefix = f"committed-{uuid.uuid4().hex[:10]}-"
    yield prefix
    async with engine.begin() as conn:
        ids = list(
            (
                await conn.execute(
                    text("DELETE FROM notify.circular WHERE title LIKE :p RETURNING id"), {"p": f"{prefix}%"}
                )
            ).scalars()
        )
        await conn.execute(text("DELETE FROM notify.event WHERE circular_id = ANY(:ids)"), {"ids": ids})
        subscribers = list(
            (
                await conn.execute(
                    text("DELETE FROM notify.subscriber WHERE name LIKE :p RETURNING id"), {"p": f"{prefix}%"}
                )
            ).scalars()
        )
        await conn.execute(text("DELETE FROM notify.event WHERE subscriber_id = ANY(:ids)"), {"ids": subscribers})
        await conn.execute(text("DELETE FROM notify.document_counter WHERE issuer = :i"), {"i": COMMITTED_ISSUER})
        await conn.execute(text("DELETE FROM notify.idempotency_record WHERE key LIKE :k"), {"k": f"%{prefix}%"})


@pytest.fixture
def now(notify_app: Any) -> dt.datetime:
    """The wall clock at the test's start, fixed from then on, as every request's clock (`ctx.now`)
    and the time the test drives the loops at. (Receivers verify signatures with `standardwebhooks`,
    which compares `webhook-timestamp` with the real time, five minutes' tolerance.)"""
    fixed = dt.datetime.now(dt.UTC).replace(microsecond=0)
    notify_app.state.platform.clock = lambda: fixed
    return fixed
