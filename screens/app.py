"""The Textual app shell: opens the store, shows the Projects screen, routes to the
project screens by name (``screens.navigation``), and shows every error the same way."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from screens.base import AppServices, JobsChanged
from screens.navigation import PROJECT_SCREENS, project_screen_class
from store import Store
from store.records import Project
from workbench.errors import WorkbenchError
from workbench.jobs.watch import JobsSeen, JobWatcher
from workbench.settings import Settings

# PROJECT_SCREENS is re-exported: the routing table the app reads, named where it is used.
__all__ = ["PROJECT_SCREENS", "WorkbenchApp", "open_app_store"]


class WorkbenchApp(App[None]):
    TITLE = "workbench"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.store: Store | None = None
        self.startup_error: WorkbenchError | None = None
        # One watcher for every screen: it posts JobsChanged, the screens never poll.
        self.job_watcher = JobWatcher(settings, self._jobs_seen)
        self.jobs_seen: JobsSeen | None = None
        try:
            self.store = open_app_store(settings)
        except WorkbenchError as exc:
            self.startup_error = exc

    def get_default_screen(self) -> Screen[Any]:
        # The Projects screen is the first screen itself: no blank screen to style first.
        if self.store is None:
            return Screen()
        from screens.projects import ProjectsScreen

        return ProjectsScreen()

    def on_mount(self) -> None:
        self.sub_title = str(self.settings.store_path)
        if self.startup_error is not None:
            self.show_error(self.startup_error, fatal=True)
        else:
            self.job_watcher.start()

    def _jobs_seen(self, seen: JobsSeen) -> None:
        """From the watcher's thread: post_message is thread-safe."""
        self.post_message(JobsChanged(seen))

    def on_jobs_changed(self, message: JobsChanged) -> None:
        self.jobs_seen = message.seen
        if self.screen_stack:  # none while the app closes
            self.screen.post_message(JobsChanged(message.seen))

    def on_unmount(self) -> None:
        self.job_watcher.stop()
        if self.store is not None:
            self.store.close()

    # -- routing -----------------------------------------------------------------------
    def open_project_screen(self, name: str, project: Project, **kwargs: Any) -> None:
        """Push a project screen by registry name (imported on first use)."""
        self.push_screen(project_screen_class(name)(project, **kwargs))

    # -- errors ------------------------------------------------------------------------
    def show_error(self, exc: BaseException, fatal: bool = False) -> None:
        """The one way errors reach the user: a modal with what happened and what to do."""
        from screens.modals.error_modal import ErrorModal

        if isinstance(exc, WorkbenchError):
            title, hint = exc.title, exc.hint
        else:
            title, hint = f"{type(exc).__name__}: {exc}", "This is a bug; please report it."
        self.push_screen(ErrorModal(title, hint, fatal=fatal))

    def action_help(self) -> None:
        from screens.modals.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Keys of this screen", self.action_help)
        project = getattr(screen, "project", None)
        if isinstance(project, Project):
            for name, (_m, _c, key, title) in PROJECT_SCREENS.items():
                yield SystemCommand(
                    f"Open {title}", f"{title} of project {project.name} (key {key} on the dashboard)",
                    lambda name=name, project=project: self.open_project_screen(name, project),
                )


if TYPE_CHECKING:
    def _gives_the_screens_what_they_use(app: WorkbenchApp) -> AppServices:
        return app  # mypy refuses this if the app stops providing screens.base.AppServices


def open_app_store(settings: Settings) -> Store:
    """Open the store; on a brand-new store, register the bundled model and create the demo
    project so the first start shows something to try."""
    from workbench.bundled_model import register_bundled_models

    fresh = not settings.store_path.exists()
    store = Store(settings.store_path)
    register_bundled_models(store)
    if fresh:
        from workbench.demo import create_demo_project

        create_demo_project(store, settings)
    return store
