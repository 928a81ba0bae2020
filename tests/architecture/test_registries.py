"""The tables that name code by ``"module:attr"`` (the CLI's commands, the job kinds, the
project screens) name code that exists: each one is imported here, as the CLI, the job
process or the app would on first use."""

from __future__ import annotations

import click
import pytest
from textual.screen import Screen

from screens.navigation import PROJECT_SCREENS, project_screen_class
from workbench.cli import COMMANDS, HELP_LINES
from workbench.jobs.kinds import JOB_KINDS
from workbench.lazy_import import import_target


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_cli_command_imports(name: str) -> None:
    command = import_target(COMMANDS[name])
    assert isinstance(command, click.Command)
    assert command.name == name
    assert HELP_LINES[name]  # `workbench --help` lists it without importing it


@pytest.mark.parametrize("kind", sorted(JOB_KINDS))
def test_every_job_kind_imports(kind: str) -> None:
    assert callable(import_target(JOB_KINDS[kind]))


@pytest.mark.parametrize("name", sorted(PROJECT_SCREENS))
def test_every_project_screen_imports(name: str) -> None:
    screen_class = project_screen_class(name)
    assert isinstance(screen_class, type) and issubclass(screen_class, Screen)
    assert screen_class.__name__ == PROJECT_SCREENS[name][1]


@pytest.mark.parametrize("target", ["workbench.review", "a:b:c", ":attr", "module:"])
def test_a_malformed_name_is_refused(target: str) -> None:
    with pytest.raises(ValueError, match="is not 'package.module:attribute'"):
        import_target(target)


def test_a_missing_attribute_says_so() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        import_target("workbench.review:no_such_thing")
