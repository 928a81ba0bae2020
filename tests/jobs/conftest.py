"""Helpers for tests of the job machinery."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from store import Store
from store.records import Job


def poll_job(store: Store, job_id: int, until: Callable[[Job], bool], limit: float = 120.0) -> Job:
    """Re-read the job until ``until(job)`` holds; fail (not hang) after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while True:
        job = store.job(job_id)
        if until(job):
            return job
        if time.monotonic() > deadline:
            pytest.fail(f"job {job_id} never reached the expected state; last: {job}")
        time.sleep(0.1)


@pytest.fixture
def poll() -> Callable[..., Job]:
    """``poll(store, job_id, until)``: re-read a job until a condition holds."""
    return poll_job
