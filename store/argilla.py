"""What the Argilla sync remembers: which question went to which record with which content
(argilla_links), which annotator responses were already taken in (argilla_responses), and
per-project sync facts such as the last pull time (sync_state)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from store.base import StoreBase, utc_now
from store.records import Question

SERVICE = "argilla"


@dataclass(frozen=True)
class ArgillaPushItem:
    """A question with what its record shows: the passage, the document title, and the hash
    of the content last pushed to ``dataset_name`` (None when never pushed there)."""

    question: Question
    passage: str
    document_title: str | None
    pushed_hash: str | None


@dataclass(frozen=True)
class ArgillaResponseRow:
    """An annotator's response as last pulled (one per question and annotator)."""

    question_id: int
    annotator: str
    status: str  # submitted | discarded
    answer_index: int | None
    comment: str | None
    response_hash: str
    pulled_at: str


@dataclass(frozen=True)
class ArgillaCounts:
    """Local side of the sync for one project and dataset."""

    local: int  # questions that belong in Argilla (everything but rejected output)
    pushed: int  # of those, pushed to this dataset with their current content or older
    pending_push: int  # never pushed, or changed since
    annotated: int  # questions with at least one pulled submitted/discarded response
    responses: int  # pulled responses in all


@dataclass(frozen=True)
class LocalDecision:
    """The latest decision a person took in the workbench itself (not from Argilla)."""

    status: str
    answer_index: int | None
    created_at: str


def _response_row(row: Any) -> ArgillaResponseRow:
    return ArgillaResponseRow(
        row["question_id"], row["annotator"], row["status"], row["answer_index"],
        row["comment"], row["response_hash"], row["pulled_at"],
    )


