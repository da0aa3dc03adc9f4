"""An industry's parent sits a level above it and its region contains the child's: the province
contains every region, a city its own counties. The rule (`entities.rules.parent_industry`) is the one
POST and PATCH call; a bulk import carries no parent column, so it names no parent to check."""

from __future__ import annotations

from typing import Any

import httpx

from services.registry.entities import rules
from shared.errors import FieldError
from shared.schemas.enums import Level
from tests import factories
from tests.conftest import ADMIN

MISMATCH = "parent_industry_region_mismatch"


def test_parent_region_must_contain_the_childs() -> None:
    def check(level: Level, region: str, parent: tuple[Level, str]) -> str | None:
        error = rules.parent_industry(is_self=False, level=level, region_code=region, parent=parent)
        return None if error is None else error.code

    assert check(Level.county, "430102", (Level.province, "430000")) is None
    assert check(Level.county, "430102", (Level.city, "430100")) is None
    assert check(Level.city, "430200", (Level.province, "430000")) is None
    assert check(Level.county, "430102", (Level.city, "430200")) == MISMATCH
    assert check(Level.county, "430102", (Level.county, "430103")) == "parent_industry_not_above"
    error = rules.parent_industry(
        is_self=False, level=Level.county, region_code="430211", parent=(Level.city, "430100")
    )
    assert isinstance(error, FieldError) and error.field == "parent_industry_id"
    # The parent may lie outside the caller's scope: the message names only the child's own region.
    assert "430211" in error.message and "430100" not in error.message


async def _industry(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/industries", json=factories.industry(**fields), headers=ADMIN)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_county_industry_under_another_citys_industry_is_422_on_post(client: httpx.AsyncClient) -> None:
    zhuzhou = await _industry(
        client, name="株洲轨道交通", level="city", region_code="430200", target_tier="hundred_billion"
    )
    body = factories.industry(
        name="芙蓉区软件",
        level="county",
        region_code="430102",
        target_tier="ten_billion",
        parent_industry_id=zhuzhou["id"],
    )
    response = await client.post("/api/v1/industries", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["code"] == MISMATCH
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("parent_industry_id", MISMATCH)]


async def test_county_industry_under_its_own_city_or_the_province_is_accepted(client: httpx.AsyncClient) -> None:
    province = await _industry(client, name="全省软件")
    changsha = await _industry(
        client, name="长沙软件", level="city", region_code="430100", target_tier="hundred_billion"
    )
    for parent in (province, changsha):
        child = await _industry(
            client,
            name=f"芙蓉区软件{parent['level']}",
            level="county",
            region_code="430102",
            target_tier="ten_billion",
            parent_industry_id=parent["id"],
        )
        assert child["parent_industry_id"] == parent["id"]


async def test_patch_to_another_citys_parent_is_422_and_changes_nothing(client: httpx.AsyncClient) -> None:
    zhuzhou = await _industry(
        client, name="株洲陶瓷", level="city", region_code="430200", target_tier="hundred_billion"
    )
    child = await _industry(client, name="芙蓉区陶瓷", level="county", region_code="430102", target_tier="ten_billion")
    url = f"/api/v1/industries/{child['id']}"
    response = await client.patch(url, json={"parent_industry_id": zhuzhou["id"]}, headers=ADMIN | {"If-Match": '"1"'})
    assert (response.status_code, response.json()["code"]) == (422, MISMATCH)
    after = (await client.get(url, headers=ADMIN)).json()
    assert (after["parent_industry_id"], after["version"]) == (None, 1)


async def _adjust(client: httpx.AsyncClient, industry_id: str, action: str, **extra: Any) -> httpx.Response:
    body = {"entity_id": industry_id, "action": action, "reason": "名单动态调整", "effective_on": "2024-03-01"}
    return await client.post("/api/v1/roster-adjustments", json=body | extra, headers=ADMIN)


async def test_a_roster_move_keeps_an_industry_inside_its_parent_and_around_its_children(
    client: httpx.AsyncClient,
) -> None:
    changsha = await _industry(
        client,
        name="长沙调整软件",
        level="city",
        region_code="430100",
        target_tier="hundred_billion",
        listed_on="2023-01-10",
    )
    furong = await _industry(
        client,
        name="芙蓉区调整软件",
        level="county",
        region_code="430102",
        target_tier="ten_billion",
        parent_industry_id=changsha["id"],
        listed_on="2023-01-10",
    )
    # The county industry moved to a Zhuzhou county would leave its Changsha parent.
    child_out = await _adjust(client, furong["id"], "retier", to_region_code="430211")
    # The city industry moved to Zhuzhou would no longer cover its Furong child.
    parent_out = await _adjust(client, changsha["id"], "retier", to_region_code="430200")
    assert [(r.status_code, r.json()["code"]) for r in (child_out, parent_out)] == [
        (422, MISMATCH),
        (422, "child_industry_region_mismatch"),
    ]
    for industry in (furong, changsha):
        unchanged = await client.get(f"/api/v1/industries/{industry['id']}", headers=ADMIN)
        assert unchanged.json()["region_code"] == industry["region_code"]
        assert unchanged.json()["version"] == industry["version"]
    # Within Changsha, or the parent raised to the province, both ends still fit.
    within = await _adjust(client, furong["id"], "retier", to_region_code="430104")
    raised = await _adjust(client, changsha["id"], "promote", to_tier="trillion")
    assert (within.status_code, raised.status_code) == (201, 201), (within.text, raised.text)
