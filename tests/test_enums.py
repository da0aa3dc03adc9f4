"""Enumerations and their labels: `GET /api/v1/enums` is a published contract, keyed on by frontends and integrators."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from shared.auth import Role
from shared.schemas.enums import ENUM_TYPES, LabelledEnum, Level, Tier
from tests.conftest import ADMIN

# Every enumeration in the order the endpoint lists it, each member as (code, label).
PUBLISHED: dict[str, list[tuple[str, str]]] = {
    "level": [
        ("province", "省级"),
        ("city", "市级"),
        ("county", "县级"),
    ],
    "entity_kind": [
        ("industry", "产业"),
        ("enterprise", "企业"),
        ("project", "项目"),
    ],
    "tier": [
        ("trillion", "万亿级"),
        ("eight_hundred_billion", "8000亿级"),
        ("five_hundred_billion", "5000亿级"),
        ("hundred_billion", "千亿级"),
        ("eighty_billion", "800亿级"),
        ("fifty_billion", "500亿级"),
        ("ten_billion", "百亿级"),
        ("billion", "十亿级"),
        ("hundred_million", "亿元级"),
    ],
    "domain": [
        ("agriculture", "农林牧渔"),
        ("industry_it", "工业和信息化"),
        ("construction", "建筑业"),
        ("services", "服务业"),
    ],
    "pathway": [
        ("foundation_rebuilding", "产业基础再造支持"),
        ("supporting_collaboration", "配套协作壮大"),
        ("park_clustering", "“五好”园区聚集"),
        ("integration", "融合发展培育"),
        ("consolidate", "巩固提升做强"),
        ("attract", "招大引强落地"),
        ("nurture", "扶持壮大培育"),
        ("merge", "兼并重组打造"),
        ("transformation", "转型升级催生"),
        ("investment_attraction", "招商引资引进"),
        ("innovation", "创新成果转化"),
        ("spin_off", "优质企业裂变"),
        ("resource_based", "依靠资源建设"),
    ],
    "park_grade": [
        ("national", "国家级园区"),
        ("provincial", "省级园区"),
        ("concentration_zone", "工业集中区"),
        ("development_zone", "产业开发区"),
        ("park_in_park", "园中园"),
    ],
    "enterprise_label": [
        ("little_giant", "专精特新“小巨人”"),
        ("single_champion", "单项冠军"),
        ("top500", "“三类500强”"),
        ("chain_master", "链主"),
        ("leading", "龙头企业"),
    ],
    "project_stage": [
        ("planning", "谋划"),
        ("signed", "签约"),
        ("started", "开工"),
        ("under_construction", "在建"),
        ("completed", "竣工"),
        ("in_operation", "投产运营"),
    ],
    "approval_kind": [
        ("approval_filing", "核准备案"),
        ("eia", "环评"),
        ("land", "土地审批"),
    ],
    "approval_state": [
        ("not_started", "未启动"),
        ("in_progress", "办理中"),
        ("approved", "已批复"),
        ("rejected", "未通过"),
        ("not_required", "无需办理"),
    ],
    "roster_action": [
        ("include", "纳入"),
        ("promote", "升级"),
        ("demote", "降级"),
        ("retier", "同级调整（目标层级或地区）"),
        ("remove", "移出"),
    ],
    "roster_status": [
        ("listed", "在册"),
        ("removed", "已移出"),
    ],
    "batch_mode": [
        ("all_or_nothing", "全部成功才生效"),
        ("each", "逐项生效"),
    ],
    "metric_kind": [
        ("revenue", "营业收入"),
        ("output", "产值"),
        ("investment_completed", "完成投资"),
    ],
    "metric_source": [
        ("manual", "手工录入"),
        ("report", "调度报送"),
    ],
    "standing": [
        ("achieved", "已达标"),
        ("below", "未达标"),
        ("no_data", "暂无数据"),
    ],
    "import_status": [
        ("pending", "排队中"),
        ("running", "导入中"),
        ("succeeded", "已完成"),
        ("failed", "失败"),
    ],
    "history_entry_type": [
        ("roster_adjustment", "名单调整"),
        ("metric_revision", "指标修订"),
        ("field_change", "信息变更"),
    ],
    "search_field": [
        ("name", "名称"),
        ("uscc", "统一社会信用代码"),
        ("project_code", "项目代码"),
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


async def test_enums_response_is_exactly_the_published_listing(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/enums", headers=ADMIN)
    assert response.status_code == 200
    expected = {
        name: [{"code": code, "label": label} for code, label in members] for name, members in PUBLISHED.items()
    }
    assert response.json() == expected
    assert response.content == json.dumps(expected, ensure_ascii=False, separators=(",", ":")).encode()


def test_a_member_is_its_code_and_carries_its_label() -> None:
    assert Level.city == "city"
    assert Level("city") is Level.city
    assert Level.city.label == "市级"
    assert Role.viewer.label == "只读用户"
    assert Tier.choices()[:2] == [("trillion", "万亿级"), ("eight_hundred_billion", "8000亿级")]


def test_a_labelled_member_validates_and_serialises_as_its_code() -> None:
    class Body(BaseModel):
        level: Level

    assert Body.model_validate({"level": "county"}).level is Level.county
    assert Body(level=Level.county).model_dump_json() == '{"level":"county"}'
    assert Body.model_json_schema()["$defs"]["Level"]["enum"] == ["province", "city", "county"]
    with pytest.raises(ValidationError):
        Body.model_validate({"level": "县级"})


def test_a_member_declared_without_a_label_is_refused() -> None:
    with pytest.raises(TypeError, match="without a label"):

        class Unlabelled(LabelledEnum):
            only = "only"


async def test_enum_schemas_carry_their_labels(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    assert schemas["Tier"]["x-enum-labels"] == {t.value: t.label for t in Tier}
    for enum in ENUM_TYPES.values():
        if enum.__name__ in schemas:
            assert schemas[enum.__name__]["x-enum-labels"] == dict(enum.choices()), enum.__name__
    assert schemas["Level"]["x-enum-labels"]["province"] == "省级"
