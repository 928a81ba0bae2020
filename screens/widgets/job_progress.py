"""A job's progress on a Textual ProgressBar, with the bar still when nothing runs."""

from __future__ import annotations

from textual.widgets import ProgressBar

from store.records import Job


def show_job_progress(bar: ProgressBar, job: Job | None) -> None:
    """Show ``job``'s progress on ``bar``; with no job, a still, empty bar.

    A bar with no total pulses at 15 frames a second, hidden or not (bench/idle_cpu.py
    found a hidden one keeping the Evaluate and Argilla screens at 0.4 % of a core with
    nothing running), so it has no total only while a job runs without one.
    """
    if job is not None and job.progress_total:
        bar.update(total=job.progress_total, progress=job.progress_done)
    elif job is not None and job.active:
        bar.update(total=None, progress=job.progress_done)
    else:  # no job, or a finished one that never knew its total
        bar.update(total=1, progress=1 if job is not None and job.state == "done" else 0)
