"""Job kind 'eval': every requested task on every requested model, one run each.

For each model: make it usable, take its weights' hash, decide per task whether an
identical finished run exists (then it is reused, unless forced), run the rest through
lighteval in one pipeline, and store each task's scores, per-sample results and
reproducibility record in one transaction. A task or model that cannot run fails alone.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from store.jobs import run_stopped_message
from store.records import EvalRun, Model
from workbench.backends.base import ModelBackend
from workbench.backends.registry import backend_for, scorable_formulations
from workbench.errors import WorkbenchError
from workbench.evaluation.errors import TaskUnavailable
from workbench.evaluation.offline import SKIPPED_MODULES
from workbench.evaluation.plan import EvalRequest, TaskSpec, config_hash, run_settings
from workbench.jobs.context import JobCancelled, JobContext
from workbench.snapshots import TASK_FILE_NAME, write_export


def answers_cache(ctx: JobContext) -> Path:
    """Where a served model keeps the answers of this job's requests, across its attempts
    (kept when the job stops early, so that its resume sends nothing twice)."""
    return ctx.settings.jobs_dir / f"job-{ctx.job.id}-answers.sqlite"


def chunk_cache(ctx: JobContext) -> Path:
    """Where the job keeps the answers of the request chunks it scored, across its attempts
    (workbench.evaluation.request_tap): a resume scores none of them again."""
    return ctx.settings.jobs_dir / f"job-{ctx.job.id}-chunks.sqlite"


def _interrupt_leftovers(ctx: JobContext) -> None:
    """Runs an earlier attempt of this job left 'running' are interrupted; this attempt
    continues them (``continue_eval_run``) with what that attempt scored."""
    ctx.store.interrupt_eval_runs(
        ctx.job.id, run_stopped_message(ctx.job.id, "The job stopped before it finished."))


def _fail_uncontinued(ctx: JobContext) -> None:
    """Interrupted runs of this job that this attempt did not continue end as failed."""
    for run in ctx.store.job_eval_runs(ctx.job.id):
        if run.state == "interrupted":
            ctx.store.fail_eval_run(run.id, "Interrupted, and its resumed job did not run it.")


def _export_task(ctx: JobContext, snapshot_id: str, workdir: Path) -> Path:
    folder = workdir / "dataset"
    shutil.rmtree(folder, ignore_errors=True)
    write_export(ctx.store, ctx.store.snapshot(snapshot_id), folder)
    return folder / TASK_FILE_NAME


def _record(run: EvalRun, state: str, reused: bool = False, error: str | None = None) -> dict[str, Any]:
    return {"run_id": run.id, "model": run.model_name, "task": run.task, "state": state,
            "reused": reused, "error": error, "scores": {k: s.value for k, s in run.scores.items()}}


class _Progress:
    """The job's progress in scored requests over all its models and tasks (ctx.progress adds
    rate and ETA), and each run's phase and count in the store.

    A model's request counts are known once lighteval has built its pipeline; until then a
    model that has not started counts what the first one had on the same tasks. Reused and
    failed runs leave the count; a finished run stays in it, fully scored.
    """

    def __init__(self, ctx: JobContext, models: list[str], specs: list[TaskSpec]) -> None:
        self.ctx = ctx
        self.todo = {(m, s.lighteval_spec) for m in models for s in specs}
        self.requests: dict[str, int] = {}  # lighteval spec -> requests per model
        self.scored: dict[tuple[str, str], int] = {}
        self.model = ""
        self.runs: dict[str, int] = {}  # lighteval spec -> run id, for the model now scoring

    @property
    def total(self) -> int:
        return sum(self.requests.get(spec, 0) for _, spec in self.todo)

    @property
    def done(self) -> int:
        return sum(self.scored.get(pair, 0) for pair in self.todo)

    def step(self, message: str) -> None:
        self.ctx.log(message)
        self.ctx.progress(self.done, self.total, message)

    def drop(self, model: str, spec: TaskSpec, message: str) -> None:
        """A run that will not be scored here (reused, or failed before scoring)."""
        self.todo.discard((model, spec.lighteval_spec))
        self.step(message)

    def loading(self, model: str, runs: dict[str, EvalRun]) -> None:
        self.model = model
        self.runs = {spec: run.id for spec, run in runs.items()}
        self.ctx.store.set_eval_progress({rid: ("loading", 0, None) for rid in self.runs.values()})
        self.step(f"{model}: loading the model for {len(runs)} task(s)")

    def plan(self, totals: dict[str, int]) -> None:
        """lighteval built the pipeline: each task's request count."""
        self.requests.update(totals)
        self.ctx.store.set_eval_progress(
            {rid: ("scoring", 0, totals.get(spec)) for spec, rid in self.runs.items()})
        self.step(f"{self.model}: scoring {sum(totals.values())} requests")

    def scored_now(self, counts: dict[str, int]) -> None:
        """After each chunk: requests scored so far per task of the model now scoring."""
        for spec, n in counts.items():
            self.scored[(self.model, spec)] = n
        self.ctx.store.set_eval_progress(
            {rid: ("scoring", counts.get(spec, 0), None) for spec, rid in self.runs.items()})
        mine = sum(counts.values())
        planned = sum(self.requests.get(spec, 0) for spec in self.runs)
        self.ctx.progress(self.done, self.total,
                          f"{self.model}: scored {mine}/{planned} requests")

    def finished(self, model: str, spec: TaskSpec, message: str) -> None:
        self.scored[(model, spec.lighteval_spec)] = self.requests.get(spec.lighteval_spec, 0)
        self.step(message)


