"""What differs between industries, enterprises and projects, declared once per kind."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from pydantic import BaseModel, Field
from sqlalchemy import Table

from services.registry.entities.schemas import (
    EnterpriseCreate,
    EnterpriseUpdate,
    IndustryCreate,
    IndustryUpdate,
    ProjectCreate,
    ProjectUpdate,
)
from services.registry.models import Enterprise, Entity, Industry, Project, table
from services.registry.pointintime import KnownAt
from shared.schemas.common import PageParams, RegionCode
from shared.schemas.enums import (
    Domain,
    EnterpriseLabel,
    EntityKind,
    Level,
    MetricKind,
    Pathway,
    ProjectStage,
    RosterStatus,
    Tier,
)
from shared.schemas.registry.responses.entities import EnterpriseRead, IndustryRead, ProjectRead


class _EntityFilterFields(BaseModel):
    level: Level | None = None
    region: RegionCode | None = Field(default=None, description="地区，含下级地区")
    domain: Domain | None = None
    tier: Tier | None = Field(default=None, description="目标层级")
    pathway: Pathway | None = None
    chain: uuid.UUID | None = Field(default=None, description="产业链 ID")
    park: uuid.UUID | None = Field(default=None, description="园区 ID")
    department: uuid.UUID | None = Field(default=None, description="牵头部门 ID")
    roster_status: RosterStatus | None = Field(default=None, description="名单状态；不填为全部")
    q: str | None = Field(default=None, min_length=1, max_length=100, description="名称包含的文字（中文可用）")
    as_of: dt.date | None = Field(
        default=None, description="按某一日期的名单状态读取（级别、层级、地区、状态取当日值）"
    )
    known_at: KnownAt | None = None
    sort: str | None = Field(default=None, description="name、created_at、updated_at，前加 - 为倒序；默认 -updated_at")


class EntityFilters(PageParams, _EntityFilterFields):
    """Query parameters every entity list takes; each kind's list adds its own after them."""


class IndustryFilters(EntityFilters):
    parent_industry: uuid.UUID | None = Field(default=None, description="所归属的上级产业 ID")


class EnterpriseFilters(EntityFilters):
    label: EnterpriseLabel | None = None
    uscc: str | None = Field(default=None, max_length=18)
    industry: uuid.UUID | None = Field(default=None, description="所属产业 ID")


class ProjectFilters(EntityFilters):
    stage: ProjectStage | None = None
    owner_enterprise: uuid.UUID | None = None
    green_channel: bool | None = Field(default=None, description="true：绿色通道内的项目；false：通道外的项目")
    approval_overdue: bool | None = Field(
        default=None, description="true：有审批超过承诺时限仍未办结的项目（按当日，北京时间）；false：没有的项目"
    )


@dataclass(frozen=True)
class KindSpec:
    kind: EntityKind
    path: str
    table: Table
    create: type[BaseModel]
    update: type[BaseModel]
    read: type[BaseModel]
    filters: type[EntityFilters]
    # Metrics whose latest annual value sets the actual tier, preferred first (none for projects: their
    # total investment does).
    standing_metrics: tuple[MetricKind, ...]
    # Columns of the kind's own table, which the create/update bodies carry as they are: all but its key.
    own_columns: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "own_columns", tuple(c.key for c in self.table.c if c.key != "entity_id"))

    @property
    def label(self) -> str:
        return self.kind.label


INDUSTRIES = KindSpec(
    kind=EntityKind.industry,
    path="industries",
    table=table(Industry),
    create=IndustryCreate,
    update=IndustryUpdate,
    read=IndustryRead,
    filters=IndustryFilters,
    standing_metrics=(MetricKind.revenue, MetricKind.output),
)
ENTERPRISES = KindSpec(
    kind=EntityKind.enterprise,
    path="enterprises",
    table=table(Enterprise),
    create=EnterpriseCreate,
    update=EnterpriseUpdate,
    read=EnterpriseRead,
    filters=EnterpriseFilters,
    standing_metrics=(MetricKind.revenue, MetricKind.output),
)
PROJECTS = KindSpec(
    kind=EntityKind.project,
    path="projects",
    table=table(Project),
    create=ProjectCreate,
    update=ProjectUpdate,
    read=ProjectRead,
    filters=ProjectFilters,
    standing_metrics=(),
)

KINDS: dict[EntityKind, KindSpec] = {s.kind: s for s in (INDUSTRIES, ENTERPRISES, PROJECTS)}

# What sizes an industry or an enterprise (`Entity.size_value`, progress), preferred first.
SIZE_METRICS: tuple[str, ...] = tuple(m.value for m in INDUSTRIES.standing_metrics)
if ENTERPRISES.standing_metrics != INDUSTRIES.standing_metrics or list(SIZE_METRICS) != sorted(
    SIZE_METRICS, reverse=True
):
    # The latest-size queries order by `metric DESC` so that an index can deliver the rows in order;
    # that equals the preference order only while it is the descending order of the names.
    raise RuntimeError("size metrics must be shared by industries and enterprises and in descending name order")
# Columns of `entity` the service fills itself rather than copying from a body: keys, the roster's
# state, the size copy and the bookkeeping.
_ENTITY_SERVER_COLUMNS = frozenset(
    [
        *("id", "kind", "roster_status", "listed_on"),
        *("size_metric", "size_year", "size_value"),
        *("version", "created_at", "updated_at"),
    ]
)
# Columns of `entity` the create/update bodies carry as they are (name, level, region_code, …).
ENTITY_COLUMNS = tuple(c.key for c in table(Entity).c if c.key not in _ENTITY_SERVER_COLUMNS)
LINK_FIELDS = ("person_ids", "chain_ids", "park_ids")
