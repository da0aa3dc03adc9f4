"""The spreadsheet columns of each kind: Chinese header, accepted aliases, cell codec, direction.

One declaration serves both directions, so what an export writes an import reads back. Columns that
describe the record without being writable (ID, 地区, 名单状态, 更新时间) are export-only; an import
recognises and skips them, so an exported file imports as it is. The listing's reason and document
number belong to the roster adjustment, not the record: import-only.

What the table and the create schema already say is not said again here: a column that names no
codec reads and writes cells by the type of the table column its field is stored in (dates, exact
amounts, else text), and a column is required when its field is required by the kind's create schema.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace

from sqlalchemy import Date, Numeric
from sqlalchemy.types import TypeEngine

from services.registry.entities.kinds import KINDS
from services.registry.imports.cells import Cell, DateCell, DecimalCell, EnumCell, EnumListCell, NameListCell
from services.registry.models import Entity, table
from shared.schemas.enums import Domain, EnterpriseLabel, EntityKind, Level, Pathway, ProjectStage, RosterStatus, Tier

TEXT = Cell()


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    cell: Cell = TEXT  # TEXT as declared: the codec the stored column's type calls for
    aliases: tuple[str, ...] = ()
    imported: bool = True
    exported: bool = True
    required: bool = False  # set per kind from its create schema

    def names(self) -> tuple[str, ...]:
        return (self.header, self.field, *self.aliases)


# Fields a column names that are not fields of the create schema: resolved against the database.
LEAD_DEPARTMENT = "lead_department"
OWNER_USCC = "owner_uscc"
# Links, named as a person would write them (names, or ids): resolved by `imports.links`.
CHAINS = "chains"
PARKS = "parks"
PERSONS = "persons"
PARENT_INDUSTRY = "parent_industry"
# Export-only fields taken from the read row or derived from it.
REGION_NAME = "region_name"
# The record's field each of those columns feeds, once resolved (a department's id, an owner's id).
FIELD_OF_COLUMN = {
    LEAD_DEPARTMENT: "lead_department_id",
    OWNER_USCC: "owner_enterprise_id",
    CHAINS: "chain_ids",
    PARKS: "park_ids",
    PERSONS: "person_ids",
    PARENT_INDUSTRY: "parent_industry_id",
}
# The link columns holding several records, by the field they feed.
LINK_LIST_COLUMNS = {CHAINS: "chain_ids", PARKS: "park_ids", PERSONS: "person_ids"}

_HEAD = (
    Column("id", "ID", aliases=("编号",), imported=False),
    Column("name", "名称", aliases=("企业名称", "项目名称", "产业名称")),
    Column("level", "级别", EnumCell(Level, "级别")),
    Column("region_code", "行政区划代码", aliases=("地区代码", "区划代码")),
    Column(REGION_NAME, "地区", aliases=("地区名称",), imported=False),
    Column("domain", "领域", EnumCell(Domain, "领域")),
    Column("pathway", "培育路径", EnumCell(Pathway, "培育路径")),
    Column("target_tier", "目标层级", EnumCell(Tier, "目标层级"), aliases=("tier",)),
    Column(LEAD_DEPARTMENT, "牵头部门", aliases=("lead_department_id", "lead_department_code")),
)
_TAIL = (
    Column(CHAINS, "产业链", NameListCell(), aliases=("所属产业链", "chain_ids")),
    Column(PARKS, "园区", NameListCell(), aliases=("所在园区", "park_ids")),
    Column(PERSONS, "责任人", NameListCell(), aliases=("person_ids",)),
    Column("listed_on", "纳入名单日期"),
    Column("listing_reason", "纳入理由", aliases=("纳入名单理由",), exported=False),
    Column("document_ref", "文件文号", aliases=("依据文件文号",), exported=False),
    Column("roster_status", "名单状态", EnumCell(RosterStatus, "名单状态"), imported=False),
    Column("updated_at", "更新时间", imported=False),
)

INDUSTRY_COLUMNS = (
    *_HEAD,
    Column(PARENT_INDUSTRY, "上级产业", aliases=("所归属的上级产业", "parent_industry_id")),
    Column("roadmap", "路线图"),
    Column("timetable", "时间表"),
    Column("task_book", "任务书"),
    *_TAIL,
)
ENTERPRISE_COLUMNS = (
    *_HEAD[:2],
    Column("uscc", "统一社会信用代码", aliases=("信用代码", "社会信用代码")),
    *_HEAD[2:],
    Column("labels", "标签", EnumListCell(EnterpriseLabel, "企业标签"), aliases=("企业标签",)),
    *_TAIL,
)
PROJECT_COLUMNS = (
    *_HEAD[:2],
    Column("project_code", "项目代码"),
    *_HEAD[2:],
    Column("total_investment", "总投资（亿元）", aliases=("总投资",)),
    Column("stage", "阶段", EnumCell(ProjectStage, "项目阶段"), aliases=("项目阶段",)),
    Column(OWNER_USCC, "业主单位统一社会信用代码", aliases=("业主统一社会信用代码", "owner_enterprise_uscc")),
    Column("planned_start_on", "计划开工日期"),
    Column("planned_completion_on", "计划竣工日期"),
    Column("actual_start_on", "实际开工日期"),
    Column("actual_completion_on", "实际竣工日期"),
    Column("signing_event", "签约活动"),
    Column("signed_on", "签约日期"),
    *_TAIL,
)


def _codec(stored: TypeEngine[object]) -> Cell:
    if isinstance(stored, Date):
        return DateCell()
    if isinstance(stored, Numeric):
        return DecimalCell()
    return TEXT


def _of_kind(kind: EntityKind, declared: tuple[Column, ...]) -> tuple[Column, ...]:
    """The kind's columns with their codecs from the table and their `required` from the create schema."""
    spec = KINDS[kind]
    stored = {c.key: c.type for c in (*table(Entity).c, *spec.table.c)}
    fields = spec.create.model_fields
    return tuple(
        replace(
            column,
            cell=_codec(stored[column.field]) if column.cell is TEXT and column.field in stored else column.cell,
            required=column.field in fields and fields[column.field].is_required(),
        )
        for column in declared
    )


COLUMNS: dict[EntityKind, tuple[Column, ...]] = {
    EntityKind.industry: _of_kind(EntityKind.industry, INDUSTRY_COLUMNS),
    EntityKind.enterprise: _of_kind(EntityKind.enterprise, ENTERPRISE_COLUMNS),
    EntityKind.project: _of_kind(EntityKind.project, PROJECT_COLUMNS),
}
# The record's fields an import can write, by kind: what its imported columns feed.
IMPORTED_FIELDS: dict[EntityKind, frozenset[str]] = {
    kind: frozenset(FIELD_OF_COLUMN.get(c.field, c.field) for c in columns if c.imported)
    for kind, columns in COLUMNS.items()
}


def normalise_header(text: str) -> str:
    """`总投资（亿元）`, `总投资(亿元)` and ` *总投资 (亿元) ` name the same column; English is case-blind."""
    folded = unicodedata.normalize("NFKC", text).replace("\ufeff", "").strip().lstrip("*").strip()
    return "".join(folded.split()).lower()


def header_index(kind: EntityKind) -> dict[str, Column]:
    return {normalise_header(name): column for column in COLUMNS[kind] for name in column.names()}


HEADER_INDEX: dict[EntityKind, dict[str, Column]] = {kind: header_index(kind) for kind in COLUMNS}
