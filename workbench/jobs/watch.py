"""One watcher of the jobs for a whole app: it supervises them and says when they changed.

It runs in its own thread with its own store connection, so no read happens on the UI
thread. While a job is active it looks every ``active_seconds``; with none it looks only
every ``idle_seconds`` (to notice a job started elsewhere, e.g. from the CLI), or at once
when :meth:`JobWatcher.poke` says this process started one. ``on_change`` is called (from
the watcher's thread) only when what it saw differs from the last look.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass

from store import Store
from store.records import Job
from workbench.jobs.supervise import supervise_jobs
from workbench.settings import Settings

ACTIVE_SECONDS = 1.0
IDLE_SECONDS = 10.0


@dataclass(frozen=True)
class JobsSeen:
    """One look at the jobs: the active ones and the newest job (active or not)."""

    active: tuple[Job, ...]
    newest: Job | None

    @property
    def key(self) -> tuple[object, ...]:
        """What must differ for the screens to redraw (progress, state, message, heartbeat)."""
        def facts(job: Job) -> tuple[object, ...]:
            return (job.id, job.state, job.progress_done, job.progress_total, job.message,
                    job.heartbeat_at)

        newest = None if self.newest is None else facts(self.newest)
        return (tuple(facts(j) for j in self.active), newest)


def look(store: Store, settings: Settings) -> JobsSeen:
    """Supervise (dead processes become 'interrupted'), then read the jobs once."""
    supervise_jobs(store, settings)
    newest = store.list_jobs(limit=1)
    return JobsSeen(tuple(store.active_jobs()), newest[0] if newest else None)


class JobWatcher:
    """``start()`` a thread that calls ``on_change(seen)`` whenever the jobs change."""

    def __init__(self, settings: Settings, on_change: Callable[[JobsSeen], object],
                 active_seconds: float = ACTIVE_SECONDS,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        self.settings = settings
        self.on_change = on_change
        self.active_seconds = active_seconds
        self.idle_seconds = idle_seconds
        self.looks = 0  # how many times it read the store (the idle benchmark reports it)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="job-watcher", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Look now (this process just started, cancelled or resumed a job)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        store = Store(self.settings.store_path)  # this thread's own connection
        last: tuple[object, ...] | None = None
        try:
            while not self._stop.is_set():
                try:
                    seen: JobsSeen | None = look(store, self.settings)
                except sqlite3.OperationalError:  # e.g. locked by a long write: look again soon
                    seen = None
                self.looks += 1
                if seen is not None and seen.key != last:
                    last = seen.key
                    self.on_change(seen)
                wait = self.active_seconds if seen is None or seen.active else self.idle_seconds
                self._wake.wait(wait)
                self._wake.clear()
        finally:
            store.close()
