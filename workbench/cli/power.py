"""`workbench dataset power --snapshot ID [--baseline ACC]` (registered by the dataset group)."""

from __future__ import annotations

import click

from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli


@click.command("power")
@click.option("--snapshot", "snapshot_id", required=True, help="Snapshot id (or a prefix).")
@click.option("--baseline", type=float, default=0.5, show_default=True,
              help="Expected accuracy of the models, as a fraction.")
@click.option("--correlation", type=float, default=0.0, show_default=True,
              help="Expected correlation of two models' per-question scores (0 is cautious).")
@click.option("--separate", nargs=2, type=float, default=None, metavar="ACC_A ACC_B",
              help="Also: questions needed to tell these two accuracies apart.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_cli
@command_errors
def power(obj: CliContext, snapshot_id: str, baseline: float, correlation: float,
          separate: tuple[float, float] | None, as_json: bool) -> None:
    """The smallest accuracy difference this snapshot can detect (80% power, 5% level)."""
    from workbench.results import stats

    snap = obj.store.snapshot(snapshot_id)
    n = snap.question_count
    sources = {item.payload.get("cluster") or item.payload.get("chunk_id")
               for item in obj.store.snapshot_items(snap.id, split="test")}
    sources.discard(None)
    delta = stats.detectable_difference(n, baseline, correlation) if n else None
    needed = None
    if separate is not None:
        needed = stats.questions_needed(separate[0], separate[1], correlation)
    if as_json:
        echo_json({"snapshot": snap.id, "questions": n, "source_passages": len(sources),
                   "baseline": baseline, "correlation": correlation, "alpha": stats.ALPHA,
                   "power": stats.POWER, "detectable_difference": delta,
                   "separate": list(separate) if separate else None,
                   "questions_needed": needed,
                   "more_questions_needed": None if needed is None else max(0, needed - n)})
        return
    click.echo(f"Snapshot {snap.id[:12]}: {n} test questions from {len(sources)} source "
               "passages.")
    if n:
        click.echo(stats.describe_power(n, baseline, correlation))
    else:
        click.echo("It has no test questions.")
    if sources and len(sources) < n:
        click.echo("Questions from the same passage tend to be answered alike, so the real "
                   "detectable difference is somewhat larger (see clustered errors).")
    if needed is not None and separate is not None:
        click.echo(f"Telling {100 * separate[0]:.1f}% from {100 * separate[1]:.1f}% needs about "
                   f"{needed} questions ({max(0, needed - n)} more than this snapshot has).")
