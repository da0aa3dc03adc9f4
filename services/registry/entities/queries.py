"""The read side of entities: one SQL statement per page or record, links and standing included.

Every list and every GET is a single round trip: the kind's row, its links (as arrays), responsible
persons (as JSON), the latest annual metric (a LATERAL subquery) and, when `as_of` is given, the
roster state on that date (another LATERAL subquery over the adjustment history).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import array

from services.registry.approvals import rules as approval_rules
from services.registry.entities.kinds import EntityFilters, KindSpec
from services.registry.entities.links import BackLink, join_all
from services.registry.models import (
    Entity,
    Industry,
    MetricValue,
    Person,
    Project,
    ProjectAnnualPlan,
    ProjectApproval,
    ProjectGreenChannel,
    RosterAdjustment,
    enterprise_industry,
    entity_chain,
    entity_park,
    entity_person,
    table,
)
from shared.pagination import Sorting
from shared.reads import PreparedRead
from shared.regions import code_range
from shared.schemas.enums import EntityKind

E = table(Entity)


def _id_array(link_column: Any, owner_column: Any, entity_id: Any) -> Any:
    return (
        select(func.coalesce(func.array_agg(link_column), literal_column("'{}'::uuid[]")))
        .where(owner_column == entity_id)
        .scalar_subquery()
    )


def _persons_json(entity_id: Any) -> Any:
    p = table(Person)
    obj = func.json_build_object(
        "id",
        p.c.id,
        "name",
        p.c.name,
        "title",
        p.c.title,
        "department_id",
        p.c.department_id,
        "region_code",
        p.c.region_code,
        "phone",
        p.c.phone,
        "email",
        p.c.email,
        "version",
        p.c.version,
    )
    return (
        select(func.coalesce(func.json_agg(obj), literal_column("'[]'::json")))
        .select_from(entity_person.join(p, p.c.id == entity_person.c.person_id))
        .where(entity_person.c.entity_id == entity_id)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class ReadQuery:
    stmt: Select[Any]
    sorting: Sorting


def build_read_query(
    spec: KindSpec, as_of: dt.date | None = None, *, backlinks: bool = True, known_at: dt.datetime | None = None
) -> ReadQuery:
    """The select of one kind's records in their API shape, before filters and paging.

    With `backlinks`, the records that name each one (`entities.links`), counted within the caller's
    scope: the statement then takes `scope_low`/`scope_high` at execution (`links.scope_bounds`).
    With `known_at` (and then an `as_of`), only the roster adjustments and metric revisions recorded by
    that moment count (`services.registry.pointintime`).
    Built once per kind and date and then shared: a statement is immutable (filters and paging
    derive new ones from it), and building this one costs more than running it.
    """
    if known_at is not None and as_of is None:
        raise ValueError("known_at needs the date it answers for (pointintime.point_in_time gives one)")
    return _build_read_query(spec, as_of, backlinks, known_at)


def _backlinks(spec: KindSpec) -> list[BackLink]:
    """The links that point at a record of this kind from other records (see `entities.links`)."""
    if spec.kind is EntityKind.enterprise:
        p = table(Project)
        return [BackLink("project", p, p.c.entity_id, p.c.owner_enterprise_id == E.c.id)]
    if spec.kind is EntityKind.industry:
        ei, child = enterprise_industry, table(Industry).alias("child_industry")
        return [
            BackLink("enterprise", ei, ei.c.enterprise_id, ei.c.industry_id == E.c.id),
            BackLink("child_industry", child, child.c.entity_id, child.c.parent_industry_id == E.c.id),
        ]
    return []


@functools.lru_cache(maxsize=64)
def _build_read_query(
    spec: KindSpec, as_of: dt.date | None, backlinks: bool, known_at: dt.datetime | None
) -> ReadQuery:
    k = spec.table
    standing, latest = _standing_columns(spec, as_of, known_at)
    columns: list[Any] = [
        E.c.id,
        E.c.kind,
        E.c.name,
        E.c.domain,
        E.c.pathway,
        E.c.lead_department_id,
        E.c.listed_on,
        E.c.version,
        E.c.created_at,
        E.c.updated_at,
        _id_array(entity_chain.c.chain_id, entity_chain.c.entity_id, E.c.id).label("chain_ids"),
        _id_array(entity_park.c.park_id, entity_park.c.entity_id, E.c.id).label("park_ids"),
        _persons_json(E.c.id).label("persons"),
        *standing,
    ]
    columns += [k.c[name] for name in spec.own_columns]
    if spec.kind is EntityKind.enterprise:
        columns.append(
            _id_array(enterprise_industry.c.industry_id, enterprise_industry.c.enterprise_id, E.c.id).label(
                "industry_ids"
            )
        )
    if spec.kind is EntityKind.project:
        plans, approvals = table(ProjectAnnualPlan), table(ProjectApproval)
        columns.append(
            select(
                func.coalesce(
                    func.json_agg(
                        func.json_build_object(
                            # as text: a JSON number would reach Python as a float
                            "year",
                            plans.c.year,
                            "planned_investment",
                            cast(plans.c.planned_investment, Text),
                        )
                    ).filter(plans.c.year.isnot(None)),
                    literal_column("'[]'::json"),
                )
            )
            .where(plans.c.project_id == E.c.id)
            .scalar_subquery()
            .label("annual_plans")
        )
        columns.append(
            select(
                func.coalesce(
                    func.json_agg(
                        func.json_build_object(
                            "kind",
                            approvals.c.kind,
                            "state",
                            approvals.c.state,
                            "applied_on",
                            approvals.c.applied_on,
                            "approved_on",
                            approvals.c.approved_on,
                            "document_no",
                            approvals.c.document_no,
                            "committed_completion_on",
                            approvals.c.committed_completion_on,
                        )
                    ),
                    literal_column("'[]'::json"),
                )
            )
            .where(approvals.c.project_id == E.c.id)
            .scalar_subquery()
            .label("approvals")
        )
    source: FromClause = E.join(k, k.c.entity_id == E.c.id)
    if spec.kind is EntityKind.project:
        g = table(ProjectGreenChannel)
        source = source.outerjoin(g, g.c.project_id == E.c.id)
        columns += [
            g.c.project_id.isnot(None).label("green_channel"),
            g.c.entered_at.label("green_channel_at"),
            g.c.entered_by.label("green_channel_by"),
            g.c.entered_by_name.label("green_channel_by_name"),
            g.c.note.label("green_channel_note"),
        ]
    if backlinks:
        source, linked = join_all(source, _backlinks(spec))
        columns += linked
    if latest is not None:
        source = source.outerjoin(latest, true())
    if as_of is None:
        columns += [E.c.level, E.c.region_code, E.c.target_tier, E.c.roster_status]
    else:
        r = table(RosterAdjustment)
        recorded = [] if known_at is None else [r.c.created_at <= known_at]
        state = (
            select(r.c.to_level, r.c.to_region_code, r.c.to_tier, r.c.status_after)
            .where(r.c.entity_id == E.c.id, r.c.effective_on <= as_of, *recorded)
            .order_by(r.c.effective_on.desc(), r.c.seq.desc())
            .limit(1)
            .lateral("roster_state")
        )
        source = source.join(state, true())
        columns += [
            state.c.to_level.label("level"),
            state.c.to_region_code.label("region_code"),
            state.c.to_tier.label("target_tier"),
            state.c.status_after.label("roster_status"),
        ]
    stmt = select(*columns).select_from(source).where(E.c.kind == spec.kind.value)
    sorting = Sorting(
        columns={"name": E.c.name, "created_at": E.c.created_at, "updated_at": E.c.updated_at},
        tiebreak=E.c.id,
        default="-updated_at",
    )
    return ReadQuery(stmt, sorting)


def _standing_columns(
    spec: KindSpec, as_of: dt.date | None, known_at: dt.datetime | None = None
) -> tuple[list[Any], Any]:
    """The latest annual size behind `standing`, and the LATERAL it needs (None when it needs none).

    Today's size is the copy kept on the entity row; an `as_of` date replays the metric history (only
    the revisions recorded by `known_at`, when given).
    Projects are sized by their total investment, so they need neither.
    """
    names = ("standing_metric", "standing_year", "standing_value")
    if spec.kind is EntityKind.project:
        return [null().label(n) for n in names], None
    if as_of is None:
        return [E.c.size_metric.label(names[0]), E.c.size_year.label(names[1]), E.c.size_value.label(names[2])], None
    m = table(MetricValue)
    metric_rank = func.array_position(array([mk.value for mk in spec.standing_metrics]), m.c.metric)
    latest = (
        select(m.c.metric.label(names[0]), m.c.year.label(names[1]), m.c.value.label(names[2]))
        .where(
            m.c.entity_id == E.c.id,
            m.c.month == 0,
            # = ANY(ARRAY[...]), which PostgreSQL makes of an IN list anyway: a plain bound array, where
            # IN's expanding parameter could not be compiled once for the read lane.
            m.c.metric == any_(array([mk.value for mk in spec.standing_metrics])),
            m.c.year <= as_of.year,
            *([] if known_at is None else [m.c.recorded_at <= known_at]),
        )
        .order_by(m.c.year.desc(), metric_rank, m.c.revision.desc())
        .limit(1)
        .lateral("standing")
    )
    return [latest.c[n] for n in names], latest


def _effective(stmt: Select[Any], name: str) -> ColumnElement[Any]:
    """The column a filter applies to: the roster state on `as_of` when one is joined, else the entity."""
    for column in stmt.selected_columns:
        if column.key == name:
            element: ColumnElement[Any] = getattr(column, "element", column)
            return element
    raise KeyError(name)


def approval_overdue(approvals: Any, today: dt.date) -> ColumnElement[bool]:
    """An approval row past its committed date and unfinished on `today` (`approvals.rules.is_overdue`)."""
    return and_(
        approvals.c.committed_completion_on < today,
        approvals.c.state.in_(sorted(s.value for s in approval_rules.OPEN_STATES)),
    )


def has_overdue_approval(project_id: Any, today: dt.date) -> ColumnElement[bool]:
    a = table(ProjectApproval)
    return select(a.c.kind).where(a.c.project_id == project_id, approval_overdue(a, today)).exists()


def apply_filters(
    stmt: Select[Any], spec: KindSpec, filters: EntityFilters, scope: str | None, today: dt.date | None = None
) -> Select[Any]:
    """`stmt` narrowed to the records `filters` match within the region `scope` (None: everywhere).

    `today` (the programme's date) is needed by the projects' `approval_overdue` filter alone."""
    conditions: list[ColumnElement[bool]] = []
    region = _effective(stmt, "region_code")
    if scope is not None:
        low, high = code_range(scope)
        conditions.append(region.between(low, high))
    if filters.region is not None:
        low, high = code_range(filters.region)
        conditions.append(region.between(low, high))
    for name, column in (("level", "level"), ("tier", "target_tier"), ("roster_status", "roster_status")):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(_effective(stmt, column) == value.value)
    if filters.domain is not None:
        conditions.append(E.c.domain == filters.domain.value)
    if filters.pathway is not None:
        conditions.append(E.c.pathway == filters.pathway.value)
    if filters.department is not None:
        conditions.append(E.c.lead_department_id == filters.department)
    if filters.chain is not None:
        conditions.append(
            select(entity_chain)
            .where(entity_chain.c.entity_id == E.c.id, entity_chain.c.chain_id == filters.chain)
            .exists()
        )
    if filters.park is not None:
        conditions.append(
            select(entity_park).where(entity_park.c.entity_id == E.c.id, entity_park.c.park_id == filters.park).exists()
        )
    if filters.q:
        conditions += name_contains(filters.q)
    k = spec.table
    extra: dict[str, Any] = filters.model_dump(mode="json", exclude=set(EntityFilters.model_fields))
    for name, value in extra.items():
        if value is None:
            continue
        if name == "parent_industry":
            conditions.append(k.c.parent_industry_id == value)
        elif name == "label":
            conditions.append(k.c.labels.contains([value]))
        elif name == "uscc":
            conditions.append(k.c.uscc == str(value).strip().upper())
        elif name == "industry":
            conditions.append(
                select(enterprise_industry)
                .where(enterprise_industry.c.enterprise_id == E.c.id, enterprise_industry.c.industry_id == value)
                .exists()
            )
        elif name == "stage":
            conditions.append(k.c.stage == value)
        elif name == "owner_enterprise":
            conditions.append(k.c.owner_enterprise_id == value)
        elif name == "green_channel":
            entered = _effective(stmt, "green_channel")  # the read query's outer join of the channel
            conditions.append(entered if value else ~entered)
        elif name == "approval_overdue":
            if today is None:
                raise ValueError("approval_overdue needs today's date")
            overdue = has_overdue_approval(E.c.id, today)
            conditions.append(overdue if value else ~overdue)
    return stmt.where(and_(true(), *conditions)) if conditions else stmt


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def name_contains(q: str) -> list[ColumnElement[bool]]:
    """An entity's name contains `q`: the query's grams within the name's, which the `name_grams` GIN
    index serves (see docs/architecture.md, Chinese name search), confirmed by ILIKE."""
    return [
        func.registry.name_grams(E.c.name).op("@>")(func.registry.query_grams(q)),
        E.c.name.ilike("%" + escape_like(q) + "%", escape="\\"),
    ]


@functools.lru_cache(maxsize=8)
def read_by_id(spec: KindSpec) -> Select[Any]:
    """One record's read, with the id bound at execution (`{"entity_id": …}`).

    One statement object per kind: SQLAlchemy then reuses its cache key and compiled form, where a
    fresh `.where(id == value)` per request made it rebuild the key of the whole statement.
    """
    return build_read_query(spec).stmt.where(E.c.id == bindparam("entity_id"))


@functools.lru_cache(maxsize=8)
def prepared_read_by_id(spec: KindSpec) -> PreparedRead:
    """`read_by_id` compiled for the read lane (`shared.reads.Reader`), once per kind."""
    return PreparedRead.of(read_by_id(spec))


@functools.lru_cache(maxsize=64)
def prepared_read_as_of(spec: KindSpec, as_of: dt.date, known_at: dt.datetime | None = None) -> PreparedRead:
    """One record as it stood on `as_of` (roster state and size on that date), for the read lane; with
    `known_at`, as the registry recorded it by that moment.

    No row when the record was not yet on the roster that day (or not yet recorded). Compiled once per
    kind, date and moment, as `build_read_query` builds it (they are literals of the statement).
    """
    read = build_read_query(spec, as_of, known_at=known_at)
    return PreparedRead.of(read.stmt.where(E.c.id == bindparam("entity_id")))
