"""`workbench dataset ...`: build, list, export and push snapshots (and `power`, from
workbench.cli.power)."""

from __future__ import annotations

from typing import Any

import click

from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli
from workbench.cli.power import power


@click.group()
def dataset() -> None:
    """Build, list, check (hygiene), export and push dataset snapshots."""


dataset.add_command(power)  # the sample size a comparison needs (workbench.cli.power)


def _snapshot_dict(s: Any) -> dict[str, Any]:
    return {"id": s.id, "project_id": s.project_id, "created_at": s.created_at,
            "questions": s.question_count, "fewshot": s.fewshot_count, "params": s.params}


@dataset.command("build")
@click.option("--project", "project_name", required=True)
@click.option("--fewshot", type=int, default=0, show_default=True,
              help="Hold out this many questions as few-shot examples.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the draw of the few-shot examples.")
@click.option("--json", "as_json", is_flag=True)
@pass_cli
@command_errors
def build(obj: CliContext, project_name: str, fewshot: int, seed: int, as_json: bool) -> None:
    """Freeze the approved questions into an immutable snapshot (same content, same id),
    with its hygiene report's warnings."""
    from workbench.snapshots import build_snapshot, snapshot_hygiene

    result = build_snapshot(obj.store, obj.store.project(project_name), fewshot, seed)
    snap = result.snapshot
    from workbench.results.stats import describe_power, detectable_difference

    hygiene = snapshot_hygiene(obj.store, snap.id)
    if as_json:
        echo_json({**_snapshot_dict(snap), "created": result.created,
                   "detectable_difference": detectable_difference(snap.question_count),
                   "hygiene": hygiene.as_dict()})
        return
    state = "Built" if result.created else "Already built (same content)"
    click.echo(f"{state}: snapshot {snap.id}: {snap.question_count} test question(s), "
               f"{snap.fewshot_count} few-shot.")
    click.echo(describe_power(snap.question_count))
    click.echo(hygiene.summary())
    if hygiene.warnings:
        click.echo(f"  What each means and what to do: workbench dataset hygiene "
                   f"--snapshot {snap.id}")


@dataset.command("hygiene")
@click.option("--snapshot", "snapshot_id", required=True, help="Snapshot id (or a prefix).")
@click.option("--json", "as_json", is_flag=True)
@pass_cli
@command_errors
def hygiene(obj: CliContext, snapshot_id: str, as_json: bool) -> None:
    """Can a model score on this snapshot without knowing the domain? Answer-letter
    balance, option-length clues, near-duplicates, flags, coverage, detectable difference."""
    from workbench.snapshots import snapshot_hygiene

    snap = obj.store.snapshot(snapshot_id)
    report = snapshot_hygiene(obj.store, snap.id)
    if as_json:
        echo_json({"snapshot": snap.id, **report.as_dict()})
        return
    click.echo(f"Snapshot {snap.id}: {report.questions} test question(s).")
    for figure in report.figures:
        click.echo(f"\n{'! ' if figure.warning else '  '}{figure.label}: {figure.value}")
        click.echo(f"    Means: {figure.meaning}")
        if figure.warning:
            click.echo(f"    To do: {figure.advice}")
    click.echo("\n" + report.summary())


@dataset.command("list")
@click.option("--project", "project_name", required=True)
@click.option("--json", "as_json", is_flag=True)
@pass_cli
@command_errors
def list_(obj: CliContext, project_name: str, as_json: bool) -> None:
    """The project's snapshots, newest first."""
    snaps = obj.store.snapshots(obj.store.project(project_name).id)
    if as_json:
        echo_json([_snapshot_dict(s) for s in snaps])
        return
    if not snaps:
        click.echo("No snapshots yet. Build one with 'workbench dataset build'.")
        return
    click.echo(f"{'ID':18} {'TEST':>5} {'FEWSHOT':>7}  CREATED")
    for s in snaps:
        click.echo(f"{s.id:18} {s.question_count:5} {s.fewshot_count:7}  {s.created_at[:19]}")


@dataset.command("export")
@click.option("--snapshot", "snapshot_id", required=True, help="Snapshot id (or a prefix).")
@click.option("--to", "to", required=True, type=click.Path(file_okay=False),
              help="Folder to create (new or empty).")
@pass_cli
@command_errors
def export(obj: CliContext, snapshot_id: str, to: str) -> None:
    """Write a folder that datasets.load_dataset reads, a dataset card and a lighteval task."""
    from workbench.evaluation.task_file import task_name
    from workbench.snapshots import TASK_FILE_NAME, export_snapshot

    snap = obj.store.snapshot(snapshot_id)
    folder = export_snapshot(obj.store, snap.id, to)
    click.echo(f"Exported snapshot {snap.id} to {folder}")
    click.echo(f"  lighteval accelerate \"model_name=MODEL_DIR,batch_size=8\" "
               f"\"{task_name(snap.id, 'mcf')}|0\" --custom-tasks {folder / TASK_FILE_NAME}")


@dataset.command("push")
@click.option("--snapshot", "snapshot_id", required=True, help="Snapshot id (or a prefix).")
@click.option("--repo-id", required=True, help="Hub dataset repo, OWNER/NAME.")
@click.option("--private", is_flag=True, help="Create the repo as private.")
@pass_cli
@command_errors
def push(obj: CliContext, snapshot_id: str, repo_id: str, private: bool) -> None:
    """Upload the snapshot's export to the Hugging Face Hub (token from HF_TOKEN)."""
    from workbench.snapshots import push_snapshot

    url = push_snapshot(obj.store, obj.settings, snapshot_id, repo_id, private)
    click.echo(f"Pushed to {url}")
