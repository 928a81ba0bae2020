"""Starting, cancelling, resuming and supervising job processes. No heavy imports here:
the TUI calls these."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from store import Store
from store.records import Job
from workbench.errors import InvalidInput
from workbench.jobs.kinds import JOB_KINDS
from workbench.settings import Settings


def _spawn(settings: Settings, job: Job) -> int:
    settings.jobs_dir.mkdir(parents=True, exist_ok=True)
    log_path = job.log_path or str(settings.jobs_dir / f"job-{job.id}.log")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench.jobs.runner", "--store", str(settings.store_path),
             str(job.id)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    return proc.pid


def start_job(
    store: Store, settings: Settings, kind: str, params: dict[str, Any],
    project_id: int | None = None,
) -> Job:
    """Record a job and start its detached process; returns the queued job."""
    if kind not in JOB_KINDS:
        raise InvalidInput(f"Unknown job kind '{kind}'.")
    settings.jobs_dir.mkdir(parents=True, exist_ok=True)
    job = store.create_job(kind, params, project_id)
    job = store.update_job(job.id, log_path=str(settings.jobs_dir / f"job-{job.id}.log"))
    pid = _spawn(settings, job)
    return store.update_job(job.id, pid=pid)


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this id exists (zombies of our own children count as dead)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
