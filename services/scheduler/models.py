"""Tables of the scheduler, all in the `scheduler` schema.

A plan (`plan`) ticks on its schedule; each tick opens a round (`round`, one per plan and period key,
UNIQUE), and opening a round creates one report task (`report_task`) per entity of the roster in the
plan's scope, with a snapshot of the entity as it stood. Each filing of a task is kept
(`report_submission`). The business calendar's admin overrides are `calendar_override` and
`calendar_year`. Roster changes made while a round is open reach it through the registry's change
feed, followed from a stored cursor (`feed_cursor`): a task is added for an entity that comes into a
round's scope and `withdrawn` for one that leaves the roster. The platform tables include
`outbox_message`: metric and project-stage writes to the registry and circular requests to notify,
each recorded with the change that causes it.

Coordination and supervision (督促督办): a problem (`problem`, every move kept in `problem_event`)
is raised from an accepted report or entered directly and followed up the coordination levels. The
supervision rules are data (`supervision_rule`, one active version per code); the sweep keeps one
finding (`finding`) per (rule, subject, period), and a red finding may become a supervision case
(`supervision_case`) with its rectification replies (`case_reply`). The receipts notify reports
unsigned, of circulars the scheduler requested, are kept as `unsigned_receipt` for the sweep. Round
summaries are scored with the active `scoring_profile`; reminders sent before a round's deadline are
`round_reminder` rows.

Every table is a SQLModel `table=True` class on `SchedulerTable`; rows are written and read with Core
statements over their Tables, never built from request bodies.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel

from shared.db import service_registry
from shared.tables import outbox_table, platform_tables, server_timestamp, uuid_pk, version_column
from shared.tables import table as table

SCHEMA = "scheduler"


class SchedulerTable(SQLModel, registry=service_registry(SCHEMA)):
    """Base of the scheduler's table classes: their MetaData is the `scheduler` schema's alone."""


metadata = SchedulerTable.metadata
tables = platform_tables(SchedulerTable)
outbox = outbox_table(SchedulerTable)


class Plan(SchedulerTable, table=True):
    """A dispatch plan. `last_tick_at` is the instant up to which its ticks have been processed;
    `next_tick_at` the first tick after it (NULL while paused), which the ticker's claim looks at."""

    __tablename__ = "plan"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'paused')", name="status"),
        CheckConstraint("missed_tick_policy IN ('skip', 'latest', 'all')", name="missed_tick_policy"),
        Index("ix_plan_due", "next_tick_at", postgresql_where=text("status = 'active'")),
    )

    id: uuid.UUID = uuid_pk()
    name: str = Field(sa_type=String(200))
    owner_department: str = Field(sa_type=String(60))
    region_code: str = Field(sa_type=String(6), index=True)
    schedule: dict[str, Any] = Field(sa_type=JSONB)
    cron: str = Field(sa_type=String(200))
    period_kind: str = Field(sa_type=String(10))
    timezone: str = Field(sa_type=String(64))
    scope: dict[str, Any] = Field(sa_type=JSONB)
    template_versions: dict[str, Any] = Field(sa_type=JSONB)
    submission_window: dict[str, Any] = Field(sa_type=JSONB)
    reminders: list[Any] = Field(sa_type=JSONB)
    missed_tick_policy: str = Field(sa_type=String(10))
    missed_tick_cap: int = Field(sa_type=SmallInteger)
    status: str = Field(sa_type=String(10))
    last_tick_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    next_tick_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    lease_owner: str | None = Field(sa_type=String(64))
    lease_expires_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    created_by: str = Field(sa_type=String(200))
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class Round(SchedulerTable, table=True):
    """One reporting round of a plan: at most one per (plan, period key), whatever opened it."""

    __tablename__ = "round"
    __table_args__ = (
        UniqueConstraint("plan_id", "period_key"),
        CheckConstraint("state IN ('scheduled', 'open', 'closed', 'cancelled')", name="state"),
        Index("ix_round_state_opens_at", "state", "opens_at"),
    )

    id: uuid.UUID = uuid_pk()
    plan_id: uuid.UUID = Field(sa_type=UUID, sa_column_args=[ForeignKey("plan.id", ondelete="CASCADE")])
    period_key: str = Field(sa_type=String(10))
    state: str = Field(sa_type=String(10))
    backfill: bool = Field(sa_type=Boolean, sa_column_kwargs={"server_default": "false"})
    opens_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    due_on: dt.date = Field(sa_type=Date)
    due_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    grace_until: dt.datetime = Field(sa_type=DateTime(timezone=True))
    reminders: list[Any] = Field(sa_type=JSONB)
    provisional: bool = Field(sa_type=Boolean)
    roster_on: dt.date | None = Field(sa_type=Date)
    opened_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    closed_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    cancelled_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class ReportTask(SchedulerTable, table=True):
    """One entity's report in one round, with the entity as the roster had it when the round opened."""

    __tablename__ = "report_task"
    __table_args__ = (
        UniqueConstraint("round_id", "entity_id"),
        CheckConstraint(
            "state IN ('pending', 'submitted', 'returned', 'resubmitted', 'accepted', 'withdrawn')", name="state"
        ),
        # The task list: a county's page in deadline order, and its counts per state (index-only).
        Index("ix_report_task_region_code_due_at_id", "region_code", "due_at", "id"),
        Index("ix_report_task_region_code_state_due_at", "region_code", "state", "due_at"),
        Index("ix_report_task_entity_id_accepted_at", "entity_id", "accepted_at"),
        # The reports still to file, which the report_deadline rule reads: a few in each round.
        Index("ix_report_task_unsubmitted", "round_id", postgresql_where=text("state IN ('pending', 'returned')")),
    )

    id: uuid.UUID = uuid_pk()
    round_id: uuid.UUID = Field(sa_type=UUID, sa_column_args=[ForeignKey("round.id", ondelete="CASCADE")])
    plan_id: uuid.UUID = Field(sa_type=UUID, index=True)
    period_key: str = Field(sa_type=String(10))
    entity_id: uuid.UUID = Field(sa_type=UUID)
    entity_kind: str = Field(sa_type=String(20))
    entity_name: str = Field(sa_type=String(200))
    region_code: str = Field(sa_type=String(6))
    level: str = Field(sa_type=String(10))
    tier: str = Field(sa_type=String(30))
    domain: str = Field(sa_type=String(20))
    lead_department_id: uuid.UUID | None = Field(sa_type=UUID)
    lead_department_code: str | None = Field(sa_type=String(60))
    lead_department_name: str | None = Field(sa_type=String(200))
    responsible_person: str | None = Field(sa_type=String(100))
    facts: dict[str, Any] = Field(sa_type=JSONB, sa_column_kwargs={"server_default": "{}"})
    template_version: int = Field(sa_type=SmallInteger)
    state: str = Field(sa_type=String(12))
    due_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    figures: dict[str, Any] | None = Field(sa_type=JSONB)
    submission_count: int = Field(sa_type=Integer, sa_column_kwargs={"server_default": "0"})
    submitted_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    submitted_by: str | None = Field(sa_type=String(200))
    reviewed_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    reviewed_by: str | None = Field(sa_type=String(200))
    review_comment: str | None = Field(sa_type=Text)
    accepted_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    withdrawn_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class ReportSubmission(SchedulerTable, table=True):
    """Every filing of a task, in order, with the review it got."""

    __tablename__ = "report_submission"
    __table_args__ = (UniqueConstraint("task_id", "seq"),)

    id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": True})
    task_id: uuid.UUID = Field(sa_type=UUID, sa_column_args=[ForeignKey("report_task.id", ondelete="CASCADE")])
    seq: int = Field(sa_type=Integer)
    figures: dict[str, Any] = Field(sa_type=JSONB)
    submitted_by: str = Field(sa_type=String(200))
    submitted_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    outcome: str | None = Field(sa_type=String(10))
    comment: str | None = Field(sa_type=Text)
    reviewed_by: str | None = Field(sa_type=String(200))
    reviewed_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))


