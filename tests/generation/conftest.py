"""A project holding the demo corpus, and the bundled models registered."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from store import Store
from store.records import Job, Project
from workbench.bundled_model import register_bundled_models
from workbench.demo import corpus_dir
from workbench.docs import import_paths
from workbench.settings import Settings


@pytest.fixture
def corpus_project(store: Store, settings: Settings, project: Project) -> Project:
    """The test project with the bundled demo documents imported, cut in short chunks (short
    prompts keep the model's work in tests small)."""
    small = replace(settings, chunk_size=400, chunk_overlap=40)
    report = import_paths(store, project.id, [corpus_dir()], small)
    assert report.imported, report.skipped
    register_bundled_models(store)
    return project


def _poll(store: Store, job_id: int, until: Callable[[Job], bool], limit: float = 300) -> Job:
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
    return _poll
