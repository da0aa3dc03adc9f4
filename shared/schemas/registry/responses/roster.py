"""The roster as `GET /api/v1/roster` streams it: one `RosterEntry` per line, then one `RosterEnd`.

The body is NDJSON (`application/x-ndjson`): every line but the last is an entity on the roster on the
requested date; the last line is `RosterEnd`, which says the stream is complete and how many entries it
carried. A body that stops without it was cut short and must not be taken as the whole roster.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from pydantic import Field

from shared.schemas.common import ResponseModel
from shared.schemas.enums import Domain, EntityKind, Level, Pathway, ProjectStage, Tier
from shared.schemas.registry.responses.entities import AnnualPlanRead


class RosterPerson(ResponseModel):
    """A responsible person by name only: the roster carries no contact details."""

    id: uuid.UUID
    name: str


class RosterProject(ResponseModel):
    """What a dispatch round records of a project besides what every entity has."""

    project_code: str | None
    total_investment: Decimal = Field(description="总投资，单位：亿元")
    stage: ProjectStage
    signed_on: dt.date | None
    annual_plans: list[AnnualPlanRead] = Field(default_factory=list, description="年度计划投资，单位：亿元")


class RosterEntry(ResponseModel):
    """One entity on the roster on the requested date, with its level, region and tier of that date."""

    id: uuid.UUID
    kind: EntityKind
    name: str
    level: Level
    region_code: str
    domain: Domain
    pathway: Pathway | None
    target_tier: Tier
    lead_department_id: uuid.UUID | None
    listed_on: dt.date
    persons: list[RosterPerson] = Field(default_factory=list, description="责任人（按姓名排序，不含联系方式）")
    chain_ids: list[uuid.UUID] = Field(default_factory=list)
    park_ids: list[uuid.UUID] = Field(default_factory=list)
    project: RosterProject | None = Field(default=None, description="仅项目有")
    version: int
    updated_at: dt.datetime


class RosterEnd(ResponseModel):
    """The stream's last line: it is complete, with `count` entries before this line."""

    end: Literal[True] = True
    count: int = Field(ge=0)
    as_of: dt.date | None = Field(description="名单所取的日期；未指定时为 null（当前名单）")
