"""``workbench jobs``: list, show, logs, cancel, resume background jobs."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any, NoReturn

import click

from store.records import Job
from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli
from workbench.jobs.launch import cancel_and_wait, resume_job
from workbench.jobs.supervise import (
    EXIT_CODES,
    format_progress,
    supervise_jobs,
    tail_log,
    wait_for_job,
)


def job_dict(job: Job) -> dict[str, Any]:
    """A job as JSON-ready data (with its ETA)."""
    data = dataclasses.asdict(job)
    data["eta_seconds"] = job.eta_seconds
    return data


def echo_job_line(job: Job) -> None:
    """One progress line, as printed by ``--wait``."""
    message = f"  {job.message}" if job.message else ""
    click.echo(f"job {job.id} {job.state} {format_progress(job)}{message}")


def exit_with_outcome(job: Job, show_error: bool = True) -> NoReturn:
    """Print a finished job's error and hint on stderr, then exit with its state's code
    (0 done, 1 failed, 3 cancelled, 4 interrupted)."""
    if job.error and show_error:
        click.echo(f"Error: {job.error}", err=True)
        if job.hint:
            click.echo(f"  {job.hint}", err=True)
    sys.exit(EXIT_CODES.get(job.state, 1))


def wait_and_exit(obj: CliContext, job_id: int) -> None:
    """Follow a job's progress until it ends, then exit with its outcome's code."""
    exit_with_outcome(wait_for_job(obj.store, obj.settings, job_id, report=echo_job_line))


@click.group()
def jobs() -> None:
    """Background jobs: list, show, logs, cancel, resume."""


@jobs.command("list")
@click.option("--project", "project_name", default=None, help="Only this project's jobs.")
@click.option("--state", default=None, help="Only jobs in this state (running, done, ...).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_cli
@command_errors
def list_jobs(obj: CliContext, project_name: str | None, state: str | None,
              as_json: bool) -> None:
    """Jobs, newest first."""
    supervise_jobs(obj.store, obj.settings)
    project_id = obj.store.project(project_name).id if project_name else None
    found = obj.store.list_jobs(project_id, (state,) if state else None)
    if as_json:
        echo_json([job_dict(j) for j in found])
        return
    if not found:
        click.echo("No jobs.")
        return
    for j in found:
        click.echo(f"{j.id:>5}  {j.kind:<13} {j.state:<11} {format_progress(j):<28} "
                   f"{j.created_at[:19]}  {j.message}")


@jobs.command("show")
@click.argument("job_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_cli
@command_errors
def show(obj: CliContext, job_id: int, as_json: bool) -> None:
    """One job: state, progress, parameters, error and result."""
    supervise_jobs(obj.store, obj.settings)
    job = obj.store.job(job_id)
    if as_json:
        echo_json(job_dict(job))
        return
    rows = [
        ("id", job.id), ("kind", job.kind), ("state", job.state),
        ("progress", format_progress(job)), ("message", job.message),
        ("attempts", job.attempts), ("pid", job.pid), ("created", job.created_at),
        ("started", job.started_at), ("heartbeat", job.heartbeat_at),
        ("finished", job.finished_at), ("log", job.log_path),
        ("params", job.params), ("result", job.result or None),
        ("error", job.error), ("hint", job.hint),
    ]
    for key, value in rows:
        if value not in (None, ""):
            click.echo(f"{key:>10}: {value}")


@jobs.command("logs")
@click.argument("job_id", type=int)
@click.option("--tail", "lines", type=int, default=200, show_default=True,
              help="How many of the last lines to print.")
@click.option("--debug", is_flag=True,
              help="The library output kept beside the log instead (warnings, progress bars).")
@pass_cli
@command_errors
def logs(obj: CliContext, job_id: int, lines: int, debug: bool) -> None:
    """The end of a job's log file: our lines and errors (library output: --debug)."""
    job = obj.store.job(job_id)
    for line in tail_log(job, lines, debug=debug):
        click.echo(line)


@jobs.command("cancel")
@click.argument("job_id", type=int)
@click.option("--grace", type=float, default=30.0, show_default=True,
              help="Seconds to let the job stop cleanly before it is killed.")
@pass_cli
@command_errors
def cancel(obj: CliContext, job_id: int, grace: float) -> None:
    """Stop a job; its committed items are kept and it can be resumed."""
    supervise_jobs(obj.store, obj.settings)
    job = cancel_and_wait(obj.store, obj.settings, job_id, grace)
    click.echo(f"job {job.id} {job.state} at {format_progress(job)}")


@jobs.command("resume")
@click.argument("job_id", type=int)
@click.option("--wait", is_flag=True, help="Show progress and exit with the job's outcome.")
@pass_cli
@command_errors
def resume(obj: CliContext, job_id: int, wait: bool) -> None:
    """Continue an interrupted, cancelled or failed job from its last committed item."""
    job = resume_job(obj.store, obj.settings, job_id)
    click.echo(f"job {job.id} resumed")
    if wait:
        wait_and_exit(obj, job.id)