def run_eval_job(ctx: JobContext) -> dict[str, Any]:
    request = EvalRequest.from_params(ctx.params)
    store = ctx.store
    project = store.project_by_id(request.project_id)
    _interrupt_leftovers(ctx)
    specs = request.tasks()
    workdir = ctx.settings.jobs_dir / f"job-{ctx.job.id}"
    workdir.mkdir(parents=True, exist_ok=True)
    progress = _Progress(ctx, request.models, specs)
    progress.step(f"{len(request.models)} model(s) x {len(specs)} task(s)")
    custom_tasks = _export_task(ctx, request.snapshot_id, workdir) if request.snapshot_id else None
    from workbench.evaluation.runner import environment

    env = environment()
    summary: list[dict[str, Any]] = []
    try:
        for name in request.models:
            summary += _run_one_model(ctx, store.model(name), specs, request, custom_tasks,
                                      workdir, env, progress)
    except JobCancelled:  # its runs wait, interrupted, for a resume (what was scored is kept)
        store.interrupt_eval_runs(ctx.job.id, run_stopped_message(ctx.job.id, "Cancelled."))
        raise
    except BaseException as exc:  # crashed: no run of this job stays 'running'
        why = exc.title if isinstance(exc, WorkbenchError) else f"{type(exc).__name__}: {exc}"
        for run in store.job_eval_runs(ctx.job.id):
            if run.state == "running":
                store.fail_eval_run(run.id, f"Stopped before it finished: {why}")
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _fail_uncontinued(ctx)
    if all(r["state"] == "done" for r in summary):
        for cache in (answers_cache(ctx), chunk_cache(ctx)):  # nothing left for a resume
            cache.unlink(missing_ok=True)
    if summary and all(r["state"] == "failed" for r in summary):
        first = summary[0]["error"] or "every run failed"
        raise WorkbenchError(f"No run succeeded: {first}",
                             f"See 'workbench eval list --project {project.name}'.")
    return {"runs": summary}


def _fail_all(ctx: JobContext, request: EvalRequest, model: Model, specs: list[TaskSpec],
              error: WorkbenchError, progress: _Progress) -> list[dict[str, Any]]:
    """Record a failed run for each task (the model or backend cannot run them)."""
    out = []
    for spec in specs:
        settings = run_settings(spec, model, request.options, bool(request.options.chat_template))
        digest = config_hash(request.project_id, spec, model, "", settings)
        run = ctx.store.continue_eval_run(ctx.job.id, digest) or ctx.store.create_eval_run(
            request.project_id, model.name, spec.task, settings, digest, model.id,
            spec.snapshot_id, ctx.job.id)
        ctx.store.fail_eval_run(run.id, str(error))
        out.append(_record(run, "failed", error=str(error)))
        progress.drop(model.name, spec, f"{model.name} / {spec.task}: {error.title}")
    return out


