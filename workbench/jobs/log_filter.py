"""A job's log holds our lines and real errors; library chatter goes to a debug log beside it.

The job process's stdout and stderr are its log file (``workbench.jobs.launch``). Libraries
write a lot there that a user cannot act on: pydantic's UnsupportedFieldAttributeWarning
paragraphs, nltk's "Error loading punkt" when offline, tqdm bars redrawn with carriage
returns, transformers' deprecation notes. ``install`` puts a line sorter in front of
Python's ``sys.stdout``/``sys.stderr`` and sends every Python warning to the debug log
(``job-N.log`` -> ``job-N.debug.log``); the first line sent there leaves one pointer line
in the job log.

What stays in the job log (``LineSorter.keep``): our own lines (``JobContext.log``'s
``[HH:MM:SS]`` stamp, the runner's ``job N ...`` lines), tracebacks whole, and any line
that says error, exception, fatal, failed, killed or out of memory, unless it is known chatter
(nltk's download messages). Output written below Python (C extensions, child processes)
goes to the job log as before.
"""

from __future__ import annotations

import io
import re
import sys
import threading
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

OURS = re.compile(r"^(\[\d\d:\d\d:\d\d\] |job \d+ )")
ERROR = re.compile(r"\b(error|exception|fatal|failed|failure|killed|out of memory)\b",
                   re.IGNORECASE)
# Known chatter that mentions an error it handles itself.
CHATTER = re.compile(r"^\[nltk_data\]")
TRACEBACK_STARTS = ("Traceback (most recent call last):",
                    "During handling of the above exception",
                    "The above exception was the direct cause")


def debug_log_path(log_path: str | Path) -> Path:
    """``job-3.log`` -> ``job-3.debug.log``, in the same folder."""
    path = Path(log_path)
    return path.with_name(f"{path.stem}.debug{path.suffix or '.log'}")


class LineSorter:
    """Says, line by line, whether a line belongs in the job log (True) or the debug log."""

    def __init__(self) -> None:
        self._in_traceback = False

    def keep(self, line: str) -> bool:
        if line.startswith(TRACEBACK_STARTS):
            self._in_traceback = True
            return True
        if self._in_traceback:
            # Frames are indented; the first unindented line is the exception itself.
            if line and not line[0].isspace():
                self._in_traceback = False
            return True
        if CHATTER.search(line):
            return False
        return bool(OURS.search(line) or ERROR.search(line))


class DebugSink:
    """What stdout and stderr share: the sorter, the debug log, and the one pointer line
    (written to ``log``) that says where library output went."""

    def __init__(self, log: TextIO, debug: TextIO, pointer: str) -> None:
        self.log, self.debug = log, debug
        self.sorter = LineSorter()
        self.lock = threading.RLock()
        self._pointer: str | None = pointer

    def route(self, line: str, log: TextIO) -> None:
        """``line`` to ``log`` if it is kept, else to the debug log."""
        with self.lock:
            if self.sorter.keep(line):
                log.write(line + "\n")
                log.flush()
            elif line.strip():
                self.to_debug(line + "\n")

    def to_debug(self, text: str) -> None:
        with self.lock:
            if self._pointer is not None:
                stamp = datetime.now(UTC).strftime("%H:%M:%S")
                self.log.write(f"[{stamp}] {self._pointer}\n")
                self.log.flush()
                self._pointer = None
            self.debug.write(text)
            self.debug.flush()


class SortedStream(io.TextIOBase):
    """A text stream in front of ``log`` that hands whole lines (``\\n`` or ``\\r`` ends
    one: tqdm redraws with ``\\r``) to ``sink``. Thread-safe."""

    def __init__(self, log: TextIO, sink: DebugSink) -> None:
        super().__init__()
        self._log, self._sink = log, sink
        self._pending = ""

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]  # read-only in TextIOBase
        return self._log.encoding or "utf-8"

    def fileno(self) -> int:  # faulthandler and subprocess ask for the real descriptor
        return self._log.fileno()

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        with self._sink.lock:
            self._pending += text
            *lines, self._pending = _LINE_END.split(self._pending)
            for line in lines:
                self._sink.route(line, self._log)
        return len(text)

    def flush(self) -> None:
        with self._sink.lock:
            if self._pending:
                self._sink.route(self._pending, self._log)
                self._pending = ""
            self._log.flush()


_LINE_END = re.compile(r"\r\n|\r|\n")


def install(log_path: str | Path) -> Path:
    """Sort this process's Python output from now on; returns the debug log's path."""
    debug_path = debug_log_path(log_path)
    debug = open(debug_path, "a", encoding="utf-8")  # noqa: SIM115  # open for the process's life
    sink = DebugSink(sys.stdout, debug, f"library warnings and progress bars: {debug_path.name}")
    sys.stdout = SortedStream(sys.stdout, sink)
    sys.stderr = SortedStream(sys.stderr, sink)

    def show_warning(message: Warning | str, category: type[Warning], filename: str,
                     lineno: int, file: TextIO | None = None, line: str | None = None) -> None:
        sink.to_debug(warnings.formatwarning(message, category, filename, lineno, line))

    warnings.showwarning = show_warning
    return debug_path
