"""Deliveries to real local receivers: signing, retries on a fixed clock, disabling, operators' tools.

The loop is driven with `run_once(now)`; nothing here waits for it. `now` is the wall clock at the
test's start, fixed from then on (see the fixture).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notify.deliveries.worker import DeliveryWorker
from services.notify.delivery import AttemptResult
from tests.conftest import ADMIN
from tests.notify import factories
from tests.notify.receivers import always, failing, receiver


@pytest.fixture
def worker(notify_app: Any) -> DeliveryWorker:
    loop: DeliveryWorker = notify_app.state.platform.state.deliveries
    loop.rng = lambda: 0.5  # no jitter: each retry falls exactly on the schedule
    return loop


async def subscribe(client: httpx.AsyncClient, url: str, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/subscribers", json=factories.subscriber(url, **overrides), headers=ADMIN)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def publish(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/circulars", json=factories.circular(publish=True, **overrides), headers=ADMIN)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def deliveries(client: httpx.AsyncClient, subscriber_id: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/deliveries", params={"subscriber_id": subscriber_id}, headers=ADMIN)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def attempts(client: httpx.AsyncClient, delivery_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/deliveries/{delivery_id}/attempts", headers=ADMIN)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    return items


async def test_a_published_circular_reaches_its_subscriber_signed(
    notify_client: httpx.AsyncClient, worker: DeliveryWorker, now: dt.datetime
) -> None:
    async with receiver() as hook:
        subscriber = await subscribe(notify_client, hook.url)
        circular = await publish(notify_client)
        assert await worker.run_once(now) == 1
        assert await worker.run_once(now) == 0
    [request] = hook.received
    assert request.verifies_with(subscriber["secret"])
    assert request.headers["webhook-timestamp"] == str(int(now.timestamp()))
    payload = request.json()
    assert payload["type"] == "circular.published"
    data: Any = payload["data"]
    assert data["circular"]["id"] == circular["id"]
    assert data["circular"]["document_number"] == factories.number("湘万千百办通", 1, now)
    assert data["document_url"] == f"/api/v1/circulars/{circular['id']}/document"
    [delivery] = await deliveries(notify_client, subscriber["id"])
    assert (delivery["status"], delivery["webhook_id"], delivery["attempts"]) == ("delivered", request.webhook_id, 1)
    [attempt] = await attempts(notify_client, delivery["id"])
    assert (attempt["attempt_no"], attempt["status_code"], attempt["outcome"], attempt["response_excerpt"]) == (
        1,
        200,
        "delivered",
        "已收到",
    )
    assert attempt["attempted_at"] == now.isoformat().replace("+00:00", "Z")


async def test_a_failing_receiver_that_recovers_gets_one_webhook_id(
    notify_client: httpx.AsyncClient, worker: DeliveryWorker, now: dt.datetime
) -> None:
    async with receiver(failing(2)) as hook:
        subscriber = await subscribe(notify_client, hook.url)
        await publish(notify_client)
        assert await worker.run_once(now) == 1
        [delivery] = await deliveries(notify_client, subscriber["id"])
        assert (delivery["status"], delivery["next_attempt_at"]) == ("retrying", _z(now + dt.timedelta(seconds=5)))
        assert await worker.run_once(now + dt.timedelta(seconds=4)) == 0  # not due yet
        assert await worker.run_once(now + dt.timedelta(seconds=5)) == 1
        failing_since = (await notify_client.get(f"/api/v1/subscribers/{subscriber['id']}", headers=ADMIN)).json()
        assert failing_since["failing_since"] == _z(now)
        assert await worker.run_once(now + dt.timedelta(minutes=6)) == 1
    assert [r.webhook_id for r in hook.received] == [delivery["webhook_id"]] * 3
    stamps = [int(r.headers["webhook-timestamp"]) - int(now.timestamp()) for r in hook.received]
    assert stamps == [0, 5, 360]  # each attempt signed afresh at its own time
    assert hook.received[0].verifies_with(subscriber["secret"])
    assert hook.received[1].verifies_with(subscriber["secret"])
    assert [r.body for r in hook.received] == [hook.received[0].body] * 3
    assert [
        (a["attempt_no"], a["status_code"], a["outcome"]) for a in await attempts(notify_client, delivery["id"])
    ] == [
        (1, 500, "retry"),
        (2, 500, "retry"),
        (3, 200, "delivered"),
    ]
    recovered = (await notify_client.get(f"/api/v1/subscribers/{subscriber['id']}", headers=ADMIN)).json()
    assert (recovered["status"], recovered["failing_since"]) == ("active", None)


async def test_retry_after_of_a_429_is_honoured(
    notify_client: httpx.AsyncClient, worker: DeliveryWorker, now: dt.datetime
) -> None:
    async with receiver(always(429, {"Retry-After": "120"})) as hook:
        subscriber = await subscribe(notify_client, hook.url)
        await publish(notify_client)
        await worker.run_once(now)
    [delivery] = await deliveries(notify_client, subscriber["id"])
    assert (delivery["status"], delivery["next_attempt_at"]) == ("retrying", _z(now + dt.timedelta(seconds=120)))
    assert len(hook.received) == 1


async def test_410_gone_disables_the_endpoint(
    notify_client: httpx.AsyncClient,
    worker: DeliveryWorker,
    db_session: async_sessionmaker[AsyncSession],
    now: dt.datetime,
) -> None:
    async with receiver(always(410)) as hook:
        subscriber = await subscribe(notify_client, hook.url)
        await publish(notify_client)
        await publish(notify_client, title="第二份")
        assert await worker.run_once(now) == 1
        assert await worker.run_once(now + dt.timedelta(days=1)) == 0  # a disabled endpoint gets nothing more
    assert len(hook.received) == 1
    after = (await notify_client.get(f"/api/v1/subscribers/{subscriber['id']}", headers=ADMIN)).json()
    assert (after["status"], after["disabled_reason"]) == ("disabled", "接收端返回 410 Gone")
    assert sorted(d["status"] for d in await deliveries(notify_client, subscriber["id"])) == ["failed", "pending"]
    assert await _events(db_session, subscriber["id"]) == [("endpoint.disabled", "接收端返回 410 Gone")]


async def test_five_days_of_failures_disable_the_endpoint(
    notify_client: httpx.AsyncClient,
    worker: DeliveryWorker,
    db_session: async_sessionmaker[AsyncSession],
    now: dt.datetime,
) -> None:
    async with receiver(always(503)) as hook:
        subscriber = await subscribe(notify_client, hook.url)
        await publish(notify_client)
        await worker.run_once(now)
        await worker.run_once(now + dt.timedelta(days=4, hours=23))
        still = (await notify_client.get(f"/api/v1/subscribers/{subscriber['id']}", headers=ADMIN)).json()
        assert still["status"] == "active"
        await worker.run_once(now + dt.timedelta(days=5))
    disabled = (await notify_client.get(f"/api/v1/subscribers/{subscriber['id']}", headers=ADMIN)).json()
    assert (disabled["status"], disabled["failing_since"]) == ("disabled", _z(now))
    assert len(hook.received) == 3
    assert await _events(db_session, subscriber["id"]) == [("endpoint.disabled", "接收端连续 5 天投递失败")]
    enabled = await notify_client.patch(
        f"/api/v1/subscribers/{subscriber['id']}",
        json={"status": "active"},
        headers=ADMIN | {"If-Match": f'"{disabled["version"]}"'},
    )
    assert (enabled.json()["status"], enabled.json()["failing_since"], enabled.json()["disabled_reason"]) == (
        "active",
        None,
        None,
    )


async def test_every_attempt_is_spent_then_the_delivery_fails(
    notify_client: httpx.AsyncClient, worker: DeliveryWorker, now: dt.datetime
) -> None:
    async with receiver(always(500)) as hook:
        subscriber = await subscribe(notify_client, hook.url)
        await publish(notify_client)
        at = now
        for _ in range(8):
            assert await worker.run_once(at) == 1
            [delivery] = await deliveries(notify_client, subscriber["id"])
            at = dt.datetime.fromisoformat(delivery["next_attempt_at"])
    assert (delivery["status"], delivery["attempts"], len(hook.received)) == ("failed", 8, 8)


async def test_one_delivery_in_flight_per_subscriber(
    notify_client: httpx.AsyncClient, worker: DeliveryWorker, now: dt.datetime
) -> None:
    async with receiver() as slow, receiver() as fast:
        slow_one = await subscribe(notify_client, slow.url, name="慢系统")
        fast_one = await subscribe(notify_client, fast.url, name="快系统", region_code="430200")
        for n in range(3):
            await publish(notify_client, title=f"发往长沙{n}")
        await publish(notify_client, title="发往株洲", audience={"regions": ["430200"]})
        claimed = await worker.claim(now, 10)
        owners = await _subscribers_of(notify_client, [c.id for c in claimed])
        assert sorted(owners) == sorted([slow_one["id"], fast_one["id"]])
        assert await worker.claim(now, 10) == []  # the slow one's others wait for the one in hand
        for item in claimed:
            await worker.process(item)
        assert len(await worker.claim(now, 10)) == 1  # now its next one
    assert (len(slow.received), len(fast.received)) == (1, 1)


async def test_the_rate_limit_defers_without_spending_an_attempt(
    notify_client: httpx.AsyncClient, worker: DeliveryWorker, now: dt.datetime
) -> None:
    async with receiver() as hook:
        subscriber = await subscribe(notify_client, hook.url, rate_limit_per_minute=1)
        await publish(notify_client)
        await publish(notify_client, title="第二份")
        assert await worker.run_once(now) == 1
        assert await worker.run_once(now + dt.timedelta(seconds=10)) == 1
        assert len(hook.received) == 1
        waiting = [d for d in await deliveries(notify_client, subscriber["id"]) if d["status"] == "pending"]
        assert [(d["attempts"], d["next_attempt_at"]) for d in waiting] == [(0, _z(now + dt.timedelta(seconds=70)))]
        assert await worker.run_once(now + dt.timedelta(seconds=70)) == 1
    assert len(hook.received) == 2


async def test_rotation_signs_with_both_secrets_during_the_overlap(
    notify_client: httpx.AsyncClient, worker: DeliveryWorker, notify_app: Any, now: dt.datetime
) -> None:
    async with receiver() as hook:
        subscriber = await subscribe(notify_client, hook.url)
        rotated = await notify_client.post(
            f"/api/v1/subscribers/{subscriber['id']}/secret:rotate", json={"overlap_hours": 1}, headers=ADMIN
        )
        assert rotated.status_code == 200
        new_secret = rotated.json()["secret"]
        await publish(notify_client)
        await worker.run_once(now)
        await notify_client.post(f"/api/v1/subscribers/{subscriber['id']}/test", headers=ADMIN)
        await worker.run_once(now + dt.timedelta(hours=2))
    during, after = hook.received
    assert new_secret != subscriber["secret"]
    assert len(during.signatures) == 2
    assert during.verifies_with(new_secret) and during.verifies_with(subscriber["secret"])
    assert len(after.signatures) == 1  # the old secret expired with its overlap
    shown = (await notify_client.get(f"/api/v1/subscribers/{subscriber['id']}", headers=ADMIN)).json()
    assert "secret" not in shown
    assert "secrets" not in shown


async def test_redeliver_and_replay_keep_the_webhook_id(
    notify_client: httpx.AsyncClient, worker: DeliveryWorker, now: dt.datetime
) -> None:
    async with receiver(failing(8)) as hook:
        subscriber = await subscribe(notify_client, hook.url)
        await publish(notify_client)
        at = now
        for _ in range(8):
            await worker.run_once(at)
            [delivery] = await deliveries(notify_client, subscriber["id"])
            at = dt.datetime.fromisoformat(delivery["next_attempt_at"])
        assert delivery["status"] == "failed"
        replayed = await notify_client.post(
            f"/api/v1/subscribers/{subscriber['id']}/deliveries:replay",
            json={"since": (now - dt.timedelta(days=1)).isoformat()},
            headers=ADMIN,
        )
        assert replayed.json() == {"requeued": 1, "delivery_ids": [delivery["id"]]}
        assert await worker.run_once(now) == 1
        again = await notify_client.post(f"/api/v1/deliveries/{delivery['id']}/redeliver", headers=ADMIN)
        assert (again.status_code, again.json()["status"], again.json()["attempts"]) == (200, "pending", 0)
        assert await worker.run_once(now) == 1
        pending = await notify_client.post(f"/api/v1/deliveries/{delivery['id']}/redeliver", headers=ADMIN)
    assert pending.status_code == 200
    assert len({r.webhook_id for r in hook.received}) == 1
    assert len(hook.received) == 10
    assert [a["attempt_no"] for a in await attempts(notify_client, delivery["id"])] == list(range(1, 11))


async def test_redelivering_a_pending_delivery_is_409(notify_client: httpx.AsyncClient) -> None:
    async with receiver() as hook:
        subscriber = await subscribe(notify_client, hook.url)
        await publish(notify_client)
    [delivery] = await deliveries(notify_client, subscriber["id"])
    response = await notify_client.post(f"/api/v1/deliveries/{delivery['id']}/redeliver", headers=ADMIN)
    assert (response.status_code, response.json()["code"]) == (409, "delivery_pending")


async def test_a_test_event_reaches_the_subscriber(
    notify_client: httpx.AsyncClient, worker: DeliveryWorker, now: dt.datetime
) -> None:
    async with receiver() as hook:
        subscriber = await subscribe(notify_client, hook.url, event_types=["circular.revoked"])
        queued = await notify_client.post(f"/api/v1/subscribers/{subscriber['id']}/test", headers=ADMIN)
        assert (queued.status_code, queued.json()["event_type"], queued.json()["status"]) == (202, "test", "pending")
        await worker.run_once(now)
    [request] = hook.received
    assert request.json()["type"] == "test"
    assert request.verifies_with(subscriber["secret"])


async def test_revoking_tells_everyone_it_was_delivered_to(
    notify_client: httpx.AsyncClient, worker: DeliveryWorker, now: dt.datetime
) -> None:
    async with receiver() as hook:
        subscriber = await subscribe(notify_client, hook.url)
        circular = await publish(notify_client)
        await worker.run_once(now)
        revoked = await notify_client.post(
            f"/api/v1/circulars/{circular['id']}/revoke", json={"reason": "数据有误"}, headers=ADMIN
        )
        assert revoked.status_code == 200
        await worker.run_once(now + dt.timedelta(seconds=1))
    assert [r.json()["type"] for r in hook.received] == ["circular.published", "circular.revoked"]
    assert len({r.webhook_id for r in hook.received}) == 2
    data: Any = hook.received[1].json()["data"]
    assert (data["circular"]["status"], data["circular"]["revoke_reason"]) == ("revoked", "数据有误")
    assert len(await deliveries(notify_client, subscriber["id"])) == 2


MATCHING = [
    ({"regions": ["430000"]}, {}, True),  # the province covers the city's subscriber
    ({"regions": ["430100"]}, {}, True),
    ({"regions": ["430104"]}, {}, False),  # a county below does not reach a city's subscriber
    ({"regions": ["430200"]}, {}, False),
    ({"departments": ["industry-it"]}, {"department": "industry-it"}, True),
    ({"departments": ["commerce"]}, {"department": "industry-it"}, False),
    ({"topics": ["ranking"]}, {"topics": ["ranking", "other"]}, True),
    ({"topics": ["ranking"]}, {"topics": ["other"]}, False),
    ({"regions": ["430100"]}, {"event_types": ["circular.revoked"]}, False),
    ({"regions": ["430100"]}, {"event_types": ["circular.published"]}, True),
]


@pytest.mark.parametrize(("audience", "subscription", "reached"), MATCHING)
async def test_who_a_circular_reaches(
    notify_client: httpx.AsyncClient, audience: dict[str, Any], subscription: dict[str, Any], reached: bool
) -> None:
    subscriber = await subscribe(notify_client, "http://127.0.0.1:9/hook", **subscription)
    await publish(notify_client, audience=audience)
    assert len(await deliveries(notify_client, subscriber["id"])) == (1 if reached else 0)


async def test_named_subscribers_are_reached_and_disabled_ones_are_not(notify_client: httpx.AsyncClient) -> None:
    named = await subscribe(notify_client, "http://127.0.0.1:9/hook", name="指定系统", region_code="433100")
    off = await subscribe(notify_client, "http://127.0.0.1:9/hook", name="停用系统")
    await notify_client.patch(
        f"/api/v1/subscribers/{off['id']}", json={"status": "disabled"}, headers=ADMIN | {"If-Match": '"1"'}
    )
    await publish(notify_client, audience={"regions": ["430100"], "subscribers": [named["id"]]})
    assert len(await deliveries(notify_client, named["id"])) == 1
    assert await deliveries(notify_client, off["id"]) == []


def _z(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def _events(sessions: async_sessionmaker[AsyncSession], subscriber_id: str) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            text("SELECT type, data->>'reason' FROM notify.event WHERE subscriber_id = CAST(:s AS uuid) ORDER BY id"),
            {"s": subscriber_id},
        )
        return [(r[0], r[1]) for r in rows]


async def _subscribers_of(client: httpx.AsyncClient, delivery_ids: list[Any]) -> list[str]:
    found = []
    for delivery_id in delivery_ids:
        found.append((await client.get(f"/api/v1/deliveries/{delivery_id}", headers=ADMIN)).json()["subscriber_id"])
    return found


async def test_queuing_deliveries_wakes_the_loop_after_the_response(
    notify_client: httpx.AsyncClient, worker: DeliveryWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    woken: list[bool] = []
    monkeypatch.setattr(worker, "wake", lambda: woken.append(True))
    await publish(notify_client)
    draft = await notify_client.post("/api/v1/circulars", json=factories.circular(), headers=ADMIN)
    assert draft.status_code == 201
    await notify_client.get("/api/v1/circulars", headers=ADMIN)
    assert woken == [True, True]  # both creates (one of them published); reads wake nothing


async def test_an_attempt_whose_lease_passed_on_mid_send_is_left_to_the_new_owner(
    notify_client: httpx.AsyncClient,
    worker: DeliveryWorker,
    notify_app: Any,
    now: dt.datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    send = worker.sender.send

    async def slow_send(url: str, headers: Mapping[str, str], body: bytes) -> AttemptResult:
        # The lease expires while the receiver is slow, and another replica claims the delivery.
        async with notify_app.state.platform.sessionmaker.begin() as session:
            await session.execute(text("UPDATE notify.delivery SET lease_owner = 'other-replica'"))
        return await send(url, headers, body)

    monkeypatch.setattr(worker.sender, "send", slow_send)
    async with receiver() as hook:
        subscriber = await subscribe(notify_client, hook.url)
        await publish(notify_client)
        assert await worker.run_once(now) == 1
    assert len(hook.received) == 1
    [delivery] = await deliveries(notify_client, subscriber["id"])
    assert (delivery["status"], delivery["attempts"]) == ("sending", 0)  # the other replica's, in flight
    assert await attempts(notify_client, delivery["id"]) == []


async def test_a_claimed_delivery_is_sending_and_an_expired_one_is_claimed_again_with_its_webhook_id(
    notify_client: httpx.AsyncClient, worker: DeliveryWorker, now: dt.datetime
) -> None:
    async with receiver() as hook:
        subscriber = await subscribe(notify_client, hook.url)
        await publish(notify_client)
        [claimed] = await worker.claim(now, 10)
        [delivery] = await deliveries(notify_client, subscriber["id"])
        assert (delivery["status"], delivery["attempts"]) == ("sending", 0)
        assert await worker.claim(now + dt.timedelta(seconds=59), 10) == []  # its lease still holds
        # This process dies with it in hand; once the lease has expired, another one takes it up.
        first_owner, worker.owner = worker.owner, "successor-replica"
        [again] = await worker.claim(now + dt.timedelta(seconds=61), 10)
        assert (again.id, again.webhook_id) == (claimed.id, delivery["webhook_id"])
        await worker.process(again)
        worker.owner = first_owner
        await worker.process(claimed)  # the first owner's late attempt is not recorded: its lease is gone
    assert [r.webhook_id for r in hook.received] == [delivery["webhook_id"]] * 2
    [done] = await deliveries(notify_client, subscriber["id"])
    assert (done["status"], done["attempts"]) == ("delivered", 1)
    assert [a["attempt_no"] for a in await attempts(notify_client, done["id"])] == [1]


async def test_deliveries_filter_by_their_state(
    notify_client: httpx.AsyncClient, worker: DeliveryWorker, now: dt.datetime
) -> None:
    async with receiver(always(503)) as down, receiver() as up:
        failing = await subscribe(notify_client, down.url, name="故障系统")
        working = await subscribe(notify_client, up.url, name="正常系统")
        await publish(notify_client)
        assert await worker.run_once(now) == 2

    async def states(status: str) -> list[str]:
        response = await notify_client.get("/api/v1/deliveries", params={"status": status}, headers=ADMIN)
        assert response.status_code == 200, response.text
        return [d["subscriber_id"] for d in response.json()["items"]]

    assert await states("retrying") == [failing["id"]]
    assert await states("delivered") == [working["id"]]
    assert (await states("pending"), await states("sending"), await states("failed")) == ([], [], [])
