"""`workbench eval ...`: run lighteval evaluations as jobs, list and show their runs."""

from __future__ import annotations

from typing import Any

import click

from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli


@click.group("eval")
def eval_group() -> None:
    """Run and inspect lighteval evaluations."""


def run_dict(run: Any, samples: list[Any] | None = None,
             unparsed: int | None = None) -> dict[str, Any]:
    """A run as JSON: settings, scores with stderr, state, the repro record, and for a
    generative run the number of replies with no answer read from them (``unparsed``)."""
    data = {
        "id": run.id, "project_id": run.project_id, "job_id": run.job_id,
        "model": run.model_name, "task": run.task, "snapshot_id": run.snapshot_id,
        "state": run.state, "progress": run.progress, "scored": run.scored,
        "samples": run.samples, "error": run.error, "settings": run.settings,
        "config_hash": run.config_hash, "created_at": run.created_at,
        "finished_at": run.finished_at,
        "scores": {k: {"value": s.value, "stderr": s.stderr} for k, s in run.scores.items()},
        "repro": run.repro,
        "unparsed": unparsed,
    }
    if samples is not None:
        data["samples"] = [s.__dict__ for s in samples]
    return data


def _score(run: Any, metric: str) -> str:
    s = run.scores.get(metric)
    if s is None:
        return "-"
    return f"{s.value:.4f}" + (f"±{s.stderr:.4f}" if s.stderr is not None else "")


def _settings_line(settings: dict[str, Any], unparsed: int | None = None) -> str:
    parts = [f"{settings.get('fewshot', 0)}-shot"]
    if settings.get("formulation") == "generative":
        parts.append("generative" + ("" if unparsed is None else f" ({unparsed} unparsed)"))
    parts.append("chat" if settings.get("override_chat_template") else "plain")
    if settings.get("limit"):
        parts.append(f"limit {settings['limit']}")
    parts.append(str(settings.get("dtype", "")))
    return " ".join(p for p in parts if p)


def echo_runs(runs: list[Any], unparsed: dict[int, int] | None = None) -> None:
    unparsed = unparsed or {}
    click.echo(f"{'RUN':>4} {'MODEL':20} {'TASK':18} {'STATE':15} {'ACC':>15} {'ACC_NORM':>15}  "
               "SETTINGS")
    for r in runs:
        click.echo(f"{r.id:4} {r.model_name[:20]:20} {r.task[:18]:18} {r.progress:15} "
                   f"{_score(r, 'acc'):>15} {_score(r, 'acc_norm'):>15}  "
                   f"{_settings_line(r.settings, unparsed.get(r.id))}")
        if r.error:
            click.echo(f"     error: {r.error}")


@eval_group.command("run")
@click.option("--project", "project_name", required=True)
@click.option("--model", "models", multiple=True, required=True,
              help="A registered model (repeatable).")
@click.option("--task", "tasks", multiple=True,
              help="A built-in lighteval task, NAME or NAME|FEWSHOT (repeatable).")
@click.option("--snapshot", default=None,
              help="Snapshot id or 'latest' (default: the latest, unless only --task is given).")
@click.option("--formulation", type=click.Choice(["mcf", "cloze", "both", "generative"]),
              default="both",
              show_default=True, help="How the project task asks its questions.")
@click.option("--reasoning", is_flag=True,
              help="Generative formulation: the model thinks step by step first (up to 512 "
                   "tokens), then answers; a task of its own (project:generative-reasoning).")
@click.option("--fewshot", type=int, default=0, show_default=True)
@click.option("--limit", type=int, default=None, help="Evaluate at most N questions per task.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seeds torch/numpy/random in the job (sampling, vLLM); recorded. lighteval "
                   "picks --limit subsets and few-shot examples with its own fixed seeds.")
@click.option("--chat-template/--no-chat-template", "chat_template", default=None,
              help="Wrap prompts in the model's chat template (default: as lighteval does, "
                   "on when the tokenizer has one). Recorded with every score.")
@click.option("--system-prompt", default=None)
@click.option("--dtype", type=click.Choice(["float32", "bfloat16", "float16"]),
              default="float32", show_default=True)