def _run_one_model(
    ctx: JobContext, model: Model, specs: list[TaskSpec], request: EvalRequest,
    custom_tasks: Path | None, workdir: Path, env: dict[str, Any], progress: _Progress,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    progress.step(f"{model.name}: preparing the model")
    backend: ModelBackend = backend_for(model, ctx.settings)
    project_specs = [s for s in specs if s.snapshot_id is not None]
    supported, why = scorable_formulations(model, ctx.settings) if project_specs else ((), "")
    refused = [s for s in project_specs if s.formulation not in supported]
    if refused:  # formulations this model cannot be scored on
        out += _fail_all(ctx, request, model, refused, TaskUnavailable(
            f"The {backend.name} backend of '{model.name}' cannot be scored on "
            f"{', '.join(str(s.formulation) for s in refused)}: "
            f"{why or 'it supports ' + ', '.join(supported)}.",
            "Evaluate it on a model whose backend returns log-likelihoods (transformers, "
            "or vllm / a server with prompt log-probabilities), or with --formulation "
            "generative."), progress)
        specs = [s for s in specs if s not in refused]
        if not specs:
            return out
    try:
        backend.check()
        backend.open(ctx.log, ctx.job.id)
    except WorkbenchError as exc:
        backend.close()
        return out + _fail_all(ctx, request, model, specs, exc, progress)
    try:
        return out + _score_model(ctx, backend, model, specs, request, custom_tasks, workdir,
                                  env, progress)
    finally:
        backend.close()


def _score_model(
    ctx: JobContext, backend: ModelBackend, model: Model, specs: list[TaskSpec],
    request: EvalRequest, custom_tasks: Path | None, workdir: Path, env: dict[str, Any],
    progress: _Progress,
) -> list[dict[str, Any]]:
    options = request.options
    out: list[dict[str, Any]] = []
    try:
        options = replace(options, dtype=options.dtype or backend.default_dtype())
        revision = backend.revision()
        chat_template = backend.chat_template_applied(options.chat_template)
    except WorkbenchError as exc:
        return out + _fail_all(ctx, request, model, specs, exc, progress)

    store = ctx.store
    pending: list[tuple[TaskSpec, EvalRun]] = []
    for spec in specs:
        settings = run_settings(spec, model, options, chat_template, backend.scorer())
        digest = config_hash(request.project_id, spec, model, revision, settings)
        previous = None if options.force else store.finished_run_with_config(digest)
        if previous is not None:
            out.append(_record(previous, "done", reused=True))
            progress.drop(model.name, spec,
                          f"{model.name} / {spec.task}: identical run {previous.id} reused")
            continue
        run = store.continue_eval_run(ctx.job.id, digest) or store.create_eval_run(
            request.project_id, model.name, spec.task, settings, digest, model.id,
            spec.snapshot_id, ctx.job.id)
        pending.append((spec, run))
    if not pending:
        return out

    from workbench.evaluation.request_tap import watch_pipeline
    from workbench.evaluation.runner import run_model

    progress.loading(model.name, {s.lighteval_spec: r for s, r in pending})
    identity = "|".join([model.name, *sorted(r.config_hash for _, r in pending)])

    def watch(pipeline: Any) -> Any:
        return watch_pipeline(pipeline, identity, chunk_cache(ctx), progress.plan,
                              progress.scored_now)

    started = time.perf_counter()
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", model.name)
    result = run_model(backend, [s for s, _ in pending], options, chat_template, custom_tasks,
                       workdir / safe, ctx.log, request_cache=answers_cache(ctx), watch=watch)
    wall = time.perf_counter() - started
    if result.reused_requests:
        ctx.log(f"{model.name}: {result.reused_requests} requests scored by an earlier attempt "
                "were reused")
    for spec, run in pending:
        error = result.errors.get(spec.lighteval_spec)
        if error is not None:
            store.fail_eval_run(run.id, str(error))
            out.append(_record(store.eval_run(run.id), "failed", error=str(error)))
            progress.drop(model.name, spec, f"{model.name} / {spec.task}: failed: {error}")
            continue
        task = result.results[spec.lighteval_spec]
        repro = {
            **env, **task.repro, "lighteval_shims": dict(SKIPPED_MODULES),
            "model": {"name": model.name, "backend": model.backend, "location": model.location,
                      "resolved_path": backend.location, "revision": revision,
                      "params": model.params, **result.model_info},
            "settings": run.settings, "seed": options.seed, "snapshot_id": spec.snapshot_id,
            "wall_time_s": {**result.timings, "model_total_s": wall,
                            "tasks_in_pipeline": len(pending)},
            "requests_reused_from_earlier_attempt": result.reused_requests,
            "job_id": ctx.job.id,
        }
        done = store.complete_eval_run(run.id, task.scores, task.samples, repro)
        out.append(_record(done, "done"))
        acc = done.scores.get("acc")
        progress.finished(model.name, spec, f"{model.name} / {spec.task}: done"
                          + (f", acc {acc.value:.4f}" if acc else ""))
    return out
