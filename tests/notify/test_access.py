"""Who sees and acts on what, as pure rules."""

from __future__ import annotations

import pytest

from services.notify.access import ISSUER_DEPARTMENTS, NotifyAccess, ancestors
from shared.auth import Principal, Role
from shared.schemas.notify.enums import Issuer, UnitType


def access(role: Role, region: str = "430000", department: str | None = None) -> NotifyAccess:
    return NotifyAccess(Principal(sub="u", role=role, region=region, department=department))


def test_ancestors_are_the_region_its_city_and_the_province() -> None:
    assert ancestors("430104") == ["430104", "430100", "430000"]
    assert ancestors("430100") == ["430100", "430000"]
    assert ancestors("430000") == ["430000"]


@pytest.mark.parametrize(
    ("regions", "caller", "reached"),
    [
        (["430000"], "430104", True),
        (["430100"], "430104", True),
        (["430104"], "430100", True),
        (["430104"], "430105", False),
        (["430200", "430300"], "430104", False),
    ],
)
def test_an_audience_reaches_regions_above_and_below(regions: list[str], caller: str, reached: bool) -> None:
    assert access(Role.county, caller).addressed(regions, []) is reached


def test_every_issuer_but_the_office_is_a_registry_department() -> None:
    assert set(ISSUER_DEPARTMENTS) == set(Issuer) - {Issuer.wqb_office}
    gxt = access(Role.department, department="industry-it")
    assert gxt.own_issuers() == ["gxt"]
    assert access(Role.service).own_issuers() == [i.value for i in Issuer]
    assert access(Role.city, "430100").own_issuers() == []


def test_who_acts_for_a_unit() -> None:
    assert access(Role.city, "430100").can_act_for(UnitType.region, "430104")
    assert not access(Role.county, "430104").can_act_for(UnitType.region, "430100")
    assert not access(Role.viewer, "430104").can_act_for(UnitType.region, "430104")
    assert access(Role.department, department="commerce").can_act_for(UnitType.department, "commerce")
    assert not access(Role.department, department="commerce").can_act_for(UnitType.region, "430000")
