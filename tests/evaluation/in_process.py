"""Evaluation jobs run in the test's own process: what ``start_evaluation`` does (the same
checks, the same job record), with the job run by ``run_job`` here instead of a child, so a
test can inspect the store and the servers it talks to while it runs."""

from __future__ import annotations

from typing import Any

from store import Store
from store.records import EvalRun, Job, Project
from workbench.evaluation.plan import RunOptions, check_models, check_request
from workbench.jobs.runner import run_job
from workbench.settings import load_settings


def eval_in_process(store: Store, project: Project, models: list[str],
                    options: RunOptions) -> Job:
    """Check, create and run one 'eval' job on the latest snapshot; the job as it ended."""
    settings = load_settings()
    request = check_request(store, project, models, "latest", [], options)
    slots = check_models(settings, [store.model(m) for m in models], options, scored=True)
    job = store.create_job("eval", request.to_params(), project.id, needs_devices=slots)
    run_job(str(settings.store_path), job.id)
    return store.job(job.id)


def only_run(store: Store, project: Project, job: Job, task: str) -> EvalRun:
    """The job's one run, which must be ``task`` and done."""
    runs: list[Any] = [r for r in store.eval_runs(project.id) if r.job_id == job.id]
    assert len(runs) == 1, [(r.task, r.state) for r in runs]
    [run] = runs
    assert (run.task, run.state) == (task, "done"), run.error
    return run


def generative_run(store: Store, project: Project, job: Job) -> EvalRun:
    """The job's one run, the generative formulation's, done."""
    return only_run(store, project, job, "project:generative")
