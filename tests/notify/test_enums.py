"""notify's `/api/v1/enums`: every code with its Chinese label, a published contract."""

from __future__ import annotations

import httpx

from services.notify.docnumber import ISSUER_BY_CODE, ISSUERS, KIND_LABELS, URGENCY_LABELS
from shared.schemas.notify.enums import CircularKind, Issuer, Urgency
from tests.conftest import ADMIN, auth

PUBLISHED: dict[str, list[tuple[str, str]]] = {
    "circular_kind": [
        ("bulletin", "通报"),
        ("notice", "通知"),
        ("supervision_letter", "督办函"),
        ("reminder", "提醒"),
        ("experience", "经验交流"),
    ],
    "urgency": [("extra_urgent", "特急"), ("urgent", "加急"), ("routine", "平件")],
    "circular_status": [("draft", "草稿"), ("published", "已发布"), ("revoked", "已撤回")],
    "issuer": [(issuer.code, issuer.name) for issuer in ISSUERS],
    "unit_type": [("region", "地区"), ("department", "部门")],
    "receipt_status": [("pending", "待签收"), ("signed", "已签收"), ("returned", "已退回")],
    "receipt_action": [("sign", "签收"), ("return", "退回")],
    "event_type": [
        ("circular.published", "通报发布"),
        ("circular.revoked", "通报撤回"),
        ("receipt.signed", "签收"),
        ("receipt.returned", "退回"),
        ("endpoint.disabled", "接收端已停用"),
        ("test", "测试事件"),
    ],
    "subscriber_status": [("active", "启用"), ("disabled", "停用")],
    "delivery_status": [
        ("pending", "待投递"),
        ("sending", "投递中"),
        ("delivered", "已送达"),
        ("retrying", "等待重试"),
        ("failed", "投递失败"),
    ],
    "role": [
        ("admin", "万千百工程办公室（管理员）"),
        ("department", "牵头部门"),
        ("city", "市州操作员"),
        ("county", "县市区操作员"),
        ("viewer", "只读用户"),
        ("service", "平台内部服务"),
    ],
}


async def test_enums_response_is_exactly_the_published_listing(notify_client: httpx.AsyncClient) -> None:
    response = await notify_client.get("/api/v1/enums", headers=auth("viewer", "430104"))
    assert response.status_code == 200
    assert response.json() == {
        name: [{"code": code, "label": label} for code, label in members] for name, members in PUBLISHED.items()
    }


async def test_enums_need_a_token(notify_client: httpx.AsyncClient) -> None:
    response = await notify_client.get("/api/v1/enums")
    assert response.status_code == 401
    assert response.json()["code"] == "token_missing"
    assert (await notify_client.get("/api/v1/enums", headers=ADMIN)).status_code == 200


def test_the_document_number_tables_use_the_labelled_enums() -> None:
    assert {kind: kind.label for kind in CircularKind} == KIND_LABELS
    assert URGENCY_LABELS[Urgency.extra_urgent] == "特急"
    assert set(ISSUER_BY_CODE) == set(Issuer)
    assert all(ISSUER_BY_CODE[code].name == code.label for code in Issuer)
