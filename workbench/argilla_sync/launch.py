"""Starting push and pull jobs (no SDK import: the TUI and the CLI call this)."""

from __future__ import annotations

from typing import Any

from store import Store
from store.records import Job, Project
from workbench.argilla_sync import errors
from workbench.errors import InvalidInput
from workbench.jobs.launch import start_job
from workbench.settings import Settings

KINDS = {"push": "argilla_push", "pull": "argilla_pull"}


def start_sync(
    store: Store, settings: Settings, project: Project, direction: str, **params: Any,
) -> Job:
    """Start a push or pull job for the project; refuses a second one while one runs."""
    if not settings.argilla_api_url or not settings.argilla_api_key:
        raise errors.not_configured()
    for job in store.active_jobs(project.id):
        if job.kind in KINDS.values():
            raise InvalidInput(
                f"An Argilla {job.kind.removeprefix('argilla_')} (job {job.id}) is already"
                " running for this project.",
                f"Wait for it, or cancel it with 'workbench jobs cancel {job.id}'.",
            )
    clean = {k: v for k, v in params.items() if v not in (None, False)}
    return start_job(store, settings, KINDS[direction], {"project_id": project.id, **clean},
                     project_id=project.id)
