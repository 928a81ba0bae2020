"""What every CLI command shares: settings, a lazily opened store, error printing."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from workbench.errors import WorkbenchError
from workbench.settings import Settings, load_settings

T = TypeVar("T")


class CliContext:
    def __init__(self, store_path: str | None) -> None:
        self.settings: Settings = load_settings(store_path=store_path)
        self._store: Any = None

    @property
    def store(self) -> Any:
        """The Store, opened on first use and brought to the current schema."""
        if self._store is None:
            from store import Store

            self._store = Store(self.settings.store_path)
        return self._store


def run_cli(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn``; a WorkbenchError becomes one line on stderr and exit code 1."""
    try:
        return fn(*args, **kwargs)
    except WorkbenchError as exc:
        click.echo(f"Error: {exc.title}", err=True)
        if exc.hint:
            click.echo(f"  {exc.hint}", err=True)
        sys.exit(1)


pass_cli = click.make_pass_decorator(CliContext)


def command_errors(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorator: turn WorkbenchError into the one-line message + exit 1."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return run_cli(fn, *args, **kwargs)

    return wrapper


def echo_json(data: Any) -> None:
    """Print JSON for scripts (dataclasses are converted by the caller)."""
    click.echo(json.dumps(data, indent=2, default=str))
