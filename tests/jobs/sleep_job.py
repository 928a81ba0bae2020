"""A trivial job kind for the tests of the job machinery itself (no model involved).

It does not ship: tests/jobs/conftest.py names it in WORKBENCH_JOB_KINDS."""

from __future__ import annotations

import os
import subprocess
import time

from workbench.jobs.context import JobContext


def run_sleep_job(ctx: JobContext) -> dict[str, int]:
    """Counts to ``steps`` with ``seconds`` between steps, resuming from committed progress.

    With ``child_seconds`` it first starts a child process (``sleep``) in its process group,
    so tests can check that cancelling a job stops its children too.
    """
    steps = int(ctx.params.get("steps", 10))
    seconds = float(ctx.params.get("seconds", 0.2))
    child_seconds = ctx.params.get("child_seconds")
    if child_seconds:
        child = subprocess.Popen(["sleep", str(child_seconds)])
        ctx.log(f"child pid {child.pid}")
    if ctx.job.needs_devices:
        ctx.log(f"devices {','.join(ctx.job.devices)} "
                f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '')}")
    done = ctx.store.job(ctx.job.id).progress_done
    ctx.log(f"starting at step {done}")
    while done < steps:
        time.sleep(seconds)
        done += 1
        ctx.progress(done, steps, f"step {done}/{steps}")
    return {"steps": steps}
