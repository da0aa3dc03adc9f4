"""Links in a spreadsheet: chains, parks, responsible persons and an industry's parent, as a person
writes them (by name, or by id), and back again on export.

Loaded once per job or export, then pure (safe in the validation thread). A record is found by its id
as the API finds it (any that exists); by name only among those the caller may read, so a name never
reveals a park or person outside the caller's scope. A name several records share is refused (write
the id instead), and an export writes the id wherever a name would be ambiguous, so an export always
imports back to the same links. A parent industry's name is looked for among the industries above
the row's level whose region covers the row's: the ones it may belong to (`entities.rules`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.registry.access import Access
from services.registry.entities import rules
from shared.errors import FieldError
from shared.regions import covers
from shared.schemas.enums import Level
from shared.tiers import LEVEL_ORDER

AMBIGUOUS = "import_link_ambiguous"


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _key(name: str) -> str:
    return name.strip().lower()


@dataclass
class Named:
    """Records of one kind by id and by name: `api_field` is the API field they feed, `label` their Chinese name."""

    api_field: str
    label: str
    ids: set[uuid.UUID] = field(default_factory=set)
    by_name: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    names: dict[uuid.UUID, str] = field(default_factory=dict)  # the readable ones

    @classmethod
    def of(
        cls,
        field_name: str,
        label: str,
        rows: Iterable[Mapping[Any, Any]],
        readable: Callable[[Mapping[Any, Any]], bool],
    ) -> Named:
        named = cls(field_name, label)
        for row in rows:
            named.ids.add(row["id"])
            if readable(row):
                named.names[row["id"]] = row["name"]
                named.by_name.setdefault(_key(row["name"]), []).append(row["id"])
        return named

    def find(self, text: str) -> uuid.UUID | FieldError:
        """The record a cell's entry names, or the row's error (its code as the API's for an unknown id)."""
        as_id = _uuid(text)
        if as_id is not None and as_id in self.ids:
            return as_id
        found = self.by_name.get(_key(text), [])
        if len(found) == 1:
            return found[0]
        if found:
            return FieldError(self.api_field, f"有 {len(found)} 个名为“{text}”的{self.label}，请填写其 ID", AMBIGUOUS)
        return FieldError(self.api_field, f"{self.label}不存在：{text}", f"{self.api_field[:-4]}_unknown")

    def label_of(self, record_id: uuid.UUID) -> str:
        """What an export writes: the name, where it names this record alone for the caller; else the id."""
        name = self.names.get(record_id)
        if name is None or len(self.by_name.get(_key(name), [])) != 1:
            return str(record_id)
        return name


@dataclass(frozen=True, slots=True)
class IndustryPlace:
    id: uuid.UUID
    name: str
    level: Level
    region_code: str


class ParentIndustries:
    """Every industry's name and placement, to resolve and write an industry's parent."""

    def __init__(self, rows: Iterable[Mapping[Any, Any]]) -> None:
        self.by_id: dict[uuid.UUID, IndustryPlace] = {}
        self.by_name: dict[str, list[IndustryPlace]] = {}
        for row in rows:
            place = IndustryPlace(row["id"], row["name"], Level(row["level"]), row["region_code"])
            self.by_id[place.id] = place
            self.by_name.setdefault(_key(place.name), []).append(place)

    def find(self, text: str, level: Level, region_code: str) -> uuid.UUID | FieldError:
        """The parent a row at `level` in `region_code` names; the API's rule errors for an id that does not fit."""
        field_name = "parent_industry_id"
        as_id = _uuid(text)
        if as_id is not None and as_id in self.by_id:
            parent = self.by_id[as_id]
            error = rules.parent_industry(
                is_self=False, level=level, region_code=region_code, parent=(parent.level, parent.region_code)
            )
            return as_id if error is None else error
        fitting = [
            p
            for p in self.by_name.get(_key(text), [])
            if LEVEL_ORDER[p.level] > LEVEL_ORDER[level] and covers(p.region_code, region_code)
        ]
        if len(fitting) == 1:
            return fitting[0].id
        if fitting:
            return FieldError(field_name, f"有 {len(fitting)} 个名为“{text}”的上级产业，请填写其 ID", AMBIGUOUS)
        return FieldError(
            field_name,
            f"未找到可作为上级的产业“{text}”：须为更高级别、地区覆盖本产业地区的产业",
            "parent_industry_unknown",
        )

    def label_of(self, parent_id: uuid.UUID) -> str:
        parent = self.by_id.get(parent_id)
        if parent is None or len(self.by_name[_key(parent.name)]) != 1:
            return str(parent_id)
        return parent.name


@dataclass(frozen=True)
class Links:
    chains: Named
    parks: Named
    persons: Named
    industries: ParentIndustries

    def named(self, field_name: str) -> Named:
        """The lookup behind a list link field (`chain_ids`, `park_ids`, `person_ids`)."""
        return {"chain_ids": self.chains, "park_ids": self.parks, "person_ids": self.persons}[field_name]


def links_of(rows: Mapping[str, Sequence[Mapping[Any, Any]]], access: Access) -> Links:
    """The lookups, from `ImportRepository.link_targets`' rows, for a caller of `access`."""

    def everyone(_: Mapping[Any, Any]) -> bool:
        return True

    def in_scope(row: Mapping[Any, Any]) -> bool:
        return access.can_read(row["region_code"])

    return Links(
        chains=Named.of("chain_ids", "产业链", rows["chains"], everyone),
        parks=Named.of("park_ids", "园区", rows["parks"], in_scope),
        persons=Named.of("person_ids", "责任人", rows["persons"], in_scope),
        industries=ParentIndustries(rows["industries"]),
    )
