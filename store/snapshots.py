"""Dataset snapshots: frozen, content-addressed copies of a project's approved questions.

A snapshot never changes once written: its id is the hash of its items, so building the same
content again finds the existing snapshot instead of writing a second one.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from store.base import StoreBase, utc_now
from store.errors import InvalidInput, NotFound

SPLITS = ("test", "fewshot")


@dataclass(frozen=True)
class SnapshotItem:
    """One frozen question of a snapshot. ``payload`` holds question, options, answer_index,
    question_id, document_id, chunk_id and cluster, exactly as they were when frozen."""

    position: int
    split: str
    question_id: int | None
    payload: dict[str, Any]

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> SnapshotItem:
        return cls(row["position"], row["split"], row["question_id"], json.loads(row["payload"]))


@dataclass(frozen=True)
class Snapshot:
    id: str
    project_id: int
    created_at: str
    question_count: int
    fewshot_count: int
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Snapshot:
        return cls(
            row["id"], row["project_id"], row["created_at"], row["question_count"],
            row["fewshot_count"], json.loads(row["params"] or "{}"),
        )


class SnapshotsMixin(StoreBase):
    def add_snapshot(
        self, snapshot_id: str, project_id: int, items: list[SnapshotItem],
        params: dict[str, Any] | None = None,
    ) -> tuple[Snapshot, bool]:
        """Store a snapshot and its items in one transaction; returns (snapshot, created).

        If a snapshot with this id exists it is returned unchanged (created is False):
        same content, same id.
        """
        bad = {i.split for i in items} - set(SPLITS)
        if bad:
            raise InvalidInput(f"Unknown snapshot splits: {sorted(bad)}")
        test = sum(1 for i in items if i.split == "test")
        fewshot = len(items) - test
        with self.transaction() as c:
            existing = c.execute("SELECT * FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
            if existing is not None:
                return Snapshot.from_row(existing), False
            c.execute(
                "INSERT INTO snapshots(id, project_id, created_at, question_count, fewshot_count,"
                " params) VALUES (?,?,?,?,?,?)",
                (snapshot_id, project_id, utc_now(), test, fewshot,
                 json.dumps(params or {}, sort_keys=True)),
            )
            c.executemany(
                "INSERT INTO snapshot_items(snapshot_id, position, split, question_id, payload)"
                " VALUES (?,?,?,?,?)",
                [(snapshot_id, i.position, i.split, i.question_id,
                  json.dumps(i.payload, sort_keys=True)) for i in items],
            )
        return self.snapshot(snapshot_id), True

    def snapshot(self, snapshot_id: str) -> Snapshot:
        """The snapshot with this id, or with this unique id prefix; NotFound otherwise."""
        row = self.conn.execute("SELECT * FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
        if row is None and len(snapshot_id) >= 4:
            rows = self.conn.execute(
                "SELECT * FROM snapshots WHERE id LIKE ? ESCAPE '\\' LIMIT 2",
                (snapshot_id.replace("%", "\\%").replace("_", "\\_") + "%",),
            ).fetchall()
            if len(rows) == 2:
                raise InvalidInput(f"Snapshot id prefix '{snapshot_id}' is ambiguous.",
                                   "Give more characters of the id.")
            row = rows[0] if rows else None
        if row is None:
            raise NotFound(f"No snapshot with id '{snapshot_id}'.",
                           "See 'workbench dataset list --project NAME'.")
        return Snapshot.from_row(row)

    def snapshots(self, project_id: int) -> list[Snapshot]:
        """The project's snapshots, newest first."""
        rows = self.conn.execute(
            "SELECT * FROM snapshots WHERE project_id = ? ORDER BY created_at DESC, id",
            (project_id,),
        )
        return [Snapshot.from_row(r) for r in rows]

    def snapshot_items(self, snapshot_id: str, split: str | None = None) -> list[SnapshotItem]:
        """A snapshot's frozen items in position order, optionally one split only."""
        sql, args = "SELECT * FROM snapshot_items WHERE snapshot_id = ?", [snapshot_id]
        if split is not None:
            sql += " AND split = ?"
            args.append(split)
        rows = self.conn.execute(sql + " ORDER BY position", args)
        return [SnapshotItem.from_row(r) for r in rows]
