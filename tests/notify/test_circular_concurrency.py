"""Races on committed data: 文号 under concurrent publishing, one winner per version, one circular per source."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

from services.notify.docnumber import parse_number
from tests.conftest import ADMIN
from tests.harness import asgi_client
from tests.notify import factories
from tests.notify.conftest import COMMITTED_ISSUER

API = "/api/v1/circulars"


def body(prefix: str, n: int = 0, **overrides: Any) -> dict[str, Any]:
    return factories.circular(title=f"{prefix}通报{n}", issuer=COMMITTED_ISSUER, **overrides)


async def test_a_hundred_concurrent_publishes_number_1_to_100(committing_notify_app: Any, committed: str) -> None:
    async with asgi_client(committing_notify_app, "notify") as client:
        drafts = [(await client.post(API, json=body(committed, n), headers=ADMIN)).json()["id"] for n in range(100)]
        published = await asyncio.gather(*(client.post(f"{API}/{d}/publish", headers=ADMIN) for d in drafts))
    assert Counter(r.status_code for r in published) == {200: 100}
    year = dt.datetime.now(dt.UTC).astimezone(committing_notify_app.state.platform.zone).year
    parsed = [parse_number(r.json()["document_number"]) for r in published]
    numbers = sorted((n.year, n.sequence) for n in parsed)
    assert numbers == [(year, n) for n in range(1, 101)]


async def test_concurrent_patches_of_one_version_have_one_winner(committing_notify_app: Any, committed: str) -> None:
    async with asgi_client(committing_notify_app, "notify") as client:
        draft = (await client.post(API, json=body(committed), headers=ADMIN)).json()
        headers = ADMIN | {"If-Match": '"1"'}
        url = f"{API}/{draft['id']}"
        responses = await asyncio.gather(
            *(client.patch(url, json={"title": f"{committed}改{n}"}, headers=headers) for n in range(8))
        )
        final = (await client.get(url, headers=ADMIN)).json()
    assert Counter(r.status_code for r in responses) == {200: 1, 412: 7}
    [winner] = [r.json() for r in responses if r.status_code == 200]
    assert (final["title"], final["version"]) == (winner["title"], 2)


async def test_concurrent_deletes_of_one_version_have_one_winner(committing_notify_app: Any, committed: str) -> None:
    async with asgi_client(committing_notify_app, "notify") as client:
        draft = (await client.post(API, json=body(committed), headers=ADMIN)).json()
        url, headers = f"{API}/{draft['id']}", ADMIN | {"If-Match": '"1"'}
        responses = await asyncio.gather(*(client.delete(url, headers=headers) for _ in range(6)))
    statuses = Counter(r.status_code for r in responses)
    assert statuses[204] == 1
    assert statuses[204] + statuses[404] == 6


async def test_concurrent_creates_from_one_source_make_one_circular(committing_notify_app: Any, committed: str) -> None:
    source = {"type": "round", "id": f"{committed}r1"}
    async with asgi_client(committing_notify_app, "notify") as client:
        responses = await asyncio.gather(
            *(client.post(API, json=body(committed, n, source=source), headers=ADMIN) for n in range(6))
        )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 5}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"circular_source_duplicate"}


async def test_a_retry_while_the_first_is_in_flight_is_409(committing_notify_app: Any, committed: str) -> None:
    headers = ADMIN | {"Idempotency-Key": f"{committed}k"}
    async with asgi_client(committing_notify_app, "notify") as client:
        responses = await asyncio.gather(
            *(client.post(API, json=body(committed, publish=True), headers=headers) for _ in range(4))
        )
    codes = sorted((r.status_code, r.json().get("code")) for r in responses)
    created = [r.json() for r in responses if r.status_code == 201]
    assert codes[0][0] == 201
    assert all(c == (201, None) or c == (409, "idempotency_in_flight") for c in codes)
    assert len({c["id"] for c in created}) == 1
