"""`workbench leaderboard --project NAME [--format table|md|csv|json]`"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from workbench.cli.context import CliContext, command_errors, pass_cli

if TYPE_CHECKING:
    from workbench.results.leaderboard import Leaderboard


@click.command("leaderboard")
@click.option("--project", "project_name", required=True, help="The project.")
@click.option("--format", "fmt", type=click.Choice(["table", "md", "csv", "json"]),
              default="table", show_default=True)
@click.option("--sort", "sort_by", default="average", show_default=True,
              help="Column to sort by: average, model or a task name.")
@click.option("--model", "model_filter", default=None, help="Only models whose name contains this.")
@click.option("--task", "task_filter", default=None, help="Only tasks whose name contains this.")
@click.option("--cluster-by", type=click.Choice(["passage", "document"]), default="passage",
              show_default=True, help="Source that questions share, for clustered errors.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of the terminal.")
@pass_cli
@command_errors
def leaderboard(obj: CliContext, project_name: str, fmt: str, sort_by: str,
                model_filter: str | None, task_filter: str | None, cluster_by: str,
                output: Path | None) -> None:
    """Scores of every model on every task, with error bars and ties with the leader."""
    from workbench.results import leaderboard as lb

    project = obj.store.project(project_name)
    data = lb.load_leaderboard_data(obj.store, project, cluster_by=cluster_by)
    board = lb.build_leaderboard(data, model_filter, task_filter, sort_by=sort_by)
    if fmt in lb.EXPORT_FORMATS:
        text = lb.export_text(board, fmt)
        if output is None:
            click.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            click.echo(f"Wrote {output}.")
        return
    if not board.rows:
        click.echo(f"No finished evaluations in project '{project.name}'"
                   + (" match the filters." if model_filter or task_filter else ".")
                   + " Run one with 'workbench eval run' or from the Evaluate screen.")
        return
    from rich.console import Console

    if output is None:
        _print_table(Console(), board)
        return
    with output.open("w", encoding="utf-8") as handle:
        _print_table(Console(file=handle, width=200), board)
    click.echo(f"Wrote {output}.")


def _print_table(console: Any, board: Leaderboard) -> None:
    from workbench.results import leaderboard as lb

    console.print(lb.to_rich_table(board))
    for line in _notes(board):
        console.print(line, markup=False, highlight=False)


def _notes(board: Leaderboard) -> list[str]:
    """The clusters the errors rest on, the note on multiple comparisons, the warnings."""
    lines: list[str] = []
    clusters = board.clusters_text()
    if clusters:
        lines.append(f"Clustered errors rest on {clusters}.")
    if board.note:
        lines.append(board.note)
    return lines + board.warnings()
