"""`workbench checks run --project P [--judge MODEL] [--check KIND ...] [--question ID ...]
[--seed S] [--rounds R] [--formulation mcf|cloze] [--wait] [--json]` and
`workbench checks list --project P [--flagged] [--json]`"""

from __future__ import annotations

from typing import Any

import click

from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli


@click.group("checks")
def checks() -> None:
    """Model checks on questions: a judge model's open-book answer against the key
    (flag key-disputed) and whether the options alone give the answer away (flag
    guessable). Flags never change a question's status."""


@checks.command("run")
@click.option("--project", "project_name", required=True)
@click.option("--judge", default=None, help="A registered model (default: the bundled one).")
@click.option("--check", "kinds", multiple=True,
              type=click.Choice(["open-book", "options-only"]),
              help="Which checks (default: both).")
@click.option("--question", "question_ids", multiple=True, type=int,
              help="Only these questions (default: every pending and approved one).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the shuffles.")
@click.option("--rounds", type=int, default=2, show_default=True,
              help="Orders per option position (trials = rounds x options).")
@click.option("--formulation", type=click.Choice(["mcf", "cloze"]), default=None,
              help="Score letters (mcf) or the options' words (cloze). Default: mcf; cloze "
                   "for the bundled model, which cannot read letters.")
@click.option("--wait", is_flag=True, help="Follow the job and exit with its outcome.")
@click.option("--json", "as_json", is_flag=True, help="With --wait: print the result as JSON.")
@pass_cli
@command_errors
def run(obj: CliContext, project_name: str, judge: str | None, kinds: tuple[str, ...],
        question_ids: tuple[int, ...], seed: int, rounds: int, formulation: str | None,
        wait: bool, as_json: bool) -> None:
    """Start a model-check job (background; --wait follows it)."""
    from workbench.quality.launch import start_model_checks

    project = obj.store.project(project_name)
    job = start_model_checks(obj.store, obj.settings, project, judge, list(kinds) or None,
                             list(question_ids) or None, seed, rounds, formulation=formulation)
    if not as_json:
        click.echo(f"Started model checks job {job.id} for {project.name} "
                   f"(judge {job.params['judge']}, {job.params['formulation']}).", err=True)
    if wait:
        from workbench.cli.jobs import echo_job_line, exit_with_outcome
        from workbench.jobs.supervise import wait_for_job

        done = wait_for_job(obj.store, obj.settings, job.id,
                            report=None if as_json else echo_job_line)
        if as_json:
            echo_json({"job": done.id, "state": done.state, "result": done.result,
                       "error": done.error, "hint": done.hint})
        elif done.state == "done":
            r = done.result
            click.echo(f"{r['checked']} questions checked by {r['judge']}: " + ", ".join(
                f"{r['flagged'][c]} of {r['results'][c]} {c} flagged" for c in r["checks"]))
        exit_with_outcome(done, show_error=not as_json)
    click.echo(job.id)


def result_json(r: Any) -> dict[str, Any]:
    return {"question_id": r.question_id, "check": r.check_kind, "judge": r.judge,
            "judge_revision": r.judge_revision, "prompt_version": r.prompt_version,
            "seed": r.seed, "key": r.key_index, "judge_choice": r.choice_index,
            "key_hits": r.key_hits, "trials": r.trials, "key_probability": r.key_probability,
            "p_value": r.p_value, "flagged": r.flagged, "job": r.job_id,
            "created_at": r.created_at, **r.details}


@checks.command("list")
@click.option("--project", "project_name", required=True)
@click.option("--flagged", is_flag=True, help="Only the checks that flagged their question.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_cli
@command_errors
def list_results(obj: CliContext, project_name: str, flagged: bool, as_json: bool) -> None:
    """The latest model-check result of every checked question."""
    project = obj.store.project(project_name)
    results = [r for r in obj.store.model_check_results(project.id) if r.flagged or not flagged]
    if as_json:
        echo_json([result_json(r) for r in results])
        return
    if not results:
        click.echo("No model checks yet: 'workbench checks run --project "
                   f"{project.name}'." if not flagged else "No question was flagged.")
        return
    letters = "ABCDEFGHIJ"
    for r in results:
        verdict = ("key-disputed" if r.check_kind == "open-book" else "guessable") \
            if r.flagged else "ok"
        click.echo(f"{r.question_id:>6}  {r.check_kind:<12} {verdict:<12} key {letters[r.key_index]}"
                   f"  judge {letters[r.choice_index]}  key picked {r.key_hits}/{r.trials}"
                   f"  p={r.p_value:.3g}  ({r.judge}, {r.prompt_version}, seed {r.seed})")
