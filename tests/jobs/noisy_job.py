"""A job kind that makes the library noise real jobs make, for the job-log filter's test.

It does not ship: tests/jobs/conftest.py names it in WORKBENCH_JOB_KINDS."""

from __future__ import annotations

import logging
from typing import Annotated

from workbench.jobs.context import JobContext


def run_noisy_job(ctx: JobContext) -> None:
    """Our lines between real library output: a pydantic warning, nltk failing to download
    offline, a tqdm bar, a library's error log line; then an unexpected exception."""
    ctx.log("our first line")
    from pydantic import BaseModel, Field

    class Noisy(BaseModel):  # pydantic warns: Field(default=...) inside a union member
        x: Annotated[int, Field(default=None)] | None = None

    import nltk

    nltk.download("punkt", download_dir=str(ctx.settings.home / "nltk"))  # offline: an error
    from tqdm import tqdm

    for _ in tqdm(range(40), desc="Converting tensors", mininterval=0):
        pass
    ctx.log("our second line")
    logging.getLogger("some_library").error("the library failed: disk full")
    raise RuntimeError("a bug in the job")
