"""The base of every workbench screen: typed access to the app's store and settings, and
the one way an error reaches the user.

Where an error shows (the one rule): a form field's own validation shows inline, next to
the field (the Generate screen's model check, the Review editor's refused edit, the
Review and Compare screens' own message line for input the user fixes with the next
key); everything else goes to the error modal through :meth:`WorkbenchScreen.show_error`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from textual.message import Message
from textual.screen import Screen

from store import Store
from store.records import Project
from workbench.errors import WorkbenchError
from workbench.jobs.watch import JobsSeen, JobWatcher
from workbench.settings import Settings

T = TypeVar("T")


class AppServices(Protocol):
    """What the screens use of their app. ``screens.app.WorkbenchApp`` provides it (mypy
    checks that there); naming this instead of the app keeps this module below the app,
    so no import runs in a circle (the app imports the screens)."""

    store: Store | None
    settings: Settings
    job_watcher: JobWatcher

    def show_error(self, exc: BaseException, fatal: bool = False) -> None: ...

    def open_project_screen(self, name: str, project: Project, **kwargs: Any) -> None: ...


class JobsChanged(Message, bubble=False):
    """The app's job watcher saw jobs change (progress, state, a new job).

    The app hands it to the screen on top; a screen that shows jobs handles
    ``on_jobs_changed`` and re-reads what it shows. A screen coming back on top re-reads in
    ``on_screen_resume`` (it missed the messages meanwhile).

    It must not bubble: the screen's copy would travel back up to the app, which hands it
    to the screen again, endlessly. Textual takes that from the class keyword; a class
    attribute ``bubble = False`` is overwritten by ``Message.__init_subclass__``.
    """

    def __init__(self, seen: JobsSeen) -> None:
        super().__init__()
        self.seen = seen


class WorkbenchScreen(Screen[None]):
    """A full screen of the workbench: ``store``, ``settings`` and ``show_error``, typed."""

    @property
    def workbench(self) -> AppServices:
        """The running app, typed (Textual types ``self.app`` as a plain ``App``)."""
        return cast(AppServices, self.app)

    @property
    def store(self) -> Store:
        """The app's open store (a screen is only shown once the store is open)."""
        store = self.workbench.store
        assert store is not None, "screens are only shown once the store is open"
        return store

    @property
    def settings(self) -> Settings:
        return self.workbench.settings

    def jobs_started(self) -> None:
        """Tell the job watcher to look now (this screen started, cancelled or resumed one)."""
        self.workbench.job_watcher.poke()

    def show_error(self, exc: BaseException) -> None:
        """Show ``exc`` in the error modal (what happened, what to do)."""
        self.workbench.show_error(exc)

    def attempt(self, call: Callable[[], T]) -> T | None:
        """``call()``; on a WorkbenchError, None after showing it in the error modal."""
        try:
            return call()
        except WorkbenchError as exc:
            self.show_error(exc)
            return None
