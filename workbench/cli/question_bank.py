"""`workbench questions import`: bring an existing exam bank in as approved questions."""

from __future__ import annotations

import sys

import click

from workbench.cli.context import CliContext, echo_json, pass_cli, run_cli


@click.command("import")
@click.option("--project", "project_name", required=True, help="Project to import into.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="File format (default: from the extension).")
@click.option("--map", "mapping", multiple=True, metavar="FIELD=COLUMN",
              help="Where a field is: question=COL, options=COL,COL,... or options=2-5, "
                   "answer=COL, explanation=COL, index_base=0|1. Column names, or numbers "
                   "for a CSV without header. Repeatable.")
@click.option("--skip-invalid", is_flag=True,
              help="Import the good rows and report the bad ones (default: all or nothing).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_cli
def import_questions(obj: CliContext, project_name: str, file: str, fmt: str | None,
                     mapping: tuple[str, ...], skip_invalid: bool, as_json: bool) -> None:
    """Import an exam bank (CSV or JSONL) as approved questions (source 'import').

    Recognised without --map: CSV without header as question, options..., answer (the MMLU
    layout), CSV with a header naming question/options/answer, and JSONL with question,
    choices and answer. The answer may be a letter, a 0-based index or the option's text.
    """
    from workbench.question_bank import BankRowsInvalid, import_bank

    def run() -> None:
        project = obj.store.project(project_name)
        try:
            result = import_bank(obj.store, project, file, fmt, mapping, skip_invalid,
                                 reviewer=f"import:{obj.settings.reviewer}")
        except BankRowsInvalid as exc:
            for error in exc.errors:
                click.echo(f"{file}: {error}", err=True)
            raise
        if as_json:
            echo_json({"imported": len(result.question_ids), "question_ids": result.question_ids,
                       "skipped_invalid": [{"line": e.line, "reason": e.reason}
                                           for e in result.skipped_invalid],
                       "skipped_duplicates": result.skipped_duplicates,
                       "layout": result.layout})
            return
        for error in result.skipped_invalid:
            click.echo(f"{file}: skipped {error}", err=True)
        click.echo(f"Imported {len(result.question_ids)} approved question(s) into "
                   f"'{project.name}' ({result.layout}).")
        if result.skipped_invalid:
            click.echo(f"Skipped {len(result.skipped_invalid)} invalid row(s).")
        if result.skipped_duplicates:
            click.echo(f"Skipped {result.skipped_duplicates} question(s) already in the project.")

    run_cli(run)
    sys.stdout.flush()
