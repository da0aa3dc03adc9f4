"""The roster feed's follower: open rounds follow the roster while they are open.

Each tick reads the registry's change feed (`RegistryClient.read_events`) from the position stored in
`feed_cursor`, and for every entity the events name, checks each open round:

- the entity is listed and in the round's scope (`roster.in_scope`: the plan's kinds, levels, regions
  with their descendants, domains, tiers, chains, parks) and the round has no task for it: it joins,
  with a new pending task holding its snapshot, as opening takes it (`roster.snapshot`); a task
  withdrawn earlier comes back (pending, or returned if it had been filed);
- it has left the roster, been deleted, or left the scope (a level or region change) and its task is
  `pending` or `returned`: the task is `withdrawn` (kept, with `withdrawn_at`; its filings too). A task
  filed and awaiting review, or accepted, stays: submitted work is never undone.

The events only point at what may have changed: of an entity's events in one batch the last is read,
and only when it suggests a round should gain or lose the entity is the entity read again from the
registry (`GET`), whose answer decides. So the rounds end as the roster now stands however far behind
the follower is, and a decision is never taken on a state the registry has since left. Closed rounds
are not touched: events are simply passed over once no round is open. Opening a round sets the
position back to where it stood before the round's roster was read (`RoundBook.open`), so a change
the follower passed over while the round was being opened is read again and reaches it.

Once per replica set: a tick leases the cursor row (`shared.leases`, `FOR UPDATE SKIP LOCKED`), reads
a batch outside any transaction, then in one transaction moves the position from where it read to the
batch's end, only if it still holds the lease and nobody moved it, and writes the task changes. A
replica that lost its lease writes nothing; one that dies mid-batch leaves the position where it was
and the next tick reads the batch again. Applying a batch twice changes nothing (inserts are
`ON CONFLICT DO NOTHING`, withdrawals and returns check the task's state).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.peers import Peers
from services.scheduler.roster_feed.repository import FEED, WITHDRAWABLE, FeedRepository
from services.scheduler.rounds.opening import SYSTEM, template_version
from services.scheduler.rounds.roster import department_codes, in_scope, region_names, snapshot
from services.scheduler.views import task_read
from shared.clients import RegistryClient
from shared.clients.registry import EntityRead as Entity
from shared.context import RequestContext
from shared.errors import NotFound
from shared.loops import Clock, LoopService, cancelling, replica_id, utc_now
from shared.schemas.enums import EntityKind
from shared.schemas.registry.responses.entities import EnterpriseRead, IndustryRead, ProjectRead
from shared.schemas.registry.responses.feed import ChangeEventRead
from shared.schemas.scheduler.actions.plans import PlanScope
from shared.schemas.scheduler.enums import TaskState

log = logging.getLogger("wanqianbai.scheduler.roster_feed")

ENTITY_READS: dict[str, TypeAdapter[Any]] = {
    EntityKind.industry.value: TypeAdapter(IndustryRead),
    EntityKind.enterprise.value: TypeAdapter(EnterpriseRead),
    EntityKind.project.value: TypeAdapter(ProjectRead),
}


@dataclass(frozen=True, slots=True)
class OpenRound:
    id: uuid.UUID
    row: RowMapping
    scope: PlanScope
    region: str


@dataclass(slots=True)
class Changes:
    """What one batch does to the open rounds: (round, entity) pairs to join and to leave."""

    joins: list[tuple[OpenRound, Entity]] = field(default_factory=list)
    leaves: list[tuple[OpenRound, uuid.UUID, EntityKind]] = field(default_factory=list)


def latest_events(events: Sequence[ChangeEventRead]) -> dict[uuid.UUID, ChangeEventRead]:
    """Each entity's last event in the batch (events of other resources are passed over)."""
    latest: dict[uuid.UUID, ChangeEventRead] = {}
    for event in events:
        if event.resource_type in ENTITY_READS:
            latest[uuid.UUID(event.resource_id)] = event
    return latest


def as_entity(event: ChangeEventRead) -> Entity | None:
    """The entity as the event records it; None for a deletion (or a payload this version cannot read)."""
    if event.action == "deleted":
        return None
    try:
        entity: Entity = ENTITY_READS[event.resource_type].validate_python(event.payload)
    except ValidationError:
        log.warning("unreadable change event", extra={"event_id": event.id, "resource_type": event.resource_type})
        return None
    return entity


