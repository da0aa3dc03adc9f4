"""The scheduler's typed state and the dependencies that reach it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.scheduler.findings.sweep_loop import SupervisionSweep
from services.scheduler.peers import Peers
from services.scheduler.problems.escalation_loop import ProblemEscalation
from services.scheduler.roster_feed.follower import RosterFeedFollower
from services.scheduler.rounds.ticker import RoundTicker
from services.scheduler.settings import Settings
from shared.app import Platform
from shared.outbox import Outbox, OutboxRelay
from shared.reads import Reader, ReadLane


@dataclass(frozen=True, slots=True)
class SchedulerState:
    """What the scheduler holds beyond the platform: its read lane, peer clients, outbox and loops."""

    reads: ReadLane
    peers: Peers
    outbox: Outbox
    ticker: RoundTicker
    relay: OutboxRelay
    sweep: SupervisionSweep
    escalation: ProblemEscalation
    roster_feed: RosterFeedFollower


SchedulerPlatform = Platform[Settings, SchedulerState]


def scheduler_platform(request: Request) -> SchedulerPlatform:
    platform: SchedulerPlatform = request.app.state.platform
    return platform


def request_reader(request: Request) -> Reader:
    """The read lane of the serving app (called directly on the task list's path, not as a dependency)."""
    return scheduler_platform(request).state.reads.reader


SchedulerPlatformDep = Annotated[SchedulerPlatform, Depends(scheduler_platform)]