class ArgillaMixin(StoreBase):
    # -- push ----------------------------------------------------------------------------
    def argilla_push_items(self, project_id: int, dataset_name: str) -> list[ArgillaPushItem]:
        """Every question that belongs in Argilla (all but rejected output), in id order, with
        its passage, document title and last pushed hash for ``dataset_name``."""
        rows = self.conn.execute(
            "SELECT q.*, COALESCE(c.text, '') AS wb_passage, d.title AS wb_document,"
            " l.pushed_hash AS wb_pushed_hash FROM questions q"
            " LEFT JOIN chunks c ON c.id = q.chunk_id"
            " LEFT JOIN documents d ON d.id = q.document_id"
            " LEFT JOIN argilla_links l ON l.question_id = q.id AND l.dataset_name = ?"
            " WHERE q.project_id = ? AND q.status != 'rejected' ORDER BY q.id",
            (dataset_name, project_id),
        )
        return [
            ArgillaPushItem(Question.from_row(r), r["wb_passage"], r["wb_document"],
                            r["wb_pushed_hash"])
            for r in rows
        ]

    def mark_argilla_pushed(
        self, project_id: int, dataset_name: str, pushed: Iterable[tuple[int, str, str]],
    ) -> None:
        """Record ``(question_id, record_id, content_hash)`` as sent, in one transaction."""
        now = utc_now()
        with self.transaction() as c:
            c.executemany(
                "INSERT INTO argilla_links(question_id, project_id, dataset_name, record_id,"
                " pushed_hash, pushed_at) VALUES (?,?,?,?,?,?) ON CONFLICT(question_id) DO UPDATE"
                " SET dataset_name=excluded.dataset_name, record_id=excluded.record_id,"
                " pushed_hash=excluded.pushed_hash, pushed_at=excluded.pushed_at",
                [(qid, project_id, dataset_name, rid, h, now) for qid, rid, h in pushed],
            )

    def argilla_link_count(self, project_id: int, dataset_name: str) -> int:
        """How many questions were pushed to ``dataset_name``."""
        return int(self.conn.execute(
            "SELECT COUNT(*) FROM argilla_links WHERE project_id = ? AND dataset_name = ?",
            (project_id, dataset_name),
        ).fetchone()[0])

    def forget_argilla_links(self, project_id: int) -> int:
        """Forget what was pushed (the dataset is gone); pulled responses are kept.
        Returns the number of links removed."""
        with self.transaction() as c:
            cur = c.execute("DELETE FROM argilla_links WHERE project_id = ?", (project_id,))
        return cur.rowcount

    def argilla_record_map(self, project_id: int, dataset_name: str) -> dict[str, int]:
        """{record id: question id} for the records pushed to ``dataset_name``."""
        rows = self.conn.execute(
            "SELECT record_id, question_id FROM argilla_links"
            " WHERE project_id = ? AND dataset_name = ?",
            (project_id, dataset_name),
        )
        return {r[0]: r[1] for r in rows}

    # -- pull ----------------------------------------------------------------------------
    def argilla_responses(self, question_ids: Iterable[int]) -> list[ArgillaResponseRow]:
        """The pulled responses of these questions (any annotator)."""
        ids = list(question_ids)
        found: list[ArgillaResponseRow] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = self.conn.execute(
                "SELECT * FROM argilla_responses WHERE question_id IN"
                f" ({','.join('?' * len(chunk))}) ORDER BY question_id, annotator",
                chunk,
            )
            found += [_response_row(r) for r in rows]
        return found

    def project_argilla_responses(self, project_id: int) -> list[ArgillaResponseRow]:
        """Every pulled response of the project's questions (the latest per annotator), by
        question and annotator: the table agreement is computed on."""
        rows = self.conn.execute(
            "SELECT r.* FROM argilla_responses r JOIN questions q ON q.id = r.question_id"
            " WHERE q.project_id = ? ORDER BY r.question_id, r.annotator",
            (project_id,),
        )
        return [_response_row(r) for r in rows]

    def latest_local_decision(self, question_id: int) -> LocalDecision | None:
        """The latest approve/discard decision taken in the workbench (not pulled)."""
        row = self.conn.execute(
            "SELECT status_after, answer_index, created_at FROM reviews WHERE question_id = ?"
            " AND origin != 'argilla' AND status_after IN ('approved', 'discarded')"
            " ORDER BY id DESC LIMIT 1",
            (question_id,),
        ).fetchone()
        return None if row is None else LocalDecision(row[0], row[1], row[2])

    def latest_review_time(self, question_id: int) -> str | None:
        """When the question's latest review (any origin) was made."""
        row = self.conn.execute(
            "SELECT created_at FROM reviews WHERE question_id = ? ORDER BY id DESC LIMIT 1",
            (question_id,),
        ).fetchone()
        return None if row is None else str(row[0])

    def save_argilla_response(self, response: ArgillaResponseRow) -> None:
        """Insert or replace the pulled response of (question, annotator)."""
        with self.transaction() as c:
            c.execute(
                "INSERT INTO argilla_responses(question_id, annotator, status, answer_index,"
                " comment, response_hash, pulled_at) VALUES (?,?,?,?,?,?,?)"
                " ON CONFLICT(question_id, annotator) DO UPDATE SET status=excluded.status,"
                " answer_index=excluded.answer_index, comment=excluded.comment,"
                " response_hash=excluded.response_hash, pulled_at=excluded.pulled_at",
                (response.question_id, response.annotator, response.status,
                 response.answer_index, response.comment, response.response_hash,
                 response.pulled_at),
            )

    # -- counts and sync facts -----------------------------------------------------------
    def argilla_counts(self, project_id: int, dataset_name: str) -> ArgillaCounts:
        """Local, pushed and annotated counts for the Argilla screen and ``argilla status``.
        ``pending_push`` counts questions never pushed to this dataset or updated since
        (an approximation by time; the push itself compares content hashes)."""
        row = self.conn.execute(
            "SELECT COUNT(*), COUNT(l.question_id),"
            " SUM(CASE WHEN l.question_id IS NULL OR q.updated_at > l.pushed_at THEN 1 ELSE 0 END)"
            " FROM questions q LEFT JOIN argilla_links l"
            " ON l.question_id = q.id AND l.dataset_name = ?"
            " WHERE q.project_id = ? AND q.status != 'rejected'",
            (dataset_name, project_id),
        ).fetchone()
        annotated, responses = self.conn.execute(
            "SELECT COUNT(DISTINCT r.question_id), COUNT(*) FROM argilla_responses r"
            " JOIN questions q ON q.id = r.question_id WHERE q.project_id = ?",
            (project_id,),
        ).fetchone()
        return ArgillaCounts(int(row[0]), int(row[1]), int(row[2] or 0), int(annotated),
                             int(responses))

    def sync_values(self, project_id: int, service: str = SERVICE) -> dict[str, Any]:
        """All sync facts of a project for a service ({key: decoded JSON value})."""
        rows = self.conn.execute(
            "SELECT key, value FROM sync_state WHERE project_id = ? AND service = ?",
            (project_id, service),
        )
        return {r[0]: json.loads(r[1]) for r in rows}

    def set_sync_values(
        self, project_id: int, values: dict[str, Any], service: str = SERVICE,
    ) -> None:
        """Set sync facts (JSON-encoded); a None value deletes the key. One transaction."""
        with self.transaction() as c:
            for key, value in values.items():
                if value is None:
                    c.execute(
                        "DELETE FROM sync_state WHERE project_id = ? AND service = ? AND key = ?",
                        (project_id, service, key),
                    )
                else:
                    c.execute(
                        "INSERT INTO sync_state(project_id, service, key, value) VALUES (?,?,?,?)"
                        " ON CONFLICT(project_id, service, key) DO UPDATE SET value=excluded.value",
                        (project_id, service, key, json.dumps(value)),
                    )
