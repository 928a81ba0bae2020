"""Opening the SQLite file: pragmas, numbered migrations, and write transactions.

Writes use ``BEGIN IMMEDIATE`` so that concurrent writers queue on the busy timeout instead
of failing with "database is locked" when a read transaction tries to upgrade.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from store.errors import StoreVersionError

BUSY_TIMEOUT_MS = 30_000


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("store") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_schema_version() -> int:
    """The schema version this code writes."""
    return _migrations()[-1][0]


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the store at ``path`` and bring its schema up to date.

    Raises StoreVersionError when the file was written by a newer workbench.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn, path)
    return conn


def migrate(conn: sqlite3.Connection, path: Path | str = "store") -> int:
    """Apply every migration newer than the file's ``user_version``; return the new version."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    steps = _migrations()
    latest = steps[-1][0]
    if current > latest:
        raise StoreVersionError(
            f"The store {path} has schema version {current}; this workbench knows up to {latest}.",
            "Upgrade workbench (pip install -U workbench) or point --store at another file.",
        )
    for version, sql in steps:
        if version <= current:
            continue
        with write_transaction(conn):
            for statement in _split_sql(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
    return int(max(current, latest))


def _split_sql(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer)
            buffer = ""
    if buffer.strip():
        statements.append(buffer)
    return statements


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All-or-nothing block of writes. Nested use joins the outer transaction."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
