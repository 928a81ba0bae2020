"""The ``workbench`` command: bare, it starts the TUI; its verbs are the headless path.

Subcommands load lazily so ``workbench --help`` and the TUI start stay fast.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from workbench.cli.context import CliContext, run_cli
from workbench.lazy_import import import_target

# name -> "module:attribute" of a click command or group.
COMMANDS: dict[str, str] = {
    "project": "workbench.cli.project:project",
    "docs": "workbench.cli.docs:docs",
    "models": "workbench.cli.models:models",
    "jobs": "workbench.cli.jobs:jobs",
    "generate": "workbench.cli.generate:generate",
    "questions": "workbench.cli.questions:questions",
    "argilla": "workbench.cli.argilla:argilla",
    "dataset": "workbench.cli.dataset:dataset",
    "eval": "workbench.cli.evals:eval_group",
    "leaderboard": "workbench.cli.leaderboard:leaderboard",
    "compare": "workbench.cli.compare:compare",
    "items": "workbench.cli.items:items",
    "checks": "workbench.cli.checks:checks",
    "demo": "workbench.cli.demo:demo",
    "servers": "workbench.cli.servers:servers",
}

HELP_LINES: dict[str, str] = {
    "project": "Create, list, rename and delete projects.",
    "docs": "Import and list a project's documents.",
    "models": "List and register models.",
    "jobs": "Background jobs: list, show, logs, cancel, resume.",
    "generate": "Generate questions from a project's documents (background job).",
    "questions": "List, review, export and import questions.",
    "argilla": "Two-way sync with an Argilla server.",
    "dataset": "Build, list, export and push dataset snapshots.",
    "eval": "Run and inspect lighteval evaluations.",
    "leaderboard": "Scores of every model on every task.",
    "compare": "Compare two models question by question.",
    "items": "Item analysis across models: difficulty, discrimination, flips.",
    "checks": "Model checks: disputed keys and guessable options (background job).",
    "demo": "Create the demo project (bundled corpus, model and question set).",
    "servers": "vLLM servers workbench started: list, stop.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        command: click.Command = import_target(target)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(n, HELP_LINES.get(n, "")) for n in self.list_commands(ctx)])


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.option("--store", "store_path", type=click.Path(dir_okay=False), default=None,
              help="The store file (default: $WORKBENCH_HOME/workbench.db or the user data dir).")
@click.version_option(package_name="workbench")
@click.pass_context
def cli(ctx: click.Context, store_path: str | None) -> None:
    """workbench: evaluate language models on your own domain.

    Without a command, starts the terminal app.
    """
    ctx.obj = CliContext(store_path)
    if ctx.invoked_subcommand is None:
        run_cli(_start_tui, ctx.obj)


def _start_tui(obj: CliContext) -> None:
    from screens.app import WorkbenchApp

    WorkbenchApp(obj.settings).run()


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="workbench")
