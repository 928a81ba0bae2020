"""The Argilla screen against the real server: connection line, counts, a push job with
its outcome, and a refused key shown as an error."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from argilla_testkit import add_questions, unique_project
from textual.app import App
from textual.widgets import Static

from screens.argilla import ArgillaScreen
from screens.base import JobsChanged
from store import Store
from store.records import Project
from workbench.jobs.watch import JobWatcher
from workbench.settings import Settings

pytestmark = pytest.mark.argilla


class Host(App[None]):
    """The parts of the app shell the screen uses: store, settings, show_error, and the real
    job watcher, whose JobsChanged the screen follows."""

    def __init__(self, store: Store, settings: Settings, project: Project) -> None:
        super().__init__()
        self.store = store
        self.settings = settings
        self.project = project
        self.errors: list[BaseException] = []
        self.job_watcher = JobWatcher(settings, lambda seen: self.post_message(JobsChanged(seen)))

    def on_mount(self) -> None:
        self.push_screen(ArgillaScreen(self.project))
        self.job_watcher.start()

    def on_jobs_changed(self, message: JobsChanged) -> None:
        if self.screen_stack:
            self.screen.post_message(JobsChanged(message.seen))

    def on_unmount(self) -> None:
        self.job_watcher.stop()

    def show_error(self, exc: BaseException, fatal: bool = False) -> None:
        self.errors.append(exc)


def _text(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _until(pilot: Any, check: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out waiting for the screen"
        await pilot.pause(0.2)


async def test_screen_shows_the_server_and_pushes(argilla_settings: Settings,
                                                  argilla_store: Store):
    project = unique_project(argilla_store)
    add_questions(argilla_store, project, 6)
    app = Host(argilla_store, argilla_settings, project)
    async with app.run_test(size=(100, 30)) as pilot:
        await _until(pilot, lambda: "Connected to" in _text(app, "#connection"), 30)
        assert "as workbench (owner)" in _text(app, "#connection")
        assert "6 questions" in _text(app, "#counts")
        assert "not created yet" in _text(app, "#counts")
        await pilot.press("p")
        await _until(pilot, lambda: argilla_store.argilla_counts(
            project.id, app.screen.local.dataset).pushed == 6, 120)  # type: ignore[attr-defined]
        await _until(pilot, lambda: "6 records" in _text(app, "#counts"), 30)
        assert "Pushed      6   to push: 0" in _text(app, "#counts")
        assert "never" not in _text(app, "#last-sync").split("\n")[0]
        assert app.errors == []


async def test_screen_shows_a_refused_key(argilla_settings: Settings, argilla_store: Store):
    project = unique_project(argilla_store)
    settings = dataclasses.replace(argilla_settings, argilla_api_key="argilla.wrong-key")
    app = Host(argilla_store, settings, project)
    async with app.run_test(size=(100, 30)) as pilot:
        await _until(pilot, lambda: "refused the API key" in _text(app, "#connection"), 30)
        assert app.screen.query_one("#connection").has_class("error")
        assert "argilla.wrong-key" not in _text(app, "#connection")
