"""What a job function receives: the store, its job, progress reporting, cancellation."""

from __future__ import annotations

import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

from store import Store
from store.records import Job
from workbench.errors import WorkbenchError
from workbench.settings import Settings


class JobCancelled(WorkbenchError):
    """Raised inside a job when the user cancelled it."""


class JobContext:
    """Handed to every job function. Commit work item by item and call ``progress`` after
    each, so that a resumed job continues from the last committed item."""

    def __init__(self, store: Store, job: Job, settings: Settings) -> None:
        self.store = store
        self.job = job
        self.settings = settings
        self.cancel_event = threading.Event()
        self._started = time.monotonic()
        self._done_at_start: int | None = None

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    def log(self, message: str) -> None:
        """A line in the job's log file (stdout is the log)."""
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        print(f"[{stamp}] {message}", file=sys.stdout, flush=True)

    def progress(self, done: int, total: int, message: str | None = None) -> None:
        """Record progress; the rate counts only items done in this attempt."""
        if self._done_at_start is None:
            self._done_at_start = done
        elapsed = time.monotonic() - self._started
        made = done - self._done_at_start
        rate = made / elapsed if elapsed > 0 and made > 0 else None
        self.store.heartbeat(self.job.id, done=done, total=total, rate=rate, message=message)
        self.check_cancelled()

    def check_cancelled(self) -> None:
        """Raise JobCancelled if the user asked the job to stop."""
        if self.cancel_event.is_set():
            raise JobCancelled("The job was cancelled.")
