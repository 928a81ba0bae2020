"""The job process: ``python -m workbench.jobs.runner --store PATH JOB_ID``.

Claims the queued job (marks it running), keeps a heartbeat from a thread with its own connection, runs the
kind's function and records the outcome. SIGTERM (cancel) sets the context's cancel flag;
the job stops at its next progress call with committed items kept.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import traceback
from collections.abc import Callable
from typing import Any

from store import Store
from store.records import Job
from workbench.errors import WorkbenchError
from workbench.jobs.context import JobCancelled, JobContext
from workbench.jobs.kinds import job_kinds
from workbench.jobs.log_filter import install as install_log_filter
from workbench.lazy_import import import_target
from workbench.settings import Settings, load_settings


def _resolve(kind: str, settings: Settings) -> Callable[[JobContext], Any]:
    target = job_kinds(settings).get(kind)
    if target is None:
        raise WorkbenchError(f"Unknown job kind '{kind}'.")
    fn: Callable[[JobContext], Any] = import_target(target)
    return fn


def _heartbeat_loop(store_path: str, job_id: int, every: float, stop: threading.Event) -> None:
    store = Store(store_path)
    try:
        while not stop.wait(every):
            store.heartbeat(job_id)
    finally:
        store.close()


def _claim(store: Store, settings: Settings, job_id: int) -> Job | None:
    """Take the job; one that needs accelerator slots first waits for them in the queue."""
    if store.job(job_id).needs_devices <= 0:
        return store.claim_job(job_id, os.getpid())
    from workbench.jobs.devices import device_env, wait_for_slots
    from workbench.jobs.supervise import supervise_jobs

    print(f"job {job_id} waits for its device slots", flush=True)
    job = wait_for_slots(store, settings, job_id, os.getpid(),
                         lambda: supervise_jobs(store, settings))
    if job is not None:
        # Before anything imports torch: the job sees only the GPUs it holds.
        os.environ.update(device_env(job.devices))
        print(f"job {job_id} holds {', '.join(job.devices)}", flush=True)
    return job


def run_job(store_path: str, job_id: int) -> int:
    """Run one job to its end; returns the process exit code."""
    settings = load_settings(store_path=store_path)
    store = Store(settings.store_path)
    log_path = store.job(job_id).log_path
    if log_path:  # library chatter to job-N.debug.log, before any library is imported
        install_log_filter(log_path)
    job = _claim(store, settings, job_id)
    if job is None:  # cancelled (or started by someone else) before this process got here
        print(f"job {job_id} is {store.job(job_id).state}; nothing to run", flush=True)
        return 0
    ctx = JobContext(store, job, settings)
    signal.signal(signal.SIGTERM, lambda *_: ctx.cancel_event.set())
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the terminal closing is not a cancel
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat_loop,
        args=(str(settings.store_path), job_id, settings.heartbeat_seconds, stop),
        daemon=True,
    )
    beat.start()
    ctx.log(f"job {job_id} ({job.kind}) started, pid {os.getpid()}, attempt {job.attempts}")
    try:
        result = _resolve(job.kind, settings)(ctx)
    except JobCancelled:
        ctx.log("cancelled; committed items are kept")
        store.finish_job(job_id, "cancelled", error="Cancelled by the user.",
                         hint=f"Resume with 'workbench jobs resume {job_id}'.")
        return 3
    except WorkbenchError as exc:
        ctx.log(f"failed: {exc}")
        store.finish_job(job_id, "failed", error=exc.title, hint=exc.hint or None)
        return 1
    except Exception as exc:  # an unexpected bug: keep the traceback in the log
        traceback.print_exc()
        store.finish_job(
            job_id, "failed", error=f"Unexpected error: {type(exc).__name__}: {exc}",
            hint=f"See the log with 'workbench jobs logs {job_id}'.",
        )
        return 1
    finally:
        stop.set()
    store.finish_job(job_id, "done", result=result if isinstance(result, dict) else {})
    ctx.log("done")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workbench.jobs.runner")
    parser.add_argument("--store", required=True)
    parser.add_argument("job_id", type=int)
    args = parser.parse_args(argv)
    return run_job(args.store, args.job_id)


if __name__ == "__main__":
    raise SystemExit(main())
