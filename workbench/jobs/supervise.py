"""Keeping the store's view of jobs true: dead processes become 'interrupted'; waiting for a
job from the CLI; reading a job's log. No heavy imports: the TUI calls these every second."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from store import Store
from store.records import Job
from workbench.jobs.log_filter import debug_log_path
from workbench.jobs.process import pid_alive
from workbench.settings import Settings

# Exit codes of `generate --wait` / `jobs resume --wait`: the job's outcome.
EXIT_CODES = {"done": 0, "failed": 1, "cancelled": 3, "interrupted": 4}


def _age_seconds(stamp: str | None) -> float | None:
    if not stamp:
        return None
    return (datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()


def supervise_jobs(store: Store, settings: Settings) -> list[Job]:
    """Mark active jobs whose process died (kill -9, crash, reboot) as interrupted.

    A job is dead when its heartbeat is older than ``settings.stale_after_seconds``, or when
    its process no longer exists on this machine (checked only once the job had time to
    start). Returns the jobs this call marked.
    """
    marked: list[Job] = []
    for job in store.active_jobs():
        heartbeat_age = _age_seconds(job.heartbeat_at or job.created_at)
        stale = heartbeat_age is not None and heartbeat_age > settings.stale_after_seconds
        dead = job.pid is not None and not pid_alive(job.pid)
        if not (stale or dead):
            continue
        why = "its process is gone" if dead else "its heartbeat stopped"
        if store.finish_active_job(
            job.id, "interrupted", f"The job stopped unexpectedly ({why}).",
            f"Committed items are kept; continue with 'workbench jobs resume {job.id}'.",
        ):
            marked.append(store.job(job.id))
    return marked


def wait_for_job(
    store: Store, settings: Settings, job_id: int,
    report: Callable[[Job], None] | None = None, poll_seconds: float = 1.0,
) -> Job:
    """Block until the job reaches a terminal state, calling ``report`` when its progress
    changes. Supervises while waiting, so a job killed meanwhile ends as interrupted."""
    last: tuple[int, int, str, str] | None = None
    while True:
        supervise_jobs(store, settings)
        job = store.job(job_id)
        now = (job.progress_done, job.progress_total, job.state, job.message)
        if report is not None and now != last:
            report(job)
            last = now
        if not job.active:
            return job
        time.sleep(poll_seconds)


def tail_log(job: Job, lines: int = 200, debug: bool = False) -> list[str]:
    """The last ``lines`` lines of the job's log file (empty if it has none yet); with
    ``debug``, of the library output beside it (``workbench.jobs.log_filter``)."""
    if not job.log_path:
        return []
    path = debug_log_path(job.log_path) if debug else Path(job.log_path)
    if not path.is_file():
        return []
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        block = min(size, max(4096, lines * 200))
        f.seek(size - block)
        data = f.read().decode("utf-8", errors="replace")
    return data.splitlines()[-lines:]


def format_progress(job: Job) -> str:
    """'12/40 (30%) 0.8/s ETA 35s' for lists and the CLI."""
    if job.progress_total <= 0:
        return f"{job.progress_done}" if job.progress_done else "-"
    pct = 100 * job.progress_done / job.progress_total
    text = f"{job.progress_done}/{job.progress_total} ({pct:.0f}%)"
    if job.rate and job.active:
        text += f" {job.rate:.2f}/s"
        eta = job.eta_seconds
        if eta is not None:
            text += f" ETA {format_duration(eta)}"
    return text


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