@click.option("--batch-size", type=int, default=8, show_default=True)
@click.option("--force", is_flag=True, help="Recompute even if an identical run exists.")
@click.option("--wait", is_flag=True, help="Follow progress, then print the results.")
@click.option("--json", "as_json", is_flag=True)
@pass_cli
@command_errors
def run(obj: CliContext, project_name: str, models: tuple[str, ...], tasks: tuple[str, ...],
        snapshot: str | None, formulation: str, reasoning: bool, fewshot: int,
        limit: int | None, seed: int,
        chat_template: bool | None, system_prompt: str | None, dtype: str, batch_size: int,
        force: bool, wait: bool, as_json: bool) -> None:
    """Evaluate models on the project snapshot and/or built-in tasks (a background job).

    --wait exits 0 when the job is done (failed tasks are listed), 1 when it failed."""
    from workbench.evaluation.plan import (
        RunOptions,
        check_request,
        formulations_from,
        start_evaluation,
    )

    project = obj.store.project(project_name)
    options = RunOptions(
        formulations=formulations_from(formulation), fewshot=fewshot, limit=limit, seed=seed,
        chat_template=chat_template, system_prompt=system_prompt, dtype=dtype,
        batch_size=batch_size, force=force, reasoning=reasoning)
    request = check_request(obj.store, project, list(models), snapshot, list(tasks), options)
    job = start_evaluation(obj.store, obj.settings, request)
    if not wait:
        if as_json:
            echo_json({"job_id": job.id})
        else:
            click.echo(f"Started evaluation job {job.id}. Follow it with "
                       f"'workbench jobs show {job.id}' or rerun with --wait.")
        return
    _wait(obj, job.id, as_json)


def _wait(obj: CliContext, job_id: int, as_json: bool) -> None:
    from workbench.cli.jobs import exit_with_outcome
    from workbench.evaluation.status import job_run_status
    from workbench.jobs.supervise import format_progress, wait_for_job

    shown: dict[tuple[str, str], str] = {}

    def report(job: Any) -> None:
        click.echo(f"[job {job.id}] {job.state} {format_progress(job)} {job.message}", err=True)
        for status in job_run_status(obj.store, job):  # each model x task when it changes
            if shown.get((status.model, status.task)) != status.state:
                shown[(status.model, status.task)] = status.state
                click.echo(f"[job {job.id}]   {status.line()}", err=True)

    job = wait_for_job(obj.store, obj.settings, job_id, report=report)
    ids = [r["run_id"] for r in job.result.get("runs", [])]
    if not ids:  # failed before its summary: show the runs it created
        ids = [r.id for r in obj.store.eval_runs(job.project_id) if r.job_id == job.id]
    runs = [obj.store.eval_run(i) for i in ids]
    reused = {r["run_id"] for r in job.result.get("runs", []) if r.get("reused")}
    unparsed = obj.store.unparsed_counts(ids)
    if as_json:
        echo_json({"job_id": job.id, "state": job.state, "error": job.error,
                   "runs": [{**run_dict(r, unparsed=unparsed.get(r.id)), "reused": r.id in reused}
                            for r in runs]})
    else:
        if runs:
            echo_runs(runs, unparsed)
        if reused:
            click.echo(f"Reused identical finished run(s): {', '.join(map(str, sorted(reused)))} "
                       "(--force recomputes).")
    exit_with_outcome(job, show_error=not as_json)


@eval_group.command("list")
@click.option("--project", "project_name", required=True)
@click.option("--json", "as_json", is_flag=True)
@pass_cli
@command_errors
def list_(obj: CliContext, project_name: str, as_json: bool) -> None:
    """The project's runs with their metrics and standard errors."""
    runs = obj.store.eval_runs(obj.store.project(project_name).id)
    unparsed = obj.store.unparsed_counts([r.id for r in runs])
    if as_json:
        echo_json([run_dict(r, unparsed=unparsed.get(r.id)) for r in runs])
        return
    if not runs:
        click.echo("No evaluation runs yet. Start one with 'workbench eval run'.")
        return
    echo_runs(runs, unparsed)


@eval_group.command("show")
@click.argument("run_id", type=int)
@click.option("--samples", is_flag=True, help="Include every per-sample result.")
@click.option("--json", "as_json", is_flag=True)
@pass_cli
@command_errors
def show(obj: CliContext, run_id: int, samples: bool, as_json: bool) -> None:
    """One run: settings, scores, reproducibility record."""
    r = obj.store.eval_run(run_id)
    rows = obj.store.sample_results(run_id) if samples or not as_json else None
    unparsed = obj.store.unparsed_counts([run_id])
    if as_json:
        echo_json(run_dict(r, rows if samples else None, unparsed.get(run_id)))
        return
    echo_runs([r], unparsed)
    click.echo(f"snapshot: {r.snapshot_id or '-'}   config: {r.config_hash[:16]}   "
               f"job: {r.job_id}")
    for key, value in sorted(r.settings.items()):
        click.echo(f"  {key}: {value}")
    repro = r.repro
    if repro:
        versions = repro.get("versions", {})
        click.echo("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
        model = repro.get("model", {})
        click.echo(f"model revision: {model.get('revision', '-')}")
        wall = repro.get("wall_time_s", {})
        if wall:
            click.echo("wall time: " + ", ".join(
                f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in wall.items()))
    if rows:
        correct = sum(s.correct for s in rows)
        click.echo(f"samples: {len(rows)} ({correct:g} correct)")
