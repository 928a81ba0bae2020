"""A trivial job kind used by tests of the job machinery itself (no model involved)."""

from __future__ import annotations

import time

from workbench.jobs.context import JobContext


def run_sleep_job(ctx: JobContext) -> dict[str, int]:
    """Counts to ``steps`` with ``seconds`` between steps, resuming from committed progress."""
    steps = int(ctx.params.get("steps", 10))
    seconds = float(ctx.params.get("seconds", 0.2))
    done = ctx.store.job(ctx.job.id).progress_done
    while done < steps:
        time.sleep(seconds)
        done += 1
        ctx.progress(done, steps, f"step {done}/{steps}")
    return {"steps": steps}
