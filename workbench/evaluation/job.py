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

from store.records import EvalRun, Model
from workbench.backends.base import ModelBackend
from workbench.backends.registry import backend_for, scorable_formulations
from workbench.errors import WorkbenchError
from workbench.evaluation.errors import TaskUnavailable
from workbench.evaluation.offline import SKIPPED_MODULES
from workbench.evaluation.plan import EvalRequest, TaskSpec, config_hash, run_settings
from workbench.jobs.context import JobContext
from workbench.snapshots import TASK_FILE_NAME, write_export


def answers_cache(ctx: JobContext) -> Path:
    """Where a served model keeps the answers of this job's requests, across its attempts
    (kept when the job stops early, so that its resume sends nothing twice)."""
    return ctx.settings.jobs_dir / f"job-{ctx.job.id}-answers.sqlite"


def _fail_leftovers(ctx: JobContext, project_id: int) -> None:
    """Runs an interrupted attempt of this job left 'running' are failed, not resumed."""
    for run in ctx.store.eval_runs(project_id, state="running"):
        if run.job_id == ctx.job.id:
            ctx.store.fail_eval_run(run.id, "Interrupted; the resumed job ran it again.")


def _export_task(ctx: JobContext, snapshot_id: str, workdir: Path) -> Path:
    folder = workdir / "dataset"
    shutil.rmtree(folder, ignore_errors=True)
    write_export(ctx.store, ctx.store.snapshot(snapshot_id), folder)
    return folder / TASK_FILE_NAME


def _record(run: EvalRun, state: str, reused: bool = False, error: str | None = None) -> dict[str, Any]:
    return {"run_id": run.id, "model": run.model_name, "task": run.task, "state": state,
            "reused": reused, "error": error, "scores": {k: s.value for k, s in run.scores.items()}}


class _Progress:
    def __init__(self, ctx: JobContext, total: int) -> None:
        self.ctx, self.total, self.done = ctx, total, 0

    def step(self, message: str, count: int = 0) -> None:
        self.done += count
        self.ctx.log(message)
        self.ctx.progress(self.done, self.total, message)


def run_eval_job(ctx: JobContext) -> dict[str, Any]:
    request = EvalRequest.from_params(ctx.params)
    store = ctx.store
    project = store.project_by_id(request.project_id)
    _fail_leftovers(ctx, project.id)
    specs = request.tasks()
    workdir = ctx.settings.jobs_dir / f"job-{ctx.job.id}"
    workdir.mkdir(parents=True, exist_ok=True)
    progress = _Progress(ctx, len(specs) * len(request.models))
    progress.step(f"{len(request.models)} model(s) x {len(specs)} task(s)")
    custom_tasks = _export_task(ctx, request.snapshot_id, workdir) if request.snapshot_id else None
    from workbench.evaluation.runner import environment

    env = environment()
    summary: list[dict[str, Any]] = []
    try:
        for name in request.models:
            summary += _run_one_model(ctx, store.model(name), specs, request, custom_tasks,
                                      workdir, env, progress)
    except BaseException as exc:  # cancelled or crashed: no run of this job stays 'running'
        why = exc.title if isinstance(exc, WorkbenchError) else f"{type(exc).__name__}: {exc}"
        for run in store.eval_runs(project.id, state="running"):
            if run.job_id == ctx.job.id:
                store.fail_eval_run(run.id, f"Stopped before it finished: {why}")
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if all(r["state"] == "done" for r in summary):
        answers_cache(ctx).unlink(missing_ok=True)  # nothing left for a resume to reuse
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
        run = ctx.store.create_eval_run(
            request.project_id, model.name, spec.task, settings,
            config_hash(request.project_id, spec, model, "", settings), model.id,
            spec.snapshot_id, ctx.job.id)
        ctx.store.fail_eval_run(run.id, str(error))
        out.append(_record(run, "failed", error=str(error)))
    if specs:
        progress.step(f"{model.name}: {error.title}", len(specs))
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
    if project_specs and not supported:  # the project task is scored by log-likelihood
        out += _fail_all(ctx, request, model, project_specs, TaskUnavailable(
            f"The project task is scored by log-likelihood, which the {backend.name} "
            f"backend of '{model.name}' cannot compute: {why}.",
            "Evaluate it on a model whose backend returns log-likelihoods (transformers, "
            "or vllm / a server with prompt log-probabilities)."), progress)
        specs = [s for s in specs if s.snapshot_id is None]
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
            progress.step(f"{model.name} / {spec.task}: identical run {previous.id} reused", 1)
            continue
        run = store.create_eval_run(request.project_id, model.name, spec.task, settings, digest,
                                    model.id, spec.snapshot_id, ctx.job.id)
        pending.append((spec, run))
    if not pending:
        return out

    from workbench.evaluation.runner import run_model

    progress.step(f"{model.name}: running {len(pending)} task(s) with lighteval")
    started = time.perf_counter()
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", model.name)
    result = run_model(backend, [s for s, _ in pending], options, chat_template, custom_tasks,
                       workdir / safe, ctx.log, request_cache=answers_cache(ctx))
    wall = time.perf_counter() - started
    for spec, run in pending:
        error = result.errors.get(spec.lighteval_spec)
        if error is not None:
            store.fail_eval_run(run.id, str(error))
            out.append(_record(store.eval_run(run.id), "failed", error=str(error)))
            progress.step(f"{model.name} / {spec.task}: failed: {error}", 1)
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
            "job_id": ctx.job.id,
        }
        done = store.complete_eval_run(run.id, task.scores, task.samples, repro)
        out.append(_record(done, "done"))
        acc = done.scores.get("acc")
        progress.step(f"{model.name} / {spec.task}: done"
                      + (f", acc {acc.value:.4f}" if acc else ""), 1)
    return out
