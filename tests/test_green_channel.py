"""The green channel (绿色通道) for project approvals: who put a project in and when, each approval's
committed date (承诺时限), the overdue flag, the list filters, one approval patched under the project's
If-Match, and the progress counts."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from services.registry.approvals import rules
from shared.errors import FieldError
from shared.schemas.enums import ApprovalState
from tests import factories
from tests.conftest import ADMIN, auth

# 2026-06-01 09:00 in Asia/Shanghai: "today" for every request of a test that pins the clock.
NOW = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 6, 1)
OFFICE = auth("admin", "430000", sub="office-1", name="省万千百办张三")
COUNTY = auth("county", "430104")
OTHER_COUNTY = auth("county", "430102")


async def create_project(client: httpx.AsyncClient, n: int, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/projects", json=factories.project(n, **overrides), headers=OFFICE)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def patch(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], version: int, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.patch(path, json=body, headers=(headers or ADMIN) | {"If-Match": f'"{version}"'})


def land(state: str, committed: str | None, **more: Any) -> dict[str, Any]:
    return {"kind": "land", "state": state, "committed_completion_on": committed, **more}


# ---- the rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "committed", "overdue"),
    [
        (ApprovalState.in_progress, dt.date(2026, 5, 31), True),
        (ApprovalState.not_started, dt.date(2026, 5, 31), True),
        (ApprovalState.in_progress, TODAY, False),  # the committed day itself is still in time
        (ApprovalState.in_progress, None, False),
        (ApprovalState.approved, dt.date(2026, 1, 1), False),
        (ApprovalState.rejected, dt.date(2026, 1, 1), False),
        (ApprovalState.not_required, dt.date(2026, 1, 1), False),
    ],
)
def test_an_approval_is_overdue_only_unfinished_after_its_committed_day(
    state: ApprovalState, committed: dt.date | None, overdue: bool
) -> None:
    assert rules.is_overdue(state, committed, TODAY) is overdue


def test_approval_dates_name_the_field_out_of_order() -> None:
    d = dt.date
    assert rules.dates(d(2026, 1, 2), d(2026, 1, 1), None) == FieldError(
        "approved_on", "批复日期不能早于申报日期", "approval_dates_order"
    )
    assert rules.dates(d(2026, 1, 2), None, d(2026, 1, 1)) == FieldError(
        "committed_completion_on", "承诺办结时限不能早于申报日期", "approval_commitment_before_application"
    )
    assert rules.dates(d(2026, 1, 2), d(2026, 1, 2), d(2026, 1, 2)) is None


# ---- entering and leaving the channel ----------------------------------------------------------------


async def test_a_project_created_in_the_channel_records_who_and_when(
    client: httpx.AsyncClient, fixed_now: Callable[[dt.datetime], None]
) -> None:
    fixed_now(NOW)
    project = await create_project(client, 1, green_channel=True, green_channel_note="省重点项目")
    assert {k: v for k, v in project.items() if k.startswith("green_channel")} == {
        "green_channel": True,
        "green_channel_at": "2026-06-01T01:00:00Z",
        "green_channel_by": "office-1",
        "green_channel_by_name": "省万千百办张三",
        "green_channel_note": "省重点项目",
    }
    again = (await client.get(f"/api/v1/projects/{project['id']}", headers=ADMIN)).json()
    assert again["green_channel_at"] == "2026-06-01T01:00:00Z"


async def test_a_project_is_created_outside_the_channel_by_default(client: httpx.AsyncClient) -> None:
    project = await create_project(client, 1)
    assert [project[k] for k in ("green_channel", "green_channel_at", "green_channel_by", "green_channel_note")] == [
        False,
        None,
        None,
        None,
    ]


async def test_a_note_without_entering_is_refused_on_create(client: httpx.AsyncClient) -> None:
    body = factories.project(1, green_channel_note="说明")
    response = await client.post("/api/v1/projects", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "green_channel_note_without_entry"


async def test_entering_again_keeps_who_and_when_and_leaving_clears_them(
    client: httpx.AsyncClient, fixed_now: Callable[[dt.datetime], None]
) -> None:
    fixed_now(NOW)
    project = await create_project(client, 1)
    path = f"/api/v1/projects/{project['id']}"
    entered = await patch(client, path, {"green_channel": True}, 1, headers=OFFICE)
    assert entered.status_code == 200, entered.text
    assert entered.headers["ETag"] == '"2"'
    assert (entered.json()["green_channel_by"], entered.json()["green_channel_note"]) == ("office-1", "")

    fixed_now(NOW + dt.timedelta(days=3))
    county = auth("county", "430104", sub="county-op", name="岳麓区李四")
    kept = await patch(client, path, {"green_channel": True, "green_channel_note": "补充说明"}, 2, headers=county)
    assert kept.status_code == 200, kept.text
    assert [kept.json()[k] for k in ("green_channel_at", "green_channel_by", "green_channel_note")] == [
        "2026-06-01T01:00:00Z",
        "office-1",
        "补充说明",
    ]

    left = await patch(client, path, {"green_channel": False}, 3)
    assert left.status_code == 200, left.text
    assert [
        left.json()[k] for k in ("green_channel", "green_channel_at", "green_channel_by", "green_channel_note")
    ] == [
        False,
        None,
        None,
        None,
    ]


async def test_green_channel_patches_that_cannot_apply_are_422_and_change_nothing(client: httpx.AsyncClient) -> None:
    project = await create_project(client, 1)
    path = f"/api/v1/projects/{project['id']}"
    note_only = await patch(client, path, {"green_channel_note": "说明"}, 1)
    assert note_only.status_code == 422
    assert note_only.json()["errors"][0] == {
        "field": "green_channel_note",
        "message": "项目不在绿色通道内，不能填写绿色通道说明",
        "code": "green_channel_note_without_entry",
    }
    null = await patch(client, path, {"green_channel": None}, 1)
    assert null.status_code == 422
    assert null.json()["errors"][0]["code"] == "null_not_allowed"
    leaving_with_note = await patch(client, path, {"green_channel": False, "green_channel_note": "说明"}, 1)
    assert leaving_with_note.status_code == 422
    current = await client.get(path, headers=ADMIN)
    assert (current.headers["ETag"], current.json()["green_channel"]) == ('"1"', False)


# ---- one approval at a time --------------------------------------------------------------------------


async def test_patching_one_approval_keeps_the_others_and_bumps_the_project(client: httpx.AsyncClient) -> None:
    eia = {"kind": "eia", "state": "approved", "applied_on": "2024-01-02", "approved_on": "2024-02-03"}
    project = await create_project(client, 1, approvals=[eia, land("in_progress", "2099-12-31")])
    path = f"/api/v1/projects/{project['id']}/approvals/land"
    response = await patch(
        client, path, {"state": "approved", "approved_on": "2024-05-06", "document_no": "湘地〔2024〕1号"}, 1
    )
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    data = response.json()
    assert data["version"] == 2
    assert sorted(data["approvals"], key=lambda a: a["kind"]) == [
        eia | {"document_no": None, "committed_completion_on": None, "overdue": False},
        {
            "kind": "land",
            "state": "approved",
            "applied_on": None,
            "approved_on": "2024-05-06",
            "document_no": "湘地〔2024〕1号",
            "committed_completion_on": "2099-12-31",
            "overdue": False,
        },
    ]
    stored = (await client.get(f"/api/v1/projects/{project['id']}", headers=ADMIN)).json()
    assert stored["approvals"] == data["approvals"]


async def test_a_new_approval_is_added_with_its_state_and_flagged_when_past_its_date(
    client: httpx.AsyncClient,
) -> None:
    project = await create_project(client, 1)
    path = f"/api/v1/projects/{project['id']}/approvals/approval_filing"
    missing_state = await patch(client, path, {"committed_completion_on": "2025-01-31"}, 1)
    assert missing_state.status_code == 422
    assert missing_state.json()["code"] == "approval_state_required"
    response = await patch(client, path, {"state": "in_progress", "committed_completion_on": "2025-01-31"}, 1)
    assert response.status_code == 200, response.text
    # The single GET flags against the real date; 2025-01-31 is past whatever day the suite runs.
    got = (await client.get(f"/api/v1/projects/{project['id']}", headers=ADMIN)).json()
    assert got["approvals"] == [
        {
            "kind": "approval_filing",
            "state": "in_progress",
            "applied_on": None,
            "approved_on": None,
            "document_no": None,
            "committed_completion_on": "2025-01-31",
            "overdue": True,
        }
    ]
    cleared = await patch(client, path, {"committed_completion_on": None}, 2)
    assert cleared.json()["approvals"][0]["overdue"] is False
    assert cleared.json()["approvals"][0]["committed_completion_on"] is None


async def test_the_overdue_flag_turns_the_day_after_the_committed_date(
    client: httpx.AsyncClient, fixed_now: Callable[[dt.datetime], None]
) -> None:
    fixed_now(NOW)
    project = await create_project(client, 1, approvals=[land("in_progress", "2026-05-31")])
    assert project["approvals"][0]["overdue"] is True
    path = f"/api/v1/projects/{project['id']}/approvals/land"
    in_time = await patch(client, path, {"committed_completion_on": "2026-06-01"}, 1)
    assert in_time.json()["approvals"][0]["overdue"] is False
    listed = await client.get("/api/v1/projects", params={"approval_overdue": "true"}, headers=ADMIN)
    assert listed.json()["items"] == []


async def test_approval_patch_refuses_bad_dates_a_null_state_and_an_unknown_kind(client: httpx.AsyncClient) -> None:
    project = await create_project(client, 1, approvals=[land("in_progress", "2026-03-01", applied_on="2026-01-10")])
    base = f"/api/v1/projects/{project['id']}/approvals"
    before_applied = await patch(client, f"{base}/land", {"approved_on": "2026-01-09"}, 1)
    assert before_applied.status_code == 422
    assert before_applied.json()["errors"][0]["code"] == "approval_dates_order"
    commitment = await patch(client, f"{base}/land", {"committed_completion_on": "2026-01-01"}, 1)
    assert commitment.json()["errors"][0]["code"] == "approval_commitment_before_application"
    null_state = await patch(client, f"{base}/land", {"state": None}, 1)
    assert null_state.json()["errors"][0] == {
        "field": "state",
        "message": "该字段不能为空（null）",
        "code": "null_not_allowed",
    }
    unknown = await patch(client, f"{base}/permit", {"state": "approved"}, 1)
    assert unknown.status_code == 422
    extra = await patch(client, f"{base}/land", {"state": "approved", "colour": "green"}, 1)
    assert extra.status_code == 422
    assert (await client.get(f"/api/v1/projects/{project['id']}", headers=ADMIN)).headers["ETag"] == '"1"'


async def test_approval_patch_needs_the_project_s_current_version(client: httpx.AsyncClient) -> None:
    project = await create_project(client, 1)
    path = f"/api/v1/projects/{project['id']}/approvals/eia"
    missing = await client.patch(path, json={"state": "in_progress"}, headers=ADMIN)
    assert missing.status_code == 428
    assert (await patch(client, path, {"state": "in_progress"}, 1)).status_code == 200
    stale = await patch(client, path, {"state": "approved"}, 1)
    assert stale.status_code == 412
    assert stale.json()["version"] == 2


async def test_approval_patch_is_404_outside_the_caller_s_region_and_for_other_kinds(
    client: httpx.AsyncClient,
) -> None:
    project = await create_project(client, 1)
    path = f"/api/v1/projects/{project['id']}/approvals/eia"
    assert (await patch(client, path, {"state": "in_progress"}, 1, headers=OTHER_COUNTY)).status_code == 404
    enterprise = await client.post("/api/v1/enterprises", json=factories.enterprise(1), headers=ADMIN)
    other_kind = await patch(
        client, f"/api/v1/projects/{enterprise.json()['id']}/approvals/eia", {"state": "approved"}, 1
    )
    assert other_kind.status_code == 404
    assert other_kind.json()["code"] == "project_not_found"


async def test_an_approval_patch_is_audited_and_in_the_feed_once(client: httpx.AsyncClient) -> None:
    project = await create_project(client, 1)
    response = await patch(
        client,
        f"/api/v1/projects/{project['id']}/approvals/eia",
        {"state": "in_progress", "committed_completion_on": "2020-01-01"},
        1,
    )
    assert response.status_code == 200
    audit = (await client.get("/api/v1/audit-events", params={"resource_id": project["id"]}, headers=ADMIN)).json()
    assert [e["action"] for e in audit["items"]] == ["update", "create"]
    update = audit["items"][0]
    assert update["before"]["approvals"] == []
    # The flag follows from the date, not from a write: the audit and the feed keep the facts only.
    assert update["after"]["approvals"] == [
        {
            "kind": "eia",
            "state": "in_progress",
            "applied_on": None,
            "approved_on": None,
            "document_no": None,
            "committed_completion_on": "2020-01-01",
        }
    ]
    feed = (await client.get("/api/v1/events", params={"after": 0, "limit": 1000}, headers=ADMIN)).json()["items"]
    mine = [(e["action"], e["payload"]["version"]) for e in feed if e["resource_id"] == project["id"]]
    assert mine == [("created", 1), ("updated", 2)]
    assert "overdue" not in feed[-1]["payload"]["approvals"][0]


# ---- lists, exports and progress ---------------------------------------------------------------------


async def _four_projects(client: httpx.AsyncClient) -> dict[str, str]:
    """In the channel and overdue; in it and in time; outside it and overdue; in it, past the date but
    approved. Plus one of another county, in the channel and overdue."""
    ids = {}
    for n, name, green, approval in (
        (1, "green_overdue", True, land("in_progress", "2026-05-31")),
        (2, "green_in_time", True, land("in_progress", "2026-06-01")),
        (3, "outside_overdue", False, land("not_started", "2026-05-01")),
        (4, "green_done", True, land("approved", "2026-05-01", approved_on="2026-05-20")),
    ):
        ids[name] = (await create_project(client, n, green_channel=green, approvals=[approval]))["id"]
    other = await create_project(
        client,
        5,
        region_code="430102",
        project_code="2024-430102-39-03-000005",
        green_channel=True,
        approvals=[
            land("in_progress", "2026-05-31"),
            {"kind": "eia", "state": "not_started", "committed_completion_on": "2026-04-30"},
        ],
    )
    ids["other_county"] = other["id"]
    return ids


async def _ids(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> set[str]:
    response = await client.get("/api/v1/projects", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_lists_filter_by_green_channel_and_overdue_approvals_within_scope(
    client: httpx.AsyncClient, fixed_now: Callable[[dt.datetime], None]
) -> None:
    fixed_now(NOW)
    ids = await _four_projects(client)
    both = {"green_channel": "true", "approval_overdue": "true"}
    assert await _ids(client, ADMIN, **both) == {ids["green_overdue"], ids["other_county"]}
    assert await _ids(client, COUNTY, **both) == {ids["green_overdue"]}
    assert await _ids(client, OTHER_COUNTY, **both) == {ids["other_county"]}
    assert await _ids(client, COUNTY, approval_overdue="true") == {ids["green_overdue"], ids["outside_overdue"]}
    assert await _ids(client, COUNTY, approval_overdue="false") == {ids["green_in_time"], ids["green_done"]}
    assert await _ids(client, COUNTY, green_channel="false") == {ids["outside_overdue"]}
    assert await _ids(client, COUNTY, green_channel="true") == {
        ids["green_overdue"],
        ids["green_in_time"],
        ids["green_done"],
    }
    bad = await client.get("/api/v1/projects", params={"approval_overdue": "maybe"}, headers=ADMIN)
    assert bad.status_code == 422
    not_for_kind = await client.get("/api/v1/enterprises", params={"green_channel": "true"}, headers=ADMIN)
    assert not_for_kind.status_code == 422


async def test_exports_take_the_same_filters(
    client: httpx.AsyncClient, fixed_now: Callable[[dt.datetime], None]
) -> None:
    fixed_now(NOW)
    await _four_projects(client)
    params = {"format": "csv", "green_channel": "true", "approval_overdue": "true"}
    response = await client.get("/api/v1/exports/projects", params=params, headers=COUNTY)
    assert response.status_code == 200, response.text
    rows = response.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 2  # the header and 测试项目1
    assert "测试项目1" in rows[1]


async def test_progress_counts_the_green_channel_within_scope_and_filters(
    client: httpx.AsyncClient, fixed_now: Callable[[dt.datetime], None]
) -> None:
    fixed_now(NOW)
    await _four_projects(client)

    async def green(headers: dict[str, str], **params: str) -> Any:
        response = await client.get("/api/v1/progress", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["green_channel"]

    assert await green(ADMIN) == {
        "projects": 4,
        "projects_approval_overdue": 2,
        "approvals_overdue": [
            {"kind": "approval_filing", "overdue": 0},
            {"kind": "eia", "overdue": 1},
            {"kind": "land", "overdue": 2},
        ],
    }
    assert await green(COUNTY) == {
        "projects": 3,
        "projects_approval_overdue": 1,
        "approvals_overdue": [
            {"kind": "approval_filing", "overdue": 0},
            {"kind": "eia", "overdue": 0},
            {"kind": "land", "overdue": 1},
        ],
    }
    assert (await green(ADMIN, region="430102"))["projects"] == 1
    assert (await green(ADMIN, level="city"))["projects"] == 0
    assert await green(ADMIN, as_of="2026-05-31") is None


async def test_progress_leaves_removed_projects_out_of_the_green_channel(
    client: httpx.AsyncClient, fixed_now: Callable[[dt.datetime], None]
) -> None:
    fixed_now(NOW)
    project = await create_project(client, 1, green_channel=True, approvals=[land("in_progress", "2026-05-01")])
    removal = {"entity_id": project["id"], "action": "remove", "reason": "项目终止", "effective_on": "2026-06-01"}
    assert (await client.post("/api/v1/roster-adjustments", json=removal, headers=ADMIN)).status_code == 201
    counts = (await client.get("/api/v1/progress", headers=ADMIN)).json()["green_channel"]
    assert (counts["projects"], counts["projects_approval_overdue"]) == (0, 0)


async def test_of_racing_approval_patches_with_one_etag_exactly_one_wins(
    committing_client: httpx.AsyncClient, committed_entities: list[str]
) -> None:
    response = await committing_client.post(
        "/api/v1/projects", json=factories.project(990101, name="审批竞速项目"), headers=ADMIN
    )
    assert response.status_code == 201, response.text
    pid = response.json()["id"]
    committed_entities.append(pid)
    path = f"/api/v1/projects/{pid}/approvals/eia"
    dates = [f"2027-01-{day:02d}" for day in range(1, 11)]
    answers = await asyncio.gather(
        *(patch(committing_client, path, {"state": "in_progress", "committed_completion_on": d}, 1) for d in dates)
    )
    assert sorted(a.status_code for a in answers) == [200] + [412] * 9
    winner = next(a for a in answers if a.status_code == 200).json()
    assert all(a.json()["version"] == 2 for a in answers if a.status_code == 412)
    stored = (await committing_client.get(f"/api/v1/projects/{pid}", headers=ADMIN)).json()
    assert (stored["version"], stored["approvals"]) == (2, winner["approvals"])
    audit = (await committing_client.get("/api/v1/audit-events", params={"resource_id": pid}, headers=ADMIN)).json()
    assert [e["action"] for e in audit["items"]] == ["update", "create"]
    actions: list[str] = []
    cursor = "0"
    while True:
        params: dict[str, str | int] = {"after": cursor, "limit": 1000}
        page = (await committing_client.get("/api/v1/events", params=params, headers=ADMIN)).json()
        actions += [e["action"] for e in page["items"] if e["resource_id"] == pid]
        if not page["items"]:
            break
        cursor = page["next_cursor"]
    assert actions == ["created", "updated"]
