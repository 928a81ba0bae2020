"""`workbench demo`"""

from __future__ import annotations

import click

from workbench.cli.context import CliContext, command_errors, pass_cli


@click.command()
@click.option("--name", default="demo", show_default=True, help="Project name.")
@pass_cli
@command_errors
def demo(obj: CliContext, name: str) -> None:
    """Create the demo project: bundled documents and a hand-written question set."""
    from workbench.bundled_model import register_bundled_models
    from workbench.demo import create_demo_project

    register_bundled_models(obj.store)
    project = create_demo_project(obj.store, obj.settings, name)
    stats = obj.store.project_stats(project.id)
    click.echo(f"Created '{project.name}': {stats.documents} documents, {stats.chunks} chunks, "
               f"{stats.questions} questions ({stats.questions_by_status['approved']} approved).")