class RosterFeedFollower(LoopService):
    name = "roster-feed"

    def __init__(
        self,
        peers: Peers,
        *,
        interval_s: float,
        lease_s: float = 120.0,
        batch_size: int = 500,
        max_batches: int = 20,
        clock: Clock = utc_now,
        owner: str | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.peers = peers
        self.interval_s = interval_s
        self.lease = dt.timedelta(seconds=lease_s)
        self.batch_size = batch_size
        self.max_batches = max_batches
        self.owner = owner or replica_id(type(self).__name__)
        self.joined = 0
        self.withdrawn = 0

    async def run_once(self, now: dt.datetime) -> int:
        """Events applied: batches until the feed's end (at most `max_batches`), under the cursor's lease."""
        sessions = self.platform.sessionmaker
        async with sessions.begin() as session:
            position = await FeedRepository(session).claim(FEED, owner=self.owner, now=now, duration=self.lease)
        if position is None:
            return 0
        applied = 0
        try:
            for _ in range(self.max_batches):
                page = await self.peers.registry.read_events(position, self.batch_size)
                if not page.items:
                    break
                end = int(page.next_cursor)
                if not await self._apply(page.items, position, end, now):
                    return applied  # the lease passed to another replica: it carries on from the stored position
                applied += len(page.items)
                position = end
                if len(page.items) < self.batch_size:
                    break
        finally:
            if not cancelling():
                async with sessions.begin() as session:
                    await FeedRepository(session).release(FEED, owner=self.owner)
        return applied

    async def _apply(self, events: Sequence[ChangeEventRead], start: int, end: int, now: dt.datetime) -> bool:
        sessions = self.platform.sessionmaker
        latest = latest_events(events)
        changes = Changes()
        if latest:
            async with sessions.begin() as session:
                changes = await self._changes(session, latest)
            if changes.joins or changes.leaves:
                changes = await self._confirmed(changes)
        departments: dict[uuid.UUID, tuple[str, str]] = {}
        regions: dict[str, str] = {}
        if changes.joins:
            departments = await department_codes(self.peers.registry)
            regions = await region_names(self.peers.registry)
        async with sessions.begin() as session:
            repo = FeedRepository(session)
            if not await repo.advance(
                FEED, owner=self.owner, start=start, to=end, events=len(events), now=now, duration=self.lease
            ):
                return False
            still_open = {row["id"] for row in await repo.open_rounds(lock=True)} if latest else set()
            ctx = RequestContext(principal=SYSTEM, request_id=None, now=now, zone=self.platform.zone)
            for open_round, entity in changes.joins:
                if open_round.id in still_open:
                    await self._join(session, ctx, open_round, entity, departments, regions)
            for open_round, entity_id, _ in changes.leaves:
                if open_round.id in still_open:
                    await self._leave(session, ctx, open_round, entity_id)
        return True

    async def _changes(self, session: AsyncSession, latest: dict[uuid.UUID, ChangeEventRead]) -> Changes:
        """What the events suggest: pairs whose task presence disagrees with the event's record."""
        repo = FeedRepository(session)
        rounds = [
            OpenRound(row["id"], row, PlanScope.model_validate(row["scope"]), row["plan_region_code"])
            for row in await repo.open_rounds()
        ]
        changes = Changes()
        if not rounds:
            return changes
        tasks = {
            (t["round_id"], t["entity_id"]): t["state"]
            for t in await repo.tasks_of([r.id for r in rounds], list(latest))
        }
        for entity_id, event in latest.items():
            entity = as_entity(event)
            for open_round in rounds:
                state = tasks.get((open_round.id, entity_id))
                belongs = entity is not None and in_scope(entity, open_round.scope, open_round.region)
                if entity is not None and belongs and state in (None, TaskState.withdrawn.value):
                    changes.joins.append((open_round, entity))
                elif not belongs and state in WITHDRAWABLE:
                    changes.leaves.append((open_round, entity_id, EntityKind(event.resource_type)))
        return changes

    async def _confirmed(self, suggested: Changes) -> Changes:
        """The suggested changes that the entity's current record, read again, bears out."""
        kinds = {e.id: e.kind for _, e in suggested.joins} | {i: kind for _, i, kind in suggested.leaves}
        current: dict[uuid.UUID, Entity | None] = {}
        for entity_id, kind in kinds.items():
            current[entity_id] = await _current(self.peers.registry, entity_id, kind)
        confirmed = Changes()
        for open_round, entity in suggested.joins:
            now_entity = current[entity.id]
            if now_entity is not None and in_scope(now_entity, open_round.scope, open_round.region):
                confirmed.joins.append((open_round, now_entity))
        for open_round, entity_id, kind in suggested.leaves:
            now_entity = current[entity_id]
            if now_entity is None or not in_scope(now_entity, open_round.scope, open_round.region):
                confirmed.leaves.append((open_round, entity_id, kind))
        return confirmed

    async def _join(
        self,
        session: AsyncSession,
        ctx: RequestContext,
        open_round: OpenRound,
        entity: Entity,
        departments: dict[uuid.UUID, tuple[str, str]],
        regions: dict[str, str],
    ) -> None:
        repo = FeedRepository(session)
        values = snapshot(entity, departments, regions)
        row = await repo.rejoin(open_round.id, entity.id, values)
        action = "rejoin"
        if row is None:
            row = await repo.add_task(
                values
                | {
                    "round_id": open_round.id,
                    "plan_id": open_round.row["plan_id"],
                    "period_key": open_round.row["period_key"],
                    "template_version": template_version(open_round.row, entity.kind),
                    "state": TaskState.pending.value,
                    "due_at": open_round.row["due_at"],
                }
            )
            action = "join"
        if row is None:
            return
        self.joined += 1
        after = task_read(row, ctx.now).model_dump(mode="json")
        await self.platform.audit.record(
            session, ctx, action=action, resource_type="report_task", resource_id=row["id"], after=after
        )

    async def _leave(
        self, session: AsyncSession, ctx: RequestContext, open_round: OpenRound, entity_id: uuid.UUID
    ) -> None:
        row = await FeedRepository(session).withdraw(open_round.id, entity_id, ctx.now)
        if row is None:
            return
        self.withdrawn += 1
        after = task_read(row, ctx.now).model_dump(mode="json")
        await self.platform.audit.record(
            session, ctx, action="withdraw", resource_type="report_task", resource_id=row["id"], after=after
        )


async def _current(registry: RegistryClient, entity_id: uuid.UUID, kind: EntityKind) -> Entity | None:
    """The entity as the registry has it now; None once it is gone (deleted as entered by mistake)."""
    try:
        if kind is EntityKind.industry:
            return await registry.get_industry(entity_id)
        if kind is EntityKind.enterprise:
            return await registry.get_enterprise(entity_id)
        return await registry.get_project(entity_id)
    except NotFound:
        return None