class CalendarOverride(SchedulerTable, table=True):
    """An admin's answer for one date (working or not), final over the package and the weekday rule."""

    __tablename__ = "calendar_override"

    day: dt.date = Field(sa_type=Date, primary_key=True)
    working: bool = Field(sa_type=Boolean)
    note: str = Field(sa_type=Text, sa_column_kwargs={"server_default": ""})
    updated_by: str = Field(sa_type=String(200))
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class CalendarYear(SchedulerTable, table=True):
    """A year whose State Council arrangement the office has entered in full: its days are no longer
    provisional."""

    __tablename__ = "calendar_year"
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),)

    year: int = Field(sa_type=SmallInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    note: str = Field(sa_type=Text, sa_column_kwargs={"server_default": ""})
    completed_by: str = Field(sa_type=String(200))
    created_at: dt.datetime = server_timestamp()


class Problem(SchedulerTable, table=True):
    """A difficulty or coordination request (困难问题/需协调事项) followed until the raiser closes it.

    One per (task, figure) when raised from an accepted report, so an acceptance raises it once."""

    __tablename__ = "problem"
    __table_args__ = (
        UniqueConstraint("task_id", "figure"),
        CheckConstraint("state IN ('open', 'in_progress', 'resolved', 'closed')", name="state"),
        CheckConstraint("level IN ('county', 'city', 'department', 'leader')", name="level"),
        CheckConstraint("category IN ('difficulty', 'coordination')", name="category"),
        Index("ix_problem_region_code_state", "region_code", "state"),
        Index("ix_problem_due", "due_on", postgresql_where=text("state IN ('open', 'in_progress')")),
    )

    id: uuid.UUID = uuid_pk()
    category: str = Field(sa_type=String(20))
    title: str = Field(sa_type=String(200))
    description: str = Field(sa_type=Text)
    region_code: str = Field(sa_type=String(6))
    entity_id: uuid.UUID | None = Field(sa_type=UUID)
    entity_kind: str | None = Field(sa_type=String(20))
    entity_name: str | None = Field(sa_type=String(200))
    task_id: uuid.UUID | None = Field(sa_type=UUID, sa_column_args=[ForeignKey("report_task.id", ondelete="SET NULL")])
    figure: str | None = Field(sa_type=String(20))
    assigned_department: str | None = Field(sa_type=String(60))
    level: str = Field(sa_type=String(12))
    state: str = Field(sa_type=String(12))
    due_on: dt.date = Field(sa_type=Date)
    due_provisional: bool = Field(sa_type=Boolean)
    raised_by: str = Field(sa_type=String(200))
    raised_region: str = Field(sa_type=String(6))
    resolution: str | None = Field(sa_type=Text)
    resolved_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    closed_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    escalated_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class ProblemEvent(SchedulerTable, table=True):
    """One step of a problem's history: raised, accepted, resolved, confirmed, reopened, escalated."""

    __tablename__ = "problem_event"

    id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": True})
    problem_id: uuid.UUID = Field(
        sa_type=UUID, sa_column_args=[ForeignKey("problem.id", ondelete="CASCADE")], index=True
    )
    action: str = Field(sa_type=String(20))
    from_state: str | None = Field(sa_type=String(12))
    to_state: str = Field(sa_type=String(12))
    from_level: str | None = Field(sa_type=String(12))
    to_level: str = Field(sa_type=String(12))
    due_on: dt.date = Field(sa_type=Date)
    actor_sub: str = Field(sa_type=String(200))
    actor_role: str = Field(sa_type=String(20))
    comment: str | None = Field(sa_type=Text)
    explanation: dict[str, Any] | None = Field(sa_type=JSONB)
    occurred_at: dt.datetime = Field(sa_type=DateTime(timezone=True))


class SupervisionRule(SchedulerTable, table=True):
    """A rule's parameters, as data: each change is a new version; one version per code is active."""

    __tablename__ = "supervision_rule"
    __table_args__ = (Index("uq_supervision_rule_active", "code", unique=True, postgresql_where=text("active")),)

    code: str = Field(sa_type=String(40), primary_key=True)
    version: int = Field(sa_type=Integer, primary_key=True, sa_column_kwargs={"autoincrement": False})
    parameters: dict[str, Any] = Field(sa_type=JSONB)
    active: bool = Field(sa_type=Boolean)
    created_at: dt.datetime = server_timestamp()


class Finding(SchedulerTable, table=True):
    """What a rule found about one subject in one period: at most one row, kept up to date by the sweep."""

    __tablename__ = "finding"
    __table_args__ = (
        UniqueConstraint("rule_code", "subject_id", "period_key"),
        CheckConstraint("colour IN ('blue', 'yellow', 'red')", name="colour"),
        CheckConstraint("state IN ('open', 'notified', 'rectifying', 'resolved', 'escalated')", name="state"),
        Index("ix_finding_region_code_colour", "region_code", "colour"),
        Index("ix_finding_round_id", "round_id"),
    )

    id: uuid.UUID = uuid_pk()
    rule_code: str = Field(sa_type=String(40))
    rule_version: int = Field(sa_type=Integer)
    subject_type: str = Field(sa_type=String(20))
    subject_id: uuid.UUID = Field(sa_type=UUID)
    period_key: str = Field(sa_type=String(10))
    round_id: uuid.UUID | None = Field(sa_type=UUID)
    entity_id: uuid.UUID | None = Field(sa_type=UUID)
    entity_kind: str | None = Field(sa_type=String(20))
    entity_name: str | None = Field(sa_type=String(200))
    region_code: str = Field(sa_type=String(6))
    lead_department_code: str | None = Field(sa_type=String(60))
    colour: str = Field(sa_type=String(10))
    state: str = Field(sa_type=String(12))
    explanation: dict[str, Any] = Field(sa_type=JSONB)
    red_notified_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    first_seen_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    evaluated_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    resolved_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class UnsignedReceipt(SchedulerTable, table=True):
    """A receipt (签收) notify reports unsigned, of a circular the scheduler requested: what the
    circular_unsigned rule reads. The supervision loop replaces the whole set after each complete
    fetch from notify, so a receipt signed since is gone from it."""

    __tablename__ = "unsigned_receipt"

    circular_id: uuid.UUID = Field(sa_type=UUID, primary_key=True)
    unit_type: str = Field(sa_type=String(20), primary_key=True)
    unit_code: str = Field(sa_type=String(60), primary_key=True)
    title: str = Field(sa_type=String(200))
    document_number: str | None = Field(sa_type=String(60))
    published_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    fetched_at: dt.datetime = Field(sa_type=DateTime(timezone=True))


class SupervisionCase(SchedulerTable, table=True):
    """A supervision case (督办件) made of a red finding: the responsible unit replies by `reply_due_at`."""

    __tablename__ = "supervision_case"
    __table_args__ = (
        UniqueConstraint("finding_id"),
        CheckConstraint("state IN ('awaiting_reply', 'replied', 'closed', 'escalated')", name="state"),
        Index("ix_supervision_case_due", "reply_due_at", postgresql_where=text("state = 'awaiting_reply'")),
    )

    id: uuid.UUID = uuid_pk()
    finding_id: uuid.UUID = Field(sa_type=UUID, sa_column_args=[ForeignKey("finding.id", ondelete="CASCADE")])
    region_code: str = Field(sa_type=String(6))
    responsible_department: str | None = Field(sa_type=String(60))
    requirement: str = Field(sa_type=Text)
    state: str = Field(sa_type=String(16))
    reply_due_on: dt.date = Field(sa_type=Date)
    reply_due_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    reply_count: int = Field(sa_type=Integer, sa_column_kwargs={"server_default": "0"})
    opened_by: str = Field(sa_type=String(200))
    escalated_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    closed_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    version: int = version_column()
    created_at: dt.datetime = server_timestamp()
    updated_at: dt.datetime = server_timestamp()


class CaseReply(SchedulerTable, table=True):
    """Every rectification reply (整改反馈) to a case, in order, with its review."""

    __tablename__ = "case_reply"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": True})
    case_id: uuid.UUID = Field(sa_type=UUID, sa_column_args=[ForeignKey("supervision_case.id", ondelete="CASCADE")])
    seq: int = Field(sa_type=Integer)
    body: str = Field(sa_type=Text)
    submitted_by: str = Field(sa_type=String(200))
    submitted_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    outcome: str | None = Field(sa_type=String(10))
    comment: str | None = Field(sa_type=Text)
    reviewed_by: str | None = Field(sa_type=String(200))
    reviewed_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))


