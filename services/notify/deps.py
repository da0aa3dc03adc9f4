"""notify's typed state and the dependencies that reach it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from aiohttp.abc import AbstractResolver
from fastapi import BackgroundTasks, Depends, Request

from services.notify.circulars.documents import DocumentRenderer
from services.notify.deliveries.worker import DeliveryWorker
from services.notify.outbound import OutboundPolicy
from services.notify.settings import Settings
from shared.app import Platform


@dataclass(slots=True)
class NotifyState:
    """What notify holds beyond the platform: the outbound policy its webhooks obey, the PDF
    renderer publishing uses (tests may swap it for a faster one), the delivery loop, and the resolver
    registration checks webhook hosts with."""

    policy: OutboundPolicy
    renderer: DocumentRenderer
    deliveries: DeliveryWorker
    # Resolves webhook hosts at registration; None: the system's resolver (tests put a fake one here).
    resolver: AbstractResolver | None = None


NotifyPlatform = Platform[Settings, NotifyState]


def notify_platform(request: Request) -> NotifyPlatform:
    platform: NotifyPlatform = request.app.state.platform
    return platform


NotifyPlatformDep = Annotated[NotifyPlatform, Depends(notify_platform)]


async def wake_deliveries(background: BackgroundTasks, platform: NotifyPlatformDep) -> None:
    """After the response (so after the commit), have the delivery loop look for work now rather
    than at its next interval; a route that queues deliveries names this among its dependencies."""
    background.add_task(platform.state.deliveries.wake)


WAKES_DELIVERIES = [Depends(wake_deliveries)]
