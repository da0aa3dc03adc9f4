"""The circulars the scheduler requests, written into the outbox in the transaction of their cause.

    bulletin            a round closes: its summary and ranking       key scheduler:bulletin:<round id>
    supervision_letter  a finding turns red                           key scheduler:finding:<finding id>
                        a supervision case opens                      key scheduler:case:<case id>
    reminder            a round's reminder instant, to late units     key scheduler:reminder:<reminder id>

Each key is written once (`outbox_message` is unique on peer and key) and sent on every retry, so
notify issues each circular once however often the relay must try. The payload is notify's own
request body (`shared.schemas.notify.actions.circulars.CircularCreate`), checked here when it is
written; the relay hands it to `NotifyClient.request_circular` (`circulars.delivery`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.rules import Colour
from shared.outbox import Outbox
from shared.schemas.notify.actions.circulars import Audience, CircularCreate, SourceRef
from shared.schemas.notify.enums import CircularKind, Issuer, Urgency

NOTIFY = "notify"
REQUEST_CIRCULAR = "request_circular"
# Every circular the scheduler requests is issued by the programme office.
ISSUER = Issuer.wqb_office


async def enqueue(session: AsyncSession, outbox: Outbox, key: str, request: CircularCreate) -> None:
    await outbox.enqueue(
        session, peer=NOTIFY, operation=REQUEST_CIRCULAR, idempotency_key=key, payload=request.model_dump(mode="json")
    )


def _audience(region: str, department: str | None) -> Audience:
    return Audience(regions=[region], departments=[department] if department else [])


def red_finding_letter(finding: Mapping[Any, Any]) -> tuple[str, CircularCreate]:
    """The letter a red finding gets. The sweep writes these set-wise in SQL (`sweep_sql.RED_LETTERS`);
    this is their reference, and the tests compare the two payload for payload."""
    name = finding["entity_name"] or finding["region_code"]
    request = CircularCreate(
        kind=CircularKind.supervision_letter,
        title=f"关于{name}{Colour.red.label}的督办函"[:200],
        body=(
            f"经督导规则 {finding['rule_code']}（第 {finding['rule_version']} 版）核查，"
            f"{name}触发{Colour.red.label}，请抓紧整改。"
        ),
        data={"finding_id": str(finding["id"]), "rule": finding["rule_code"], "explanation": finding["explanation"]},
        urgency=Urgency.urgent,
        audience=_audience(finding["region_code"], finding["lead_department_code"]),
        source=SourceRef(type="finding", id=str(finding["id"])),
        issuer=ISSUER,
        publish=True,
    )
    return f"scheduler:finding:{finding['id']}", request


def case_letter(case: Mapping[Any, Any], finding: Mapping[Any, Any]) -> tuple[str, CircularCreate]:
    name = finding["entity_name"] or finding["region_code"]
    request = CircularCreate(
        kind=CircularKind.supervision_letter,
        title=f"关于{name}的督办件"[:200],
        body=f"{case['requirement']}\n\n请于 {case['reply_due_on'].isoformat()} 前报送整改情况。",
        data={"case_id": str(case["id"]), "finding_id": str(finding["id"]), "rule": finding["rule_code"]},
        urgency=Urgency.urgent,
        audience=_audience(case["region_code"], case["responsible_department"]),
        reply_deadline=case["reply_due_at"],
        source=SourceRef(type="case", id=str(case["id"])),
        issuer=ISSUER,
        publish=True,
    )
    return f"scheduler:case:{case['id']}", request


def reminder(
    round_row: Mapping[Any, Any], reminder_id: int, regions: list[str], late: int
) -> tuple[str, CircularCreate]:
    due: dt.datetime = round_row["due_at"]
    request = CircularCreate(
        kind=CircularKind.reminder,
        title=f"{round_row['period_key']} 报送提醒",
        body=f"尚有 {late} 项报送未完成，截止时间 {due.isoformat()}，请抓紧报送。",
        data={"round_id": str(round_row["id"]), "late_tasks": late},
        audience=Audience(regions=regions),
        reply_deadline=due,
        source=SourceRef(type="reminder", id=str(reminder_id)),
        issuer=ISSUER,
        publish=True,
    )
    return f"scheduler:reminder:{reminder_id}", request


def bulletin(round_row: Mapping[Any, Any], summary: Mapping[Any, Any]) -> tuple[str, CircularCreate]:
    cities = summary["cities"]
    lines = [
        f"{u['rank'] or '-'}. {u['name'] or u['unit']}：{u['score'] or '-'} 分（{u['grade_label'] or '-'}）"
        for u in cities
    ]
    request = CircularCreate(
        kind=CircularKind.bulletin,
        title=f"关于 {round_row['period_key']} “万千百”工程调度情况的通报",
        body="各市州：\n\n现将本轮调度情况通报如下。\n\n" + "\n".join(lines),
        data=dict(summary),
        audience=Audience(regions=["430000"]),
        source=SourceRef(type="round", id=str(round_row["id"])),
        issuer=ISSUER,
        publish=True,
    )
    return f"scheduler:bulletin:{round_row['id']}", request