class ScoringProfile(SchedulerTable, table=True):
    """Weights, penalties and grade cut-offs of round scoring; the active row scores every summary."""

    __tablename__ = "scoring_profile"
    __table_args__ = (Index("uq_scoring_profile_active", "code", unique=True, postgresql_where=text("active")),)

    code: str = Field(sa_type=String(40), primary_key=True)
    version: int = Field(sa_type=Integer, primary_key=True, sa_column_kwargs={"autoincrement": False})
    weights: dict[str, Any] = Field(sa_type=JSONB)
    penalties: dict[str, Any] = Field(sa_type=JSONB)
    cutoffs: dict[str, Any] = Field(sa_type=JSONB)
    active: bool = Field(sa_type=Boolean)
    created_at: dt.datetime = server_timestamp()


class RoundReminder(SchedulerTable, table=True):
    """A reminder instant of a round that has been handled, with the late units it was sent to."""

    __tablename__ = "round_reminder"
    __table_args__ = (UniqueConstraint("round_id", "remind_at"),)

    id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": True})
    round_id: uuid.UUID = Field(sa_type=UUID, sa_column_args=[ForeignKey("round.id", ondelete="CASCADE")])
    remind_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    regions: list[Any] = Field(sa_type=JSONB)
    late_tasks: int = Field(sa_type=Integer)
    sent_at: dt.datetime = Field(sa_type=DateTime(timezone=True))


class FeedCursor(SchedulerTable, table=True):
    """How far the scheduler has followed a peer's change feed (`feed` = 'registry'): the last event id
    applied. A replica claims the row under a lease before reading the feed, and advances `position`
    in the transaction that applies the events read, so no event is applied twice."""

    __tablename__ = "feed_cursor"

    feed: str = Field(sa_type=String(40), primary_key=True)
    position: int = Field(sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})
    lease_owner: str | None = Field(sa_type=String(64))
    lease_expires_at: dt.datetime | None = Field(sa_type=DateTime(timezone=True))
    events_seen: int = Field(sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})
    updated_at: dt.datetime = server_timestamp()
