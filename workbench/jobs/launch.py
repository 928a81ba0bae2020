"""Starting, cancelling and resuming job processes. No heavy imports here: the TUI calls these.

A job process is ``python -m workbench.jobs.runner`` started in its own session (so it is the
leader of its own process group): closing the terminal, the SSH connection or the TUI does
not reach it, and cancel can signal the whole group, children included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from store import Store
from store.records import Job
from workbench.errors import InvalidInput
from workbench.jobs.kinds import job_kinds
from workbench.jobs.process import pid_alive, signal_group, wait_gone
from workbench.jobs.supervise import supervise_jobs
from workbench.settings import Settings

# The repository root, so ``-m workbench.jobs.runner`` imports this checkout even when the
# caller's working directory is elsewhere.
_ROOT = Path(__file__).resolve().parent.parent.parent


def _spawn(settings: Settings, job: Job) -> int:
    settings.jobs_dir.mkdir(parents=True, exist_ok=True)
    log_path = job.log_path or str(settings.jobs_dir / f"job-{job.id}.log")
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)  # e.g. removed since
    python_path = os.pathsep.join(p for p in (str(_ROOT), os.environ.get("PYTHONPATH")) if p)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench.jobs.runner", "--store", str(settings.store_path),
             str(job.id)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": python_path},
        )
    return proc.pid


def start_job(
    store: Store, settings: Settings, kind: str, params: dict[str, Any],
    project_id: int | None = None, needs_devices: int = 0,
) -> Job:
    """Record a job and start its detached process; returns the queued job. A job with
    ``needs_devices`` > 0 waits in the device queue (``workbench.jobs.devices``) first."""
    if kind not in job_kinds(settings):
        raise InvalidInput(f"Unknown job kind '{kind}'.")
    settings.jobs_dir.mkdir(parents=True, exist_ok=True)
    job = store.create_job(kind, params, project_id, needs_devices=needs_devices)
    job = store.update_job(job.id, log_path=str(settings.jobs_dir / f"job-{job.id}.log"))
    pid = _spawn(settings, job)
    return store.update_job(job.id, pid=pid)


def resume_job(store: Store, settings: Settings, job_id: int) -> Job:
    """Start a stopped job again (same id, same parameters). The job function skips the
    items it already committed, so nothing is done twice.

    Raises InvalidInput when the job is still active or already done.
    """
    supervise_jobs(store, settings)  # a dead 'running' job becomes 'interrupted' first
    job = store.job(job_id)
    requeued = store.requeue_job(job_id)
    if requeued is None:
        if job.active:
            raise InvalidInput(f"Job {job_id} is {job.state}; only a stopped job can resume.",
                               f"Cancel it first with 'workbench jobs cancel {job_id}'.")
        raise InvalidInput(f"Job {job_id} is {job.state}; there is nothing to resume.")
    with open(requeued.log_path or settings.jobs_dir / f"job-{job_id}.log", "a") as log:
        log.write(f"--- resume requested (attempt {requeued.attempts + 1}) ---\n")
    pid = _spawn(settings, requeued)
    return store.update_job(job_id, pid=pid)


def cancel_job(store: Store, settings: Settings, job_id: int, force: bool = False) -> Job:
    """Ask a job to stop: SIGTERM to its process group; the job finishes the item in hand,
    keeps what it committed and marks itself cancelled. ``force`` kills the group at once
    (SIGKILL) and marks the job cancelled here. A job whose process is gone is marked
    cancelled directly. Raises InvalidInput when the job already finished."""
    job = store.job(job_id)
    if not job.active:
        raise InvalidInput(f"Job {job_id} is already {job.state}.")
    hint = f"Resume with 'workbench jobs resume {job_id}'."
    # A queued job has not started its work: cancel it in the store, and its process (if
    # it is still starting) finds it cancelled and exits without running.
    if store.finish_active_job(job_id, "cancelled", "Cancelled before it started.", hint,
                               from_states=("queued",)):
        signal_group(job.pid, signal.SIGTERM)
        return store.job(job_id)
    if not pid_alive(job.pid):
        store.finish_active_job(job_id, "cancelled", "Cancelled by the user.", hint)
        return store.job(job_id)
    signal_group(job.pid, signal.SIGKILL if force else signal.SIGTERM)
    if force:
        wait_gone(job.pid, 5.0)
        store.finish_active_job(job_id, "cancelled", "Cancelled by the user (killed).", hint)
    return store.job(job_id)


def cancel_and_wait(store: Store, settings: Settings, job_id: int, grace_seconds: float) -> Job:
    """Cancel cleanly and wait up to ``grace_seconds`` for the job to stop; then kill it."""
    job = cancel_job(store, settings, job_id)
    deadline = time.monotonic() + grace_seconds
    while job.active and time.monotonic() < deadline:
        time.sleep(0.2)
        job = store.job(job_id)
    if job.active:
        job = cancel_job(store, settings, job_id, force=True)
    return job
