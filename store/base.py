"""What every part of the Store shares: the connection, the clock, transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from store.db import connect, write_transaction


def utc_now() -> str:
    """Timestamps are ISO-8601 UTC strings with microseconds: they sort as text."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


class StoreBase:
    """Owns one connection. Not shared across processes; each process opens its own."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.conn: sqlite3.Connection = connect(self.path)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing unit of writes (``BEGIN IMMEDIATE`` … ``COMMIT``)."""
        with write_transaction(self.conn) as conn:
            yield conn

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def table_counts(self) -> dict[str, int]:
        """Row count of every table (diagnostics and consistency tests)."""
        names = [r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )]
        return {n: self.conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}
