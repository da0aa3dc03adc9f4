"""Delivering a project's progress (stage, approvals) from an accepted report to the registry.

The outbox relay calls `write_progress` with the message's payload (`figures.ProjectProgress`):

    GET the project ─► nothing differs ─────────────────────────► done, nothing written ("unchanged")
         │          └► PATCH the differing fields, If-Match: its version
         │                 ├─ 200 ──────────────────────────────► done
         │                 ├─ 412 (someone wrote it meanwhile) ─► read it again (at most `ATTEMPTS` reads)
         │                 └─ 403 / 404 / 422 ───────────────────► Refused: settled, visible, not retried
         └─ registry away (503, timeout) ──────────────────────► the relay tries again later

A write the registry applied but whose answer was lost is found already applied on the next try, so
the stage reaches the registry once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.scheduler.tasks.figures import ProjectProgress, progress_update
from shared.clients import RegistryClient
from shared.errors import Conflict, PreconditionFailed
from shared.outbox import refusals_are_final

ATTEMPTS = 3


async def write_progress(registry: RegistryClient, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The registry's answer as the outbox keeps it: the fields written and the project's new version."""
    progress = ProjectProgress.model_validate(payload)
    for _ in range(ATTEMPTS):
        try:
            with refusals_are_final():
                project = await registry.get_project(progress.project_id)
                update = progress_update(project, progress)
                if update is None:
                    return {"unchanged": True, "version": project.version}
                written = await registry.update_project(project.id, update, project.version)
        except PreconditionFailed:
            continue
        return {"version": written.version} | update.model_dump(mode="json", exclude_unset=True)
    raise Conflict("项目在重新读取后仍被同时修改，稍后再试", code="project_write_contended")
