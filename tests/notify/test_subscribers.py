"""Subscribers: registration with a checked URL (SSRF refusals), the secret shown once, edits, rotation."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, auth
from tests.harness import asgi_client
from tests.notify import factories

API = "/api/v1/subscribers"
LOCAL = "http://127.0.0.1:9/hook"


async def test_registration_shows_the_secret_once(notify_client: httpx.AsyncClient) -> None:
    body = factories.subscriber(
        "https://oa.changsha.gov.cn/hooks/wqb", topics=["ranking", "ranking"], event_types=["circular.published"]
    )
    response = await notify_client.post(API, json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{API}/{created['id']}"
    assert created["secret"].startswith("whsec_")
    assert (created["url"], created["topics"], created["event_types"], created["status"]) == (
        "https://oa.changsha.gov.cn/hooks/wqb",
        ["ranking"],
        ["circular.published"],
        "active",
    )
    assert (created["secrets_active"], created["previous_secret_expires_at"]) == (1, None)
    read = await notify_client.get(f"{API}/{created['id']}", headers=ADMIN)
    assert read.headers["etag"] == '"1"'
    assert read.json() == {k: v for k, v in created.items() if k != "secret"}


REFUSED = [
    ("http://oa.changsha.gov.cn/hook", "scheme_not_allowed"),
    ("ftp://oa.changsha.gov.cn/hook", "scheme_not_allowed"),
    ("https://10.0.0.8/hook", "address_refused"),
    ("https://169.254.169.254/latest/meta-data", "address_refused"),
    ("https://[::1]/hook", "address_refused"),
    ("https://[::ffff:192.168.1.1]/hook", "address_refused"),
    ("https://2130706433/hook", "host_invalid"),
    ("https://0x7f.1/hook", "host_invalid"),
    ("https://intranet/hook", "host_not_public"),
    ("https://oa.internal/hook", "host_not_public"),
    ("https://foo.localhost/hook", "host_not_public"),
    ("https://user:pw@oa.changsha.gov.cn/hook", "userinfo_not_allowed"),
    ("https://oa.changsha.gov.cn:8080/hook", "port_not_allowed"),
    ("https://oa.changsha.gov.cn/hook#x", "fragment_not_allowed"),
    ("https://oa.changsha.gov.cn\\@evil.com/", "url_invalid"),
    ("https://" + "a" * 2050 + ".cn/", "string_too_long"),
    # Names that resolve only to addresses the connect-time check would refuse (tests.notify.dns).
    ("https://loopback.example.cn/hook", "address_refused"),
    ("https://intranet-hooks.example.cn/hook", "address_refused"),
    ("https://metadata.example.cn/latest", "address_refused"),
]


@pytest.mark.parametrize(("url", "code"), REFUSED)
async def test_webhook_urls_that_could_reach_inside_are_refused(
    notify_client: httpx.AsyncClient, url: str, code: str
) -> None:
    response = await notify_client.post(API, json=factories.subscriber(url), headers=ADMIN)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("url", code)


async def test_a_name_resolving_to_a_private_address_is_refused_on_patch_too(notify_client: httpx.AsyncClient) -> None:
    created = (await notify_client.post(API, json=factories.subscriber(LOCAL), headers=ADMIN)).json()
    url = f"{API}/{created['id']}"
    moved = await notify_client.patch(
        url, json={"url": "https://loopback.example.cn/hook"}, headers=ADMIN | {"If-Match": '"1"'}
    )
    assert (moved.status_code, moved.json()["errors"][0]["code"]) == (422, "address_refused")
    assert (await notify_client.get(url, headers=ADMIN)).json()["url"] == LOCAL


@pytest.mark.parametrize(
    "url",
    [
        "https://mixed.example.cn/hook",  # one public address: the connect-time check keeps only that one
        "https://not-yet-registered.example.cn/hook",  # does not resolve yet: decided at each attempt
    ],
)
async def test_a_name_with_a_public_address_or_none_yet_is_accepted(notify_client: httpx.AsyncClient, url: str) -> None:
    response = await notify_client.post(API, json=factories.subscriber(url), headers=ADMIN)
    assert (response.status_code, response.json().get("url")) == (201, url)


async def test_allowlisted_local_receivers_may_use_http_and_any_port(notify_client: httpx.AsyncClient) -> None:
    for n, url in enumerate(("http://127.0.0.1:8123/hook", "http://localhost:9000/x")):
        response = await notify_client.post(API, json=factories.subscriber(url, name=f"本机{n}"), headers=ADMIN)
        assert response.status_code == 201, response.text


async def test_a_taken_name_is_409(notify_client: httpx.AsyncClient) -> None:
    first = await notify_client.post(API, json=factories.subscriber(LOCAL), headers=ADMIN)
    again = await notify_client.post(API, json=factories.subscriber(LOCAL, region_code="430200"), headers=ADMIN)
    foreign = await notify_client.post(
        API, json=factories.subscriber(LOCAL, region_code="430200"), headers=auth("city", "430200")
    )
    assert (again.status_code, again.json()["code"], again.json()["existing_id"]) == (
        409,
        "subscriber_name_duplicate",
        first.json()["id"],
    )
    assert (foreign.status_code, foreign.json()["code"]) == (409, "subscriber_name_duplicate")
    assert "existing_id" not in foreign.json()  # a record outside the caller's scope is not named


async def test_patch_and_delete_follow_if_match(notify_client: httpx.AsyncClient) -> None:
    created = (await notify_client.post(API, json=factories.subscriber(LOCAL), headers=ADMIN)).json()
    url = f"{API}/{created['id']}"
    bad_url = await notify_client.patch(url, json={"url": "https://10.1.1.1/"}, headers=ADMIN | {"If-Match": '"1"'})
    assert (bad_url.status_code, bad_url.json()["errors"][0]["code"]) == (422, "address_refused")
    changed = await notify_client.patch(
        url, json={"topics": ["b", "a"], "rate_limit_per_minute": 30}, headers=ADMIN | {"If-Match": '"1"'}
    )
    assert (changed.status_code, changed.json()["topics"], changed.json()["version"]) == (200, ["a", "b"], 2)
    stale = await notify_client.delete(url, headers=ADMIN | {"If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await notify_client.delete(url, headers=ADMIN | {"If-Match": '"2"'})).status_code == 204
    assert (await notify_client.get(url, headers=ADMIN)).status_code == 404


async def test_rotation_keeps_the_old_secret_for_the_overlap(notify_client: httpx.AsyncClient) -> None:
    created = (await notify_client.post(API, json=factories.subscriber(LOCAL), headers=ADMIN)).json()
    rotated = await notify_client.post(f"{API}/{created['id']}/secret:rotate", json={}, headers=ADMIN)
    assert rotated.status_code == 200
    body = rotated.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != created["secret"]
    assert body["version"] == 2
    read = (await notify_client.get(f"{API}/{created['id']}", headers=ADMIN)).json()
    assert (read["secrets_active"], read["previous_secret_expires_at"]) == (2, body["previous_secret_expires_at"])
    audit = await notify_client.get(
        "/api/v1/audit-events", params={"resource_id": created["id"], "action": "rotate_secret"}, headers=ADMIN
    )
    assert len(audit.json()["items"]) == 1
    assert created["secret"] not in audit.text and body["secret"] not in audit.text


async def test_scope_of_subscribers(notify_client: httpx.AsyncClient) -> None:
    city = auth("city", "430100")
    created = await notify_client.post(API, json=factories.subscriber(LOCAL), headers=city)
    outside = await notify_client.post(API, json=factories.subscriber(LOCAL, region_code="430200"), headers=city)
    assert created.status_code == 201
    assert (outside.status_code, outside.json()["code"]) == (403, "region_out_of_scope")
    other_city = auth("city", "430200")
    assert (await notify_client.get(f"{API}/{created.json()['id']}", headers=other_city)).status_code == 404
    assert (await notify_client.get(API, headers=other_city)).json()["items"] == []
    assert len((await notify_client.get(API, headers=auth("county", "430104"))).json()["items"]) == 0
    assert len((await notify_client.get(API, headers=city)).json()["items"]) == 1


async def test_concurrent_patches_of_one_subscriber_version_have_one_winner(
    committing_notify_app: Any, committed: str
) -> None:
    async with asgi_client(committing_notify_app, "notify") as client:
        created = (
            await client.post(API, json=factories.subscriber(LOCAL, name=f"{committed}系统"), headers=ADMIN)
        ).json()
        url, headers = f"{API}/{created['id']}", ADMIN | {"If-Match": '"1"'}
        responses = await asyncio.gather(
            *(client.patch(url, json={"topics": [f"t{n}"]}, headers=headers) for n in range(6))
        )
        deletes = await asyncio.gather(*(client.delete(url, headers=ADMIN | {"If-Match": '"2"'}) for _ in range(4)))
    assert Counter(r.status_code for r in responses) == {200: 1, 412: 5}
    assert Counter(r.status_code for r in deletes)[204] == 1
    assert set(Counter(r.status_code for r in deletes)) <= {204, 404, 412}


async def test_concurrent_registrations_of_one_name_have_one_winner(committing_notify_app: Any, committed: str) -> None:
    body = factories.subscriber(LOCAL, name=f"{committed}同名")
    async with asgi_client(committing_notify_app, "notify") as client:
        responses = await asyncio.gather(*(client.post(API, json=body, headers=ADMIN) for _ in range(5)))
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 4}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"subscriber_name_duplicate"}
