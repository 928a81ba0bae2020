"""``workbench argilla``: status, push and pull of a project's questions.

Push and pull run as background jobs (recorded with progress, visible in the TUI, and
resumable). Without ``--wait`` the command prints the job id and returns; with ``--wait`` it
follows the job and exits 0 when it succeeded, 1 when it failed (error and hint on stderr),
3 when cancelled, 4 when interrupted. Scripts want ``--wait``.
"""

from __future__ import annotations

import sys

import click

from workbench.argilla_sync.launch import start_sync
from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli


@click.group()
def argilla() -> None:
    """Two-way sync with an Argilla server (ARGILLA_API_URL, ARGILLA_API_KEY,
    ARGILLA_WORKSPACE)."""


def _follow(obj: CliContext, job_id: int, as_json: bool) -> None:
    from workbench.cli.jobs import echo_job_line, exit_with_outcome
    from workbench.jobs.supervise import wait_for_job

    job = wait_for_job(obj.store, obj.settings, job_id,
                       report=None if as_json else lambda j: echo_job_line(j))
    if as_json:
        echo_json({"job": job.id, "state": job.state, "result": job.result,
                   "error": job.error, "hint": job.hint})
    elif job.state == "done":
        click.echo(", ".join(f"{k} {v}" for k, v in job.result.items()
                             if not isinstance(v, list | dict)))
    exit_with_outcome(job, show_error=not as_json)


@argilla.command()
@click.option("--project", "project_name", required=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_cli
@command_errors
def status(obj: CliContext, project_name: str, as_json: bool) -> None:
    """Connection, counts (local, pushed, pending, annotated) and the last syncs.
    Exits 1 when the server cannot be used."""
    from workbench.argilla_sync.overview import local_view, remote_view

    project = obj.store.project(project_name)
    local = local_view(obj.store, project)
    remote = remote_view(obj.settings, local.dataset)
    c = local.counts
    if as_json:
        echo_json({
            "project": project.name, "dataset": local.dataset,
            "server": None if remote.server is None else {
                "url": remote.server.url, "user": remote.server.username,
                "role": remote.server.role, "workspace": remote.server.workspace},
            "error": None if remote.error is None else {
                "title": remote.error.title, "hint": remote.error.hint},
            "local": c.local, "pushed": c.pushed, "pending_push": c.pending_push,
            "annotated": c.annotated, "responses": c.responses,
            "annotators_per_record": local.annotators,
            "agreement": None if local.agreement is None else local.agreement.as_dict(),
            "remote_records": remote.dataset.records if remote.dataset else None,
            "remote_annotated": remote.dataset.annotated if remote.dataset else None,
            "pending_pull": remote.pending_pull(local),
            "last_push_at": local.last_push_at, "last_pull_at": local.last_pull_at,
            "running_job": local.running.id if local.running else None,
            "last_failed_job": None if local.last_failed is None else {
                "id": local.last_failed.id, "error": local.last_failed.error},
        })
    else:
        if remote.server is not None:
            s = remote.server
            click.echo(f"server     {s.url} as {s.username} ({s.role}), workspace {s.workspace}")
        elif remote.error is not None:
            click.echo(f"server     {remote.error.title}")
            click.echo(f"           {remote.error.hint}")
        on_server = ("not created yet" if remote.dataset is None else
                     f"{remote.dataset.records} records, {remote.dataset.annotated} annotated")
        click.echo(f"dataset    {local.dataset} ({on_server if remote.server else 'unknown'})")
        click.echo(f"local      {c.local} questions, {c.pushed} pushed, {c.pending_push} to push")
        pending = remote.pending_pull(local)
        click.echo(f"annotated  {c.annotated} questions pulled ({c.responses} responses)"
                   + (f", {pending} to pull" if pending is not None else ""))
        for label, text in local.agreement_lines():
            click.echo(f"{label:<10} {text}")
        click.echo(f"last push  {local.last_push_at or 'never'}")
        click.echo(f"last pull  {local.last_pull_at or 'never'}")
        if local.running:
            click.echo(f"running    job {local.running.id} ({local.running.kind})")
        if local.last_failed:
            click.echo(f"last error job {local.last_failed.id}: {local.last_failed.error}")
    if remote.error is not None:
        sys.exit(1)


@argilla.command()
@click.option("--project", "project_name", required=True)
@click.option("--dataset", default=None,
              help="Dataset name (default: workbench-<project>); remembered for the project.")
@click.option("--batch-size", type=int, default=None, help="Records per request (max 500).")
@click.option("--recreate", is_flag=True,
              help="The dataset was deleted on the server: create it again and push all.")
@click.option("--annotators", type=click.IntRange(min=1), default=None,
              help="Annotators per record (Argilla task distribution); remembered for the"
                   " project. Default: as before, else WORKBENCH_ARGILLA_ANNOTATORS, else 1.")
@click.option("--wait", is_flag=True, help="Follow the job and exit with its outcome.")
@click.option("--json", "as_json", is_flag=True, help="With --wait: print the result as JSON.")
@pass_cli
@command_errors
def push(obj: CliContext, project_name: str, dataset: str | None, batch_size: int | None,
         recreate: bool, annotators: int | None, wait: bool, as_json: bool) -> None:
    """Send new and changed questions to the project's Argilla dataset (a job)."""
    project = obj.store.project(project_name)
    job = start_sync(obj.store, obj.settings, project, "push", dataset=dataset,
                     batch_size=batch_size, recreate=recreate, annotators=annotators)
    if not as_json:
        click.echo(f"Started Argilla push job {job.id} for {project.name}.", err=True)
    if wait:
        _follow(obj, job.id, as_json)
    click.echo(job.id)


@argilla.command()
@click.option("--project", "project_name", required=True)
@click.option("--wait", is_flag=True, help="Follow the job and exit with its outcome.")
@click.option("--json", "as_json", is_flag=True, help="With --wait: print the result as JSON.")
@pass_cli
@command_errors
def pull(obj: CliContext, project_name: str, wait: bool, as_json: bool) -> None:
    """Turn submitted and discarded Argilla responses into reviews (a job)."""
    project = obj.store.project(project_name)
    job = start_sync(obj.store, obj.settings, project, "pull")
    if not as_json:
        click.echo(f"Started Argilla pull job {job.id} for {project.name}.", err=True)
    if wait:
        _follow(obj, job.id, as_json)
    click.echo(job.id)
