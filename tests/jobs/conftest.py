"""The job machinery's tests run kinds that do not ship with workbench: a trivial 'sleep'
and a 'noisy' one (the job-log filter)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def sleep_job_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """Name the kind for this process and the job processes it starts (they inherit the
    environment; PYTHONPATH lets them import ``sleep_job``)."""
    monkeypatch.setenv("WORKBENCH_JOB_KINDS",
                       "sleep=sleep_job:run_sleep_job,noisy=noisy_job:run_noisy_job")
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(HERE), path) if p))
