"""Circulars through the API: drafts, 文号 at publish, source uniqueness, revoking, the PDF, region scope."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.conftest import ADMIN, auth
from tests.notify import factories

API = "/api/v1/circulars"


async def create(client: httpx.AsyncClient, headers: dict[str, str] = ADMIN, **overrides: Any) -> dict[str, Any]:
    response = await client.post(API, json=factories.circular(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def publish(client: httpx.AsyncClient, circular_id: str, headers: dict[str, str] = ADMIN) -> dict[str, Any]:
    response = await client.post(f"{API}/{circular_id}/publish", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_draft_is_created_with_location_etag_and_safe_html(notify_client: httpx.AsyncClient) -> None:
    body = "各市州：\n\n<script>alert(1)</script> [链接](javascript:alert(1)) **重点**"
    response = await notify_client.post(API, json=factories.circular(body=body), headers=ADMIN)
    assert response.status_code == 201
    draft = response.json()
    assert response.headers["location"] == f"{API}/{draft['id']}"
    assert response.headers["etag"] == '"1"'
    assert (draft["status"], draft["document_number"], draft["published_at"], draft["version"]) == (
        "draft",
        None,
        None,
        1,
    )
    assert draft["body_html"] == (
        "<p>各市州：</p>\n"
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; [链接](javascript:alert(1)) <strong>重点</strong></p>\n"
    )
    got = await notify_client.get(f"{API}/{draft['id']}", headers=ADMIN)
    assert got.status_code == 200
    assert got.headers["etag"] == '"1"'
    assert got.json() == draft


async def test_publishing_numbers_each_issuer_kind_and_year_from_one(
    notify_client: httpx.AsyncClient, now: dt.datetime
) -> None:
    first = await publish(notify_client, (await create(notify_client))["id"])
    second = await publish(notify_client, (await create(notify_client))["id"])
    notice = await publish(notify_client, (await create(notify_client, kind="notice"))["id"])
    other = await publish(notify_client, (await create(notify_client, issuer="gxt"))["id"])
    assert [c["document_number"] for c in (first, second, notice, other)] == [
        factories.number("湘万千百办通", 1, now),
        factories.number("湘万千百办通", 2, now),
        factories.number("湘万千百办发", 1, now),
        factories.number("湘工信万千百通", 1, now),
    ]
    assert (first["status"], first["version"]) == ("published", 2)
    again = await notify_client.post(f"{API}/{first['id']}/publish", headers=ADMIN)
    assert again.status_code == 409
    assert again.json()["code"] == "circular_not_draft"


async def test_publish_true_creates_a_published_circular_with_receipts(
    notify_client: httpx.AsyncClient, now: dt.datetime
) -> None:
    audience = {"regions": ["430100", "430200"], "departments": ["industry-it"]}
    circular = await create(notify_client, audience=audience, publish=True)
    assert (circular["status"], circular["document_number"]) == ("published", factories.number("湘万千百办通", 1, now))
    receipts = (await notify_client.get(f"{API}/{circular['id']}/receipts", headers=ADMIN)).json()
    assert [(r["unit_type"], r["unit_code"], r["status"]) for r in receipts["items"]] == [
        ("region", "430100", "pending"),
        ("region", "430200", "pending"),
        ("department", "industry-it", "pending"),
    ]
    assert (receipts["total"], receipts["signed"], receipts["pending"], receipts["sign_rate"]) == (3, 0, 3, 0.0)


async def test_one_source_yields_one_circular(notify_client: httpx.AsyncClient) -> None:
    source = {"type": "round", "id": "2026-Q3"}
    headers = ADMIN | {"Idempotency-Key": "round-2026-Q3"}
    body = factories.circular(source=source, publish=True)
    first = await notify_client.post(API, json=body, headers=headers)
    replay = await notify_client.post(API, json=body, headers=headers)
    other_key = await notify_client.post(API, json=body, headers=ADMIN | {"Idempotency-Key": "another"})
    no_key = await notify_client.post(API, json=factories.circular(source=source, title="另一份"), headers=ADMIN)
    assert first.status_code == 201
    assert (replay.status_code, replay.headers["idempotent-replayed"]) == (201, "true")
    assert replay.json() == first.json()
    for duplicate in (other_key, no_key):
        assert duplicate.status_code == 409
        assert duplicate.json()["code"] == "circular_source_duplicate"
        assert duplicate.json()["existing_id"] == first.json()["id"]
    listed = await notify_client.get(API, params={"source_type": "round", "source_id": "2026-Q3"}, headers=ADMIN)
    assert [c["id"] for c in listed.json()["items"]] == [first.json()["id"]]


async def test_patch_a_draft_needs_if_match_and_changes_only_what_is_sent(notify_client: httpx.AsyncClient) -> None:
    draft = await create(notify_client)
    url = f"{API}/{draft['id']}"
    missing = await notify_client.patch(url, json={"title": "新标题"}, headers=ADMIN)
    stale = await notify_client.patch(url, json={"title": "新标题"}, headers=ADMIN | {"If-Match": '"7"'})
    changed = await notify_client.patch(url, json={"title": "新标题"}, headers=ADMIN | {"If-Match": '"1"'})
    assert (missing.status_code, missing.json()["code"]) == (428, "precondition_required")
    assert (stale.status_code, stale.json()["code"], stale.json()["version"]) == (412, "precondition_failed", 1)
    assert changed.status_code == 200
    assert changed.headers["etag"] == '"2"'
    assert {k: v for k, v in changed.json().items() if k not in ("updated_at", "version", "title")} == {
        k: v for k, v in draft.items() if k not in ("updated_at", "version", "title")
    }
    assert (changed.json()["title"], changed.json()["version"]) == ("新标题", 2)
    cleared = await notify_client.patch(url, json={"data": None}, headers=ADMIN | {"If-Match": '"2"'})
    assert cleared.json()["data"] is None
    required = await notify_client.patch(url, json={"title": None}, headers=ADMIN | {"If-Match": '"3"'})
    assert (required.status_code, required.json()["code"]) == (422, "null_not_allowed")


async def test_a_published_circular_can_be_neither_patched_nor_deleted(notify_client: httpx.AsyncClient) -> None:
    circular = await create(notify_client, publish=True)
    url, headers = f"{API}/{circular['id']}", ADMIN | {"If-Match": '"2"'}
    patched = await notify_client.patch(url, json={"title": "改"}, headers=headers)
    deleted = await notify_client.delete(url, headers=headers)
    assert [(r.status_code, r.json()["code"]) for r in (patched, deleted)] == [
        (409, "circular_not_draft"),
        (409, "circular_not_draft"),
    ]


async def test_a_draft_is_deleted_with_if_match(notify_client: httpx.AsyncClient) -> None:
    draft = await create(notify_client)
    url = f"{API}/{draft['id']}"
    assert (await notify_client.delete(url, headers=ADMIN | {"If-Match": '"2"'})).status_code == 412
    assert (await notify_client.delete(url, headers=ADMIN | {"If-Match": '"1"'})).status_code == 204
    gone = await notify_client.get(url, headers=ADMIN)
    assert (gone.status_code, gone.json()["code"]) == (404, "circular_not_found")


async def test_revoking_needs_a_reason_and_a_published_circular(
    notify_client: httpx.AsyncClient, now: dt.datetime
) -> None:
    draft = await create(notify_client)
    not_published = await notify_client.post(f"{API}/{draft['id']}/revoke", json={"reason": "有误"}, headers=ADMIN)
    assert (not_published.status_code, not_published.json()["code"]) == (409, "circular_not_published")
    circular = await publish(notify_client, draft["id"])
    no_reason = await notify_client.post(f"{API}/{circular['id']}/revoke", json={"reason": " "}, headers=ADMIN)
    assert no_reason.status_code == 422
    revoked = await notify_client.post(f"{API}/{circular['id']}/revoke", json={"reason": "数据有误"}, headers=ADMIN)
    assert revoked.status_code == 200
    assert (revoked.json()["status"], revoked.json()["revoke_reason"], revoked.json()["version"]) == (
        "revoked",
        "数据有误",
        3,
    )
    assert revoked.json()["document_number"] == factories.number(
        "湘万千百办通", 1, now
    )  # a revoked number is never reused
    twice = await notify_client.post(f"{API}/{circular['id']}/revoke", json={"reason": "再撤"}, headers=ADMIN)
    assert (twice.status_code, twice.json()["code"]) == (409, "circular_not_published")


async def test_the_document_exists_from_publication(notify_client: httpx.AsyncClient, now: dt.datetime) -> None:
    draft = await create(notify_client)
    missing = await notify_client.get(f"{API}/{draft['id']}/document", headers=ADMIN)
    assert (missing.status_code, missing.json()["code"]) == (404, "circular_document_not_found")
    await publish(notify_client, draft["id"])
    document = await notify_client.get(f"{API}/{draft['id']}/document", headers=ADMIN)
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.content == ("%PDF-1.4 stand-in " + factories.number("湘万千百办通", 1, now)).encode()


async def test_the_pdf_is_rendered_once_at_publish_as_an_official_document(
    notify_client: httpx.AsyncClient, real_documents: None, now: dt.datetime
) -> None:
    circular = await create(notify_client, urgency="urgent", recipients=["各市州万千百工作专班"], publish=True)
    first = await notify_client.get(f"{API}/{circular['id']}/document", headers=ADMIN)
    second = await notify_client.get(f"{API}/{circular['id']}/document", headers=ADMIN)
    assert first.content == second.content
    pages = PdfReader(io.BytesIO(first.content)).pages
    text = "".join(c for page in pages for c in page.extract_text() if c != "\x00" and not c.isspace())
    for expected in (
        "加急",
        factories.number("湘万千百办通", 1, now),
        "各市州万千百工作专班：",
        "现将第三季度调度情况通报如下。",
    ):
        assert expected in text


async def test_every_write_is_audited(notify_client: httpx.AsyncClient, now: dt.datetime) -> None:
    draft = await create(notify_client)
    await notify_client.patch(f"{API}/{draft['id']}", json={"title": "改后"}, headers=ADMIN | {"If-Match": '"1"'})
    await publish(notify_client, draft["id"])
    await notify_client.post(f"{API}/{draft['id']}/revoke", json={"reason": "有误"}, headers=ADMIN)
    events = await notify_client.get(
        "/api/v1/audit-events", params={"resource_type": "circular", "resource_id": draft["id"]}, headers=ADMIN
    )
    assert [e["action"] for e in events.json()["items"]] == ["revoke", "publish", "update", "create"]
    publish_event = events.json()["items"][1]
    assert publish_event["before"] == {"status": "draft", "version": 2}
    assert (publish_event["after"]["document_number"], publish_event["after"]["receipts"]) == (
        factories.number("湘万千百办通", 1, now),
        1,
    )


SCOPE_CASES = [
    # audience region, caller's region, sees it
    ("430000", "430104", True),  # the province: everyone
    ("430100", "430104", True),  # the county's city
    ("430100", "430100", True),
    ("430104", "430100", True),  # one of the city's counties
    ("430104", "430105", False),  # a sibling county
    ("430100", "430200", False),  # another city
    ("430200", "430104", False),
]


@pytest.mark.parametrize(("audience", "caller", "sees"), SCOPE_CASES)
async def test_a_region_sees_circulars_addressed_to_it_above_or_below_it(
    notify_client: httpx.AsyncClient, audience: str, caller: str, sees: bool
) -> None:
    circular = await create(notify_client, audience={"regions": [audience]}, publish=True)
    role = "county" if not caller.endswith("00") else "city"
    headers = auth(role, caller)
    one = await notify_client.get(f"{API}/{circular['id']}", headers=headers)
    listed = await notify_client.get(API, headers=headers)
    assert one.status_code == (200 if sees else 404)
    assert [c["id"] for c in listed.json()["items"]] == ([circular["id"]] if sees else [])


async def test_drafts_are_seen_by_who_may_issue_them(notify_client: httpx.AsyncClient) -> None:
    draft = await create(notify_client, issuer="gxt", audience={"regions": ["430000"]})
    url = f"{API}/{draft['id']}"
    assert (await notify_client.get(url, headers=auth("department", department="industry-it"))).status_code == 200
    assert (await notify_client.get(url, headers=auth("department", department="commerce"))).status_code == 404
    assert (await notify_client.get(url, headers=auth("county", "430104"))).status_code == 404
    assert (await notify_client.get(url, headers=auth("service"))).status_code == 200


async def test_a_department_issues_only_as_itself(notify_client: httpx.AsyncClient) -> None:
    own = auth("department", department="industry-it")
    created = await notify_client.post(API, json=factories.circular(issuer="gxt"), headers=own)
    other = await notify_client.post(API, json=factories.circular(issuer="swt"), headers=own)
    office = await notify_client.post(API, json=factories.circular(), headers=own)
    county = await notify_client.post(API, json=factories.circular(), headers=auth("county", "430104"))
    assert created.status_code == 201
    assert [(r.status_code, r.json()["code"]) for r in (other, office, county)] == [
        (403, "issuer_not_own"),
        (403, "issuer_not_own"),
        (403, "role_cannot_issue"),
    ]


HOSTILE = [
    ({"title": "含\x00字符"}, "string_nul_byte"),
    ({"data": {"a": "\x00"}}, "string_nul_byte"),
    ({"data": {"k": [[[[[[[[[1]]]]]]]]]}}, "data_too_deep"),
    ({"data": {"rank": [1, 2**64]}}, "number_out_of_range"),
    ({"data": {"rank": -(2**63) - 1}}, "number_out_of_range"),
    ({"data": {"total": 1e20}}, "number_out_of_range"),  # stored by JSONB as an integer of 21 digits
    ({"audience": {"regions": ["110000"]}}, "region_unknown"),
    ({"audience": {}}, "audience_empty"),
    ({"audience": {"regions": ["43010"]}}, "string_pattern_mismatch"),
    ({"reply_deadline": "2026-12-31T12:00:00"}, "timezone_aware"),
    ({"reply_deadline": "99999-12-31T12:00:00Z"}, "datetime_from_date_parsing"),
    ({"kind": "memo"}, "enum"),
    ({"unknown": 1}, "extra_forbidden"),
    ({"source": {"type": "Round!", "id": "x"}}, "string_pattern_mismatch"),
    ({"title": "长" * 201}, "string_too_long"),
]


@pytest.mark.parametrize(("change", "code"), HOSTILE)
async def test_hostile_bodies_are_422_with_a_code(
    notify_client: httpx.AsyncClient, change: dict[str, Any], code: str
) -> None:
    response = await notify_client.post(API, json=factories.circular(**change), headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert code in {e["code"] for e in response.json()["errors"]}


async def test_hostile_bytes_are_4xx(notify_client: httpx.AsyncClient) -> None:
    headers = ADMIN | {"Content-Type": "application/json"}
    not_utf8 = await notify_client.post(API, content=b'{"title": "\xff\xfe"}', headers=headers)
    nan = await notify_client.post(API, content=b'{"data": {"x": NaN}}', headers=headers)
    deep = await notify_client.post(API, content=b"[" * 5000 + b"]" * 5000, headers=headers)
    huge = await notify_client.post(API, content=b'{"body": "' + b"x" * (2 * 1024 * 1024) + b'"}', headers=headers)
    bad_id = await notify_client.get(f"{API}/not-a-uuid", headers=ADMIN)
    bad_cursor = await notify_client.get(API, params={"cursor": "!!"}, headers=ADMIN)
    for unparseable in (not_utf8, deep):
        assert (unparseable.status_code, unparseable.json()["code"]) == (400, "request_malformed")
    assert "number_not_finite" in {e["code"] for e in nan.json()["errors"]}
    for response in (nan, bad_id, bad_cursor):
        assert response.status_code == 422, response.text
    assert huge.status_code == 413


async def test_data_at_the_edge_of_64_bits_publishes_and_reaches_the_payload(notify_client: httpx.AsyncClient) -> None:
    published = await create(notify_client, data={"rank": [2**63 - 1, -(2**63)], "total": 9.2e18}, publish=True)
    assert published["status"] == "published"
    assert published["data"] == {"rank": [2**63 - 1, -(2**63)], "total": 9200000000000000000}


async def test_lists_filter_by_region_status_and_kind_and_page_by_cursor(notify_client: httpx.AsyncClient) -> None:
    changsha = await create(notify_client, audience={"regions": ["430104"]}, publish=True)
    zhuzhou = await create(notify_client, audience={"regions": ["430200"]}, kind="notice")
    province = await create(notify_client, audience={"regions": ["430000"]})

    async def ids(**params: Any) -> list[str]:
        response = await notify_client.get(API, params=params, headers=ADMIN)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert await ids(region="430100") == [changsha["id"]]
    assert await ids(region="430000") == [province["id"], zhuzhou["id"], changsha["id"]]
    assert await ids(status="draft", sort="created_at") == [zhuzhou["id"], province["id"]]
    assert await ids(kind="notice") == [zhuzhou["id"]]
    first = await notify_client.get(API, params={"limit": 2}, headers=ADMIN)
    rest = await notify_client.get(API, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=ADMIN)
    assert [c["id"] for c in first.json()["items"] + rest.json()["items"]] == [
        province["id"],
        zhuzhou["id"],
        changsha["id"],
    ]
    assert rest.json()["next_cursor"] is None
    unknown = await notify_client.get(API, params={"colour": "red"}, headers=ADMIN)
    assert (unknown.status_code, unknown.json()["errors"][0]["code"]) == (422, "extra_forbidden")


@pytest.mark.parametrize("body", ["", "  \n\n "])
async def test_a_circular_without_a_body_is_not_published(notify_client: httpx.AsyncClient, body: str) -> None:
    at_once = await notify_client.post(API, json=factories.circular(body=body, publish=True), headers=ADMIN)
    assert (at_once.status_code, at_once.json()["code"]) == (409, "circular_body_empty")
    draft = await create(notify_client, body=body)
    later = await notify_client.post(f"{API}/{draft['id']}/publish", headers=ADMIN)
    assert (later.status_code, later.json()["code"]) == (409, "circular_body_empty")
    listed = (await notify_client.get(API, headers=ADMIN)).json()["items"]
    assert [(c["id"], c["status"], c["version"]) for c in listed] == [(draft["id"], "draft", 1)]  # nothing else
    receipts = await notify_client.get(f"{API}/{draft['id']}/receipts", headers=ADMIN)
    assert receipts.json()["total"] == 0


async def test_a_city_department_addresses_only_regions_within_its_own(notify_client: httpx.AsyncClient) -> None:
    city_department = auth("department", "430100", department="industry-it")
    own = await notify_client.post(
        API, json=factories.circular(issuer="gxt", audience={"regions": ["430100", "430104"]}), headers=city_department
    )
    assert own.status_code == 201, own.text
    elsewhere = await notify_client.post(
        API, json=factories.circular(issuer="gxt", audience={"regions": ["430104", "430200"]}), headers=city_department
    )
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (403, "audience_out_of_scope")
    assert "430200" in elsewhere.json()["detail"]
    moved = await notify_client.patch(
        f"{API}/{own.json()['id']}",
        json={"audience": {"regions": ["430000"]}},
        headers=city_department | {"If-Match": '"1"'},
    )
    assert (moved.status_code, moved.json()["code"]) == (403, "audience_out_of_scope")
    province = await notify_client.post(
        API,
        json=factories.circular(issuer="gxt", audience={"regions": ["430200"]}),
        headers=auth("department", "430000", department="industry-it"),
    )
    assert province.status_code == 201
    after = (await notify_client.get(f"{API}/{own.json()['id']}", headers=ADMIN)).json()
    assert (after["audience"]["regions"], after["version"]) == (["430100", "430104"], 1)
