"""The job kinds ``argilla_push`` and ``argilla_pull`` (see workbench.jobs.kinds). Params:
``project_id``; push also takes ``batch_size``, ``recreate``, ``dataset`` and
``annotators``. The API key comes from the job process's environment, never from the params
(they are stored)."""

from __future__ import annotations

from typing import Any

from store.records import Project
from workbench.errors import InvalidInput
from workbench.jobs.context import JobContext


def _project(ctx: JobContext) -> Project:
    project_id = ctx.params.get("project_id", ctx.job.project_id)
    if project_id is None:
        raise InvalidInput("An Argilla job needs a project.")
    return ctx.store.project_by_id(int(project_id))


def run_push_job(ctx: JobContext) -> dict[str, Any]:
    """Push the project's new and changed questions, batch by batch."""
    from workbench.argilla_sync.push import DEFAULT_BATCH, push_project

    result = push_project(
        ctx.store, ctx.settings, _project(ctx),
        batch_size=int(ctx.params.get("batch_size") or DEFAULT_BATCH),
        recreate=bool(ctx.params.get("recreate", False)),
        dataset_name=ctx.params.get("dataset") or None,
        annotators=int(ctx.params["annotators"]) if ctx.params.get("annotators") else None,
        progress=ctx.progress, log=ctx.log,
    )
    ctx.log(f"pushed {result.sent} records to '{result.dataset}' ({result.unchanged} unchanged)")
    return result.as_dict()


def run_pull_job(ctx: JobContext) -> dict[str, Any]:
    """Pull new and changed responses into reviews."""
    from workbench.argilla_sync.pull import pull_project

    result = pull_project(ctx.store, ctx.settings, _project(ctx),
                          progress=ctx.progress, log=ctx.log)
    ctx.log(f"applied {result.applied} responses from '{result.dataset}'"
            f" ({result.unchanged} unchanged, {len(result.flagged)} newly flagged)")
    return result.as_dict()
