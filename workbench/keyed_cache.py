"""Answers a job already has, kept by key in a small SQLite file of the job.

A model server's scores and replies, and the answers of scored request chunks, are written
here as each arrives, so that a resumed attempt of the job (after a kill, a crash or a server
outage) asks for none of them again. One file per use and job; the values are this job's own
(pickled), never shared between machines. Thread-safe: a server's requests are answered
from several threads. With no path, nothing is kept (every ``get`` misses).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sqlite3
import threading
from pathlib import Path
from typing import Any

TABLE = "kept"  # not the tables of earlier versions' files (their rows read as misses)


def key_of(value: Any) -> str:
    """A stable key for a JSON-able value (a request body, token ids, ...)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


class KeyedCache:
    def __init__(self, path: Path | None) -> None:
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False,
                                       isolation_level=None)  # each put is its own commit
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} "
                             "(key TEXT PRIMARY KEY, value BLOB NOT NULL)")

    def get(self, key: str) -> Any | None:
        """The value kept under ``key``, or None."""
        if self._db is None:
            return None
        with self._lock:
            row = self._db.execute(f"SELECT value FROM {TABLE} WHERE key = ?",
                                   (key,)).fetchone()
        return None if row is None else pickle.loads(row[0])

    def put(self, key: str, value: Any) -> None:
        """Keep ``value`` under ``key``, on disk when this returns."""
        if self._db is None:
            return
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._db.execute(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?)", (key, data))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
