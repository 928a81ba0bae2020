"""`workbench docs ...`"""

from __future__ import annotations

import click

from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli


@click.group()
def docs() -> None:
    """Import and list a project's documents."""


@docs.command("import")
@click.option("--project", "project_name", required=True, help="Project name.")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@pass_cli
@command_errors
def import_(obj: CliContext, project_name: str, paths: tuple[str, ...]) -> None:
    """Import files and folders (recursively): text (.txt .md .markdown .rst .text) and,
    converted to Markdown, .pdf .docx .pptx .html .htm .xlsx."""
    from workbench.docs import import_paths

    project = obj.store.project(project_name)
    report = import_paths(obj.store, project.id, paths, obj.settings)
    for doc in report.imported:
        click.echo(f"imported  {doc.path}  ({doc.chunk_count} chunks, {doc.encoding}, {doc.language})")
    for path, reason in report.skipped:
        click.echo(f"skipped   {path}: {reason}")
    click.echo(f"{len(report.imported)} imported, {len(report.skipped)} skipped.")


@docs.command("list")
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_cli
@command_errors
def list_(obj: CliContext, project_name: str, as_json: bool) -> None:
    """List a project's documents."""
    project = obj.store.project(project_name)
    documents = obj.store.list_documents(project.id)
    if as_json:
        echo_json([{k: v for k, v in d.__dict__.items() if k != "text"} for d in documents])
        return
    if not documents:
        click.echo(f"No documents in '{project.name}'. Import with 'workbench docs import'.")
        return
    click.echo(f"{'ID':>4} {'CHUNKS':>6} {'SIZE':>9}  TITLE")
    for d in documents:
        click.echo(f"{d.id:>4} {d.chunk_count:>6} {d.size_bytes:>9,}  {d.title[:60]}")
