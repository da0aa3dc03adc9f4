"""The registry's typed state and the dependencies that reach it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.registry.imports.runner import ImportRunner
from services.registry.settings import Settings
from shared.app import Platform
from shared.reads import Reader, ReadLane


@dataclass(frozen=True, slots=True)
class RegistryState:
    """What the registry holds beyond the platform: its read lane and its import runner."""

    reads: ReadLane
    imports: ImportRunner


RegistryPlatform = Platform[Settings, RegistryState]


def registry_platform(request: Request) -> RegistryPlatform:
    platform: RegistryPlatform = request.app.state.platform
    return platform


def request_reader(request: Request) -> Reader:
    """The read lane of the serving app (called directly on the GET-by-id path, not as a dependency)."""
    return registry_platform(request).state.reads.reader


async def import_runner(request: Request) -> ImportRunner:
    return registry_platform(request).state.imports


RegistryPlatformDep = Annotated[RegistryPlatform, Depends(registry_platform)]
ImportRunnerDep = Annotated[ImportRunner, Depends(import_runner)]
