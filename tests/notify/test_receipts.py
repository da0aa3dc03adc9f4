"""签收: units sign or return within their scope, the first signature stands, who has not, 催签."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import ADMIN, auth
from tests.harness import asgi_client
from tests.notify import factories
from tests.notify.conftest import COMMITTED_ISSUER

AUDIENCE = {"regions": ["430100", "430104", "430200"], "departments": ["industry-it"]}


async def publish(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body = factories.circular(publish=True, audience=AUDIENCE) | overrides
    response = await client.post("/api/v1/circulars", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    circular: dict[str, Any] = response.json()
    return circular


async def act(client: httpx.AsyncClient, circular_id: str, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post(f"/api/v1/circulars/{circular_id}/receipts", json=body, headers=headers)


async def test_a_county_signs_for_itself_and_the_first_signature_stands(
    notify_client: httpx.AsyncClient, now: dt.datetime
) -> None:
    circular = await publish(notify_client)
    county = auth("county", "430104", name="岳麓区专班")
    signed = await act(notify_client, circular["id"], county, unit_type="region", unit_code="430104")
    assert signed.status_code == 200, signed.text
    assert (signed.json()["status"], signed.json()["actor_name"], signed.json()["acted_at"]) == (
        "signed",
        "岳麓区专班",
        now.isoformat().replace("+00:00", "Z"),
    )
    again = await act(
        notify_client, circular["id"], auth("city", "430100", name="长沙市专班"), unit_type="region", unit_code="430104"
    )
    assert again.json() == signed.json()
    returned = await act(
        notify_client, circular["id"], county, unit_type="region", unit_code="430104", action="return", reason="不适用"
    )
    assert (returned.status_code, returned.json()["code"]) == (409, "receipt_already_signed")


ACT_CASES = [
    # caller, unit type, unit code, status, code
    (auth("county", "430104"), "region", "430100", 403, "unit_out_of_scope"),  # its city, above it
    (auth("city", "430200"), "region", "430104", 403, "unit_out_of_scope"),  # addressed, but another city's
    (auth("viewer", "430100"), "region", "430100", 403, "unit_out_of_scope"),
    (auth("department", department="commerce"), "department", "industry-it", 403, "unit_out_of_scope"),
    (auth("city", "430100"), "region", "430105", 422, "unit_not_addressed"),
    (auth("county", "433101"), "region", "433101", 404, "circular_not_found"),  # not addressed: unseen
    (auth("department", department="industry-it"), "department", "industry-it", 200, None),
    (auth("city", "430100"), "region", "430104", 200, None),  # a city signs for its county
]


@pytest.mark.parametrize(("headers", "unit_type", "unit_code", "status", "code"), ACT_CASES)
async def test_units_may_only_act_for_themselves(
    notify_client: httpx.AsyncClient,
    headers: dict[str, str],
    unit_type: str,
    unit_code: str,
    status: int,
    code: str | None,
) -> None:
    circular = await publish(notify_client)
    response = await act(notify_client, circular["id"], headers, unit_type=unit_type, unit_code=unit_code)
    assert response.status_code == status, response.text
    assert response.json().get("code") == code


async def test_returning_needs_a_reason(notify_client: httpx.AsyncClient) -> None:
    circular = await publish(notify_client)
    city = auth("city", "430100")
    missing = await act(notify_client, circular["id"], city, unit_type="region", unit_code="430100", action="return")
    assert (missing.status_code, missing.json()["code"]) == (422, "receipt_reason_required")
    returned = await act(
        notify_client, circular["id"], city, unit_type="region", unit_code="430100", action="return", reason="非本单位"
    )
    assert (returned.json()["status"], returned.json()["reason"]) == ("returned", "非本单位")


async def test_the_summary_counts_and_names_the_unsigned(notify_client: httpx.AsyncClient) -> None:
    circular = await publish(notify_client)
    await act(notify_client, circular["id"], auth("county", "430104"), unit_type="region", unit_code="430104")
    await act(
        notify_client,
        circular["id"],
        auth("city", "430200"),
        unit_type="region",
        unit_code="430200",
        action="return",
        reason="重复",
    )
    summary = (await notify_client.get(f"/api/v1/circulars/{circular['id']}/receipts", headers=ADMIN)).json()
    assert (summary["total"], summary["signed"], summary["returned"], summary["pending"], summary["sign_rate"]) == (
        4,
        1,
        1,
        2,
        0.25,
    )
    assert summary["unsigned_units"] == [
        {"unit_type": "region", "unit_code": "430100"},
        {"unit_type": "region", "unit_code": "430200"},
        {"unit_type": "department", "unit_code": "industry-it"},
    ]


async def test_drafts_and_revoked_circulars_take_no_receipts(notify_client: httpx.AsyncClient) -> None:
    draft = (await notify_client.post("/api/v1/circulars", json=factories.circular(), headers=ADMIN)).json()
    response = await act(notify_client, draft["id"], ADMIN, unit_type="region", unit_code="430100")
    assert (response.status_code, response.json()["code"]) == (409, "circular_not_published")
    circular = await publish(notify_client)
    await notify_client.post(f"/api/v1/circulars/{circular['id']}/revoke", json={"reason": "有误"}, headers=ADMIN)
    response = await act(notify_client, circular["id"], ADMIN, unit_type="region", unit_code="430100")
    assert (response.status_code, response.json()["code"]) == (409, "circular_revoked")


async def test_unsigned_for_days_lists_what_is_overdue_in_the_caller_s_units(
    notify_client: httpx.AsyncClient, notify_app: Any, now: dt.datetime
) -> None:
    old = await publish(notify_client, title="旧通报")
    fresh = await publish(notify_client, title="新通报")
    async with notify_app.state.platform.sessionmaker.begin() as session:
        await session.execute(
            text("UPDATE notify.circular SET published_at = :at WHERE id = CAST(:id AS uuid)"),
            {"at": now - dt.timedelta(days=4), "id": old["id"]},
        )
    city = auth("city", "430100")
    overdue = await notify_client.get("/api/v1/receipts", params={"unsigned_for_days": 3}, headers=city)
    assert [(r["title"], r["unit_code"], r["days_unsigned"]) for r in overdue.json()["items"]] == [
        ("旧通报", "430100", 4),
        ("旧通报", "430104", 4),
    ]
    everything = await notify_client.get("/api/v1/receipts", headers=city)
    assert [(r["circular_id"], r["unit_code"]) for r in everything.json()["items"]] == [
        (old["id"], "430100"),
        (old["id"], "430104"),
        (fresh["id"], "430100"),
        (fresh["id"], "430104"),
    ]
    page = await notify_client.get("/api/v1/receipts", params={"limit": 3}, headers=city)
    rest = await notify_client.get(
        "/api/v1/receipts", params={"limit": 3, "cursor": page.json()["next_cursor"]}, headers=city
    )
    assert [r["unit_code"] for r in page.json()["items"] + rest.json()["items"]] == ["430100", "430104"] * 2
    assert rest.json()["next_cursor"] is None
    department = await notify_client.get("/api/v1/receipts", headers=auth("department", department="industry-it"))
    assert [r["unit_code"] for r in department.json()["items"]] == ["industry-it", "industry-it"]


async def test_a_reminder_goes_to_the_units_that_have_not_signed(
    notify_client: httpx.AsyncClient, now: dt.datetime
) -> None:
    circular = await publish(notify_client)
    await act(notify_client, circular["id"], auth("county", "430104"), unit_type="region", unit_code="430104")
    response = await notify_client.post(
        f"/api/v1/circulars/{circular['id']}/reminders", json={}, headers=ADMIN | {"Idempotency-Key": "remind-1"}
    )
    assert response.status_code == 201, response.text
    reminder = response.json()
    assert (reminder["kind"], reminder["status"], reminder["reminder_of"], reminder["document_number"]) == (
        "reminder",
        "published",
        circular["id"],
        factories.number("湘万千百办提", 1, now),
    )
    assert reminder["audience"]["regions"] == ["430100", "430200"]
    assert reminder["audience"]["departments"] == ["industry-it"]
    assert reminder["title"] == f"关于催签《{circular['title']}》的提醒"
    replay = await notify_client.post(
        f"/api/v1/circulars/{circular['id']}/reminders", json={}, headers=ADMIN | {"Idempotency-Key": "remind-1"}
    )
    assert replay.json()["id"] == reminder["id"]


async def test_no_reminder_when_everyone_has_signed(notify_client: httpx.AsyncClient) -> None:
    circular = await publish(notify_client, audience={"regions": ["430104"]})
    await act(notify_client, circular["id"], ADMIN, unit_type="region", unit_code="430104")
    response = await notify_client.post(f"/api/v1/circulars/{circular['id']}/reminders", json={}, headers=ADMIN)
    assert (response.status_code, response.json()["code"]) == (409, "receipts_complete")


async def test_concurrent_signatures_of_one_unit_record_one(committing_notify_app: Any, committed: str) -> None:
    body = factories.circular(title=f"{committed}签收", issuer=COMMITTED_ISSUER, publish=True, audience=AUDIENCE)
    async with asgi_client(committing_notify_app, "notify") as client:
        circular = (await client.post("/api/v1/circulars", json=body, headers=ADMIN)).json()
        signers = [auth("county", "430104", sub=f"signer-{n}") for n in range(5)]
        responses = await asyncio.gather(
            *(act(client, circular["id"], h, unit_type="region", unit_code="430104") for h in signers)
        )
    assert Counter(r.status_code for r in responses) == {200: 5}
    assert len({r.json()["actor_sub"] for r in responses}) == 1


async def test_a_subscriber_system_signs_for_its_own_units_only(notify_client: httpx.AsyncClient) -> None:
    body = factories.subscriber("http://127.0.0.1:9/hook", region_code="430100", department="industry-it")
    created = await notify_client.post("/api/v1/subscribers", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    subscriber = created.json()
    circular = await publish(notify_client)
    system = auth("service", sub=f"subscriber:{subscriber['id']}", name="长沙市政务协同平台")
    own_city = await act(notify_client, circular["id"], system, unit_type="region", unit_code="430100")
    own_county = await act(notify_client, circular["id"], system, unit_type="region", unit_code="430104")
    own_department = await act(notify_client, circular["id"], system, unit_type="department", unit_code="industry-it")
    other_city = await act(notify_client, circular["id"], system, unit_type="region", unit_code="430200")
    assert [r.status_code for r in (own_city, own_county, own_department)] == [200, 200, 200]
    assert own_city.json()["actor_name"] == "长沙市政务协同平台"
    assert (other_city.status_code, other_city.json()["code"]) == (403, "unit_out_of_scope")
    # A disabled system, or a subject naming no subscriber, acts for no unit; another service token for any.
    disable = await notify_client.patch(
        f"/api/v1/subscribers/{subscriber['id']}",
        json={"status": "disabled"},
        headers=ADMIN | {"If-Match": f'"{subscriber["version"]}"'},
    )
    assert disable.status_code == 200, disable.text
    second = await publish(notify_client)
    disabled = await act(notify_client, second["id"], system, unit_type="region", unit_code="430100")
    unknown = await act(
        notify_client,
        second["id"],
        auth("service", sub="subscriber:not-a-uuid"),
        unit_type="region",
        unit_code="430100",
    )
    scheduler = await act(
        notify_client, second["id"], auth("service", sub="scheduler"), unit_type="region", unit_code="430200"
    )
    assert [(r.status_code, r.json().get("code")) for r in (disabled, unknown)] == [(403, "unit_out_of_scope")] * 2
    assert scheduler.status_code == 200, scheduler.text
