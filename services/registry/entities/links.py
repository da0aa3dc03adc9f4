"""Links read backwards: the records that name a record (an enterprise's projects, an industry's
enterprises and child industries, a chain's or a park's members), as columns of the record's own read.

Each link is one LATERAL aggregate per record, its count and its first `LINKED_IDS_MAX` ids by name in
one pass over an indexed link column, so a GET stays one statement and a list page one statement
however many rows it holds. Both count only
members within the caller's read scope, bound at execution as `scope_low`/`scope_high`
(`scope_bounds`): a record outside the scope does not exist for the caller, here as everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, String, bindparam, func, literal_column, select, true, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, UUID, aggregate_order_by

from services.registry.models import Entity, table
from shared.regions import code_range
from shared.schemas.enums import EntityKind

LINKED_IDS_MAX = 100
SCOPE_LOW = bindparam("scope_low", type_=String(6))
SCOPE_HIGH = bindparam("scope_high", type_=String(6))
_EVERYWHERE = ("000000", "999999")


def scope_bounds(scope: str | None) -> dict[str, str]:
    """The values of `SCOPE_LOW`/`SCOPE_HIGH` for a caller whose reads are confined to `scope` (None: all)."""
    low, high = _EVERYWHERE if scope is None else code_range(scope)
    return {"scope_low": low, "scope_high": high}


@dataclass(frozen=True, slots=True)
class BackLink:
    """Members of one kind that name the owner: `link` joined to the member's `entity` row on `member_id`."""

    name: str  # the response fields are `<name>_count` and `<name>_ids`
    link: FromClause
    member_id: ColumnElement[Any]
    names_owner: ColumnElement[bool]  # correlated with the owner's row in the outer query
    kind: EntityKind | None = None  # members of this kind only (chains and parks link every kind)

    def joined(self) -> tuple[Any, list[Any]]:
        """A LATERAL subquery counting and listing the members in one pass (join it on true: an aggregate
        always gives one row), and the two columns it adds to the read."""
        member = table(Entity).alias(f"{self.name}_member")
        source = self.link.join(member, member.c.id == self.member_id)
        conditions = [self.names_owner, member.c.region_code.between(SCOPE_LOW, SCOPE_HIGH)]
        if self.kind is not None:
            conditions.append(member.c.kind == self.kind.value)
        ordered_ids = type_coerce(
            func.array_agg(aggregate_order_by(member.c.id, member.c.name, member.c.id)), ARRAY(UUID)
        )
        links = (
            select(
                func.count().label("count"),
                func.coalesce(ordered_ids[1:LINKED_IDS_MAX], literal_column("'{}'::uuid[]")).label("ids"),
            )
            .select_from(source)
            .where(*conditions)
            .lateral(f"{self.name}_links")
        )
        return links, [links.c.count.label(f"{self.name}_count"), links.c.ids.label(f"{self.name}_ids")]


def join_all(source: FromClause, links: Iterable[BackLink]) -> tuple[FromClause, list[Any]]:
    """`source` joined to each link's LATERAL, and the columns they add."""
    columns: list[Any] = []
    for link in links:
        lateral, added = link.joined()
        source = source.join(lateral, true())
        columns += added
    return source, columns


def member_links(link: FromClause, owner_column: ColumnElement[Any], owner_id: ColumnElement[Any]) -> list[BackLink]:
    """A chain's or a park's members of every kind, through its link table (`entity_chain`, `entity_park`)."""
    kinds = ((EntityKind.industry, "industry"), (EntityKind.enterprise, "enterprise"), (EntityKind.project, "project"))
    return [BackLink(name, link, link.c.entity_id, owner_column == owner_id, kind) for kind, name in kinds]
