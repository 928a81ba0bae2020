"""Where an evaluation job stands, model by task, for the Jobs and Evaluate screens and
``eval run --wait``: waiting, loading, scoring n/N, done, failed or interrupted. Reads the
store only (no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass

from store import Store
from store.records import EvalRun, Job
from workbench.evaluation.plan import EvalRequest


@dataclass(frozen=True)
class RunStatus:
    model: str
    task: str
    run: EvalRun | None  # None: the job has not reached this model yet

    @property
    def state(self) -> str:
        return "waiting" if self.run is None else self.run.progress

    def line(self) -> str:
        return f"{self.model} / {self.task}: {self.state}"


def job_run_status(store: Store, job: Job) -> list[RunStatus]:
    """Every model x task an 'eval' job was asked for, with its latest run (if any)."""
    if job.kind != "eval":
        return []
    request = EvalRequest.from_params(job.params)
    runs: dict[tuple[str, str], EvalRun] = {}
    for run in store.job_eval_runs(job.id):
        runs[(run.model_name, run.task)] = run  # oldest first: the latest wins
    return [RunStatus(m, spec.task, runs.get((m, spec.task)))
            for m in request.models for spec in request.tasks()]
