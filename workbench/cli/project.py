"""`workbench project ...`"""

from __future__ import annotations

import click

from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli


@click.group()
def project() -> None:
    """Create, list, rename and delete projects."""


@project.command("create")
@click.argument("name")
@click.option("--description", default="", help="A line about the project.")
@pass_cli
@command_errors
def create(obj: CliContext, name: str, description: str) -> None:
    """Create a project."""
    p = obj.store.create_project(name, description)
    click.echo(f"Created project '{p.name}' (id {p.id}).")


@project.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_cli
@command_errors
def list_(obj: CliContext, as_json: bool) -> None:
    """List projects with their counts."""
    rows = []
    for p in obj.store.list_projects():
        stats = obj.store.project_stats(p.id)
        rows.append({
            "id": p.id, "name": p.name, "description": p.description, "created_at": p.created_at,
            "documents": stats.documents, "chunks": stats.chunks,
            "questions": stats.questions_by_status, "snapshots": stats.snapshots,
            "eval_runs": stats.eval_runs, "running_jobs": stats.running_jobs,
        })
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No projects. Create one with 'workbench project create NAME'.")
        return
    click.echo(f"{'NAME':24} {'DOCS':>5} {'QUESTIONS':>9} {'APPROVED':>8} {'RUNS':>5}")
    for r in rows:
        q = r["questions"]
        click.echo(f"{r['name'][:24]:24} {r['documents']:>5} {sum(q.values()):>9} "
                   f"{q.get('approved', 0):>8} {r['eval_runs']:>5}")


@project.command("rename")
@click.argument("name")
@click.argument("new_name")
@pass_cli
@command_errors
def rename(obj: CliContext, name: str, new_name: str) -> None:
    """Rename a project."""
    p = obj.store.rename_project(name, new_name)
    click.echo(f"Renamed '{name}' to '{p.name}'.")


@project.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Confirm: delete the project and all it holds.")
@pass_cli
@command_errors
def delete(obj: CliContext, name: str, yes: bool) -> None:
    """Delete a project and everything in it (needs --yes)."""
    p = obj.store.project(name)
    if not yes:
        stats = obj.store.project_stats(p.id)
        raise click.UsageError(
            f"This deletes '{name}' with {stats.documents} documents and {stats.questions} "
            "questions. Add --yes to confirm."
        )
    obj.store.delete_project(name)
    click.echo(f"Deleted project '{name}'.")
