"""The app-level job watcher: a change it sees reaches the screen on top once."""

from __future__ import annotations

from typing import Any

from screens.app import WorkbenchApp
from screens.base import JobsChanged
from screens.dashboard import DashboardScreen
from store import Store
from store.records import Project
from workbench.jobs.launch import start_job
from workbench.jobs.supervise import wait_for_job
from workbench.jobs.watch import look
from workbench.settings import Settings


class CountingApp(WorkbenchApp):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.handled = 0

    def on_jobs_changed(self, message: JobsChanged) -> None:
        self.handled += 1  # Textual calls the base class's handler after this one


class CountingDashboard(DashboardScreen):
    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.handled = 0

    def on_jobs_changed(self, message: JobsChanged) -> None:
        self.handled += 1  # Textual calls the base class's handler after this one


async def test_one_change_reaches_the_app_and_the_screen_once(
    settings: Settings, store: Store, project: Project, poll: Any
) -> None:
    job = start_job(store, settings, "sleep", {"steps": 1, "seconds": 0.01}, project.id)
    wait_for_job(store, settings, job.id, poll_seconds=0.05)  # done: nothing changes after
    app = CountingApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = CountingDashboard(project)
        await app.push_screen(screen)
        for _ in range(400):  # the watcher's first look (the newest job) arrives
            await pilot.pause(0.05)
            if app.jobs_seen is not None:
                break
        assert app.jobs_seen is not None and app.jobs_seen.newest is not None
        assert app.jobs_seen.newest.id == job.id
        app_before, screen_before = app.handled, screen.handled

        app._jobs_seen(look(store, settings))  # what the watcher's thread calls on a change
        for _ in range(5):
            await pilot.pause(0.05)
        # Before JobsChanged was declared with bubble=False, the screen's copy bubbled back
        # to the app, which handed it on again: thousands of messages a second, forever.
        assert app.handled - app_before == 1
        assert screen.handled - screen_before == 1
