"""Questions and their review history.

A review row is written for every decision and never overwritten; the question row holds
the current state, which always equals its latest review's outcome.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from store.base import StoreBase, utc_now
from store.errors import InvalidInput, NotFound
from store.records import NewQuestion, Question, Review

# Fields a review may change, and how they are stored.
EDITABLE_FIELDS = ("question", "options", "answer_index", "explanation", "status", "flags")
_JSON_FIELDS = ("options", "flags")


@dataclass(frozen=True)
class QuestionFilter:
    """What the Review screen and ``questions list`` narrow by. Empty means everything."""

    status: str | None = None  # pending | approved | discarded | rejected | None (all)
    document_id: int | None = None
    model_name: str | None = None
    flag: str | None = None
    text: str | None = None
    include_rejected: bool = False
    # The adjudication queue: flagged 'disagreement' and not yet decided here since the
    # annotators' latest (pulled) decision.
    adjudication: bool = False

    def where(self, project_id: int) -> tuple[str, list[Any]]:
        clauses: list[str] = ["q.project_id = ?"]
        args: list[Any] = [project_id]
        if self.status:
            clauses.append("q.status = ?")
            args.append(self.status)
        elif not self.include_rejected:
            clauses.append("q.status != 'rejected'")
        if self.document_id is not None:
            clauses.append("q.document_id = ?")
            args.append(self.document_id)
        if self.model_name:
            clauses.append("q.model_name = ?")
            args.append(self.model_name)
        if self.flag:
            clauses.append("EXISTS (SELECT 1 FROM json_each(q.flags) WHERE value = ?)")
            args.append(self.flag)
        if self.adjudication:
            clauses.append(
                "EXISTS (SELECT 1 FROM json_each(q.flags) WHERE value = 'disagreement')"
                " AND (SELECT r.origin FROM reviews r WHERE r.question_id = q.id"
                " AND r.action IN ('accept', 'answer', 'discard')"
                " AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.question_id = q.id"
                " AND u.undoes_review_id = r.id)"
                " ORDER BY r.id DESC LIMIT 1) = 'argilla'")
        if self.text:
            clauses.append("(q.question LIKE ? OR q.options LIKE ? OR q.explanation LIKE ?)")
            like = f"%{self.text}%"
            args += [like, like, like]
        return " AND ".join(clauses), args


def _encode(field: str, value: Any) -> Any:
    return json.dumps(value) if field in _JSON_FIELDS else value


class QuestionsMixin(StoreBase):
    def add_questions(self, questions: Iterable[NewQuestion],
                      flag_existing: Mapping[int, Iterable[str]] | None = None) -> list[int]:
        """Insert questions in one transaction; returns the new ids.

        A question whose (job_id, item_key) is already stored is skipped, so a resumed job
        never stores the same item twice. ``flag_existing`` ({question id: flags}) adds
        flags to stored questions in the same transaction (the generation job's
        near-duplicate flags: committed with the questions that caused them, or not at
        all). Raises NotFound, storing nothing, when one of those ids is not stored.
        """
        now = utc_now()
        ids: list[int] = []
        with self.transaction() as c:
            for q in questions:
                cur = c.execute(
                    "INSERT OR IGNORE INTO questions(project_id, document_id, chunk_id, question,"
                    " options, answer_index, explanation, status, source, model_name, backend,"
                    " prompt_version, seed, job_id, item_key, rejection_reason, raw_output, flags,"
                    " language, created_at, updated_at, quote, rejection_kind)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (q.project_id, q.document_id, q.chunk_id, q.question, json.dumps(q.options),
                     q.answer_index, q.explanation, q.status, q.source, q.model_name, q.backend,
                     q.prompt_version, q.seed, q.job_id, q.item_key, q.rejection_reason,
                     q.raw_output, json.dumps(q.flags), q.language, now, now, q.quote,
                     q.rejection_kind),
                )
                if cur.rowcount:
                    ids.append(int(cur.lastrowid or 0))
            for qid, flags in (flag_existing or {}).items():
                row = c.execute("SELECT flags FROM questions WHERE id = ?", (qid,)).fetchone()
                if row is None:
                    raise NotFound(f"No question with id {qid}.")
                merged = sorted({*json.loads(row[0] or "[]"), *flags})
                c.execute("UPDATE questions SET flags = ? WHERE id = ?",
                          (json.dumps(merged), qid))
        return ids

    def question(self, question_id: int) -> Question:
        """One question; NotFound otherwise."""
        row = self.conn.execute("SELECT * FROM questions WHERE id = ?", (question_id,)).fetchone()
        if row is None:
            raise NotFound(f"No question with id {question_id}.")
        return Question.from_row(row)

    def list_questions(
        self, project_id: int, filt: QuestionFilter | None = None, limit: int | None = None,
        offset: int = 0,
    ) -> list[Question]:
        """Questions in id order, narrowed by ``filt``."""
        where, args = (filt or QuestionFilter()).where(project_id)
        sql = f"SELECT q.* FROM questions q WHERE {where} ORDER BY q.id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [limit, offset]
        return [Question.from_row(r) for r in self.conn.execute(sql, args)]

    def question_ids(self, project_id: int, filt: QuestionFilter | None = None) -> list[int]:
        """Just the ids, in order (cheap even at 100k questions)."""
        where, args = (filt or QuestionFilter()).where(project_id)
        return [r[0] for r in self.conn.execute(
            f"SELECT q.id FROM questions q WHERE {where} ORDER BY q.id", args
        )]

    def count_questions(self, project_id: int, filt: QuestionFilter | None = None) -> int:
        where, args = (filt or QuestionFilter()).where(project_id)
        return int(self.conn.execute(f"SELECT COUNT(*) FROM questions q WHERE {where}", args).fetchone()[0])

    def question_status_counts(self, project_id: int) -> dict[str, int]:
        """{status: count} for the project."""
        rows = self.conn.execute(
            "SELECT status, COUNT(*) FROM questions WHERE project_id = ? GROUP BY status",
            (project_id,),
        )
        return {r[0]: r[1] for r in rows}

    def job_rejection_kinds(self, job_id: int) -> dict[str, int]:
        """{rejection kind: count} of a job's rejected outputs ('unknown' for rows stored
        before kinds were recorded)."""
        rows = self.conn.execute(
            "SELECT COALESCE(rejection_kind, 'unknown'), COUNT(*) FROM questions"
            " WHERE job_id = ? AND status = 'rejected' GROUP BY 1 ORDER BY 2 DESC, 1",
            (job_id,),
        )
        return {r[0]: r[1] for r in rows}

    def set_question_flags(self, question_id: int, flags: list[str]) -> None:
        """Replace a question's flags without a review (flags are computed, not decided)."""
        with self.transaction() as c:
            c.execute(
                "UPDATE questions SET flags = ? WHERE id = ?",
                (json.dumps(sorted(set(flags))), question_id),
            )

    def record_review(
        self, question_id: int, reviewer: str, action: str, new_values: dict[str, Any],
        origin: str = "tui", reason: str | None = None, comment: str | None = None,
        created_at: str | None = None, undoes_review_id: int | None = None,
    ) -> Review:
        """Apply ``new_values`` to the question and append the review that made them, in one
        transaction. The review keeps each changed field's previous value.

        ``new_values`` keys must be in EDITABLE_FIELDS; validation is the caller's job.
        """
        unknown = set(new_values) - set(EDITABLE_FIELDS)
        if unknown:
            raise InvalidInput(f"Fields that a review cannot change: {sorted(unknown)}")
        with self.transaction() as c:
            current = self.question(question_id)
            changes: dict[str, list[Any]] = {}
            for field, value in new_values.items():
                before = getattr(current, field)
                if before != value:
                    changes[field] = [before, value]
            status_after = new_values.get("status", current.status)
            answer_after = new_values.get("answer_index", current.answer_index)
            if changes:
                cols = ", ".join(f"{f} = ?" for f in changes)
                c.execute(
                    f"UPDATE questions SET {cols}, updated_at = ? WHERE id = ?",
                    (*[_encode(f, v[1]) for f, v in changes.items()], utc_now(), question_id),
                )
            cur = c.execute(
                "INSERT INTO reviews(question_id, reviewer, origin, action, status_after,"
                " answer_index, reason, comment, changes, undoes_review_id, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (question_id, reviewer, origin, action, status_after, answer_after, reason,
                 comment, json.dumps(changes), undoes_review_id, created_at or utc_now()),
            )
            row = c.execute("SELECT * FROM reviews WHERE id = ?", (cur.lastrowid,)).fetchone()
        return Review.from_row(row)

    def question_reviews(self, question_id: int) -> list[Review]:
        """A question's review history, oldest first."""
        rows = self.conn.execute(
            "SELECT * FROM reviews WHERE question_id = ? ORDER BY id", (question_id,)
        )
        return [Review.from_row(r) for r in rows]

    def review(self, review_id: int) -> Review:
        row = self.conn.execute("SELECT * FROM reviews WHERE id = ?", (review_id,)).fetchone()
        if row is None:
            raise NotFound(f"No review with id {review_id}.")
        return Review.from_row(row)

    def reviews_for_project(self, project_id: int) -> dict[int, list[Review]]:
        """Every review of the project's questions, grouped by question (for exports)."""
        rows = self.conn.execute(
            "SELECT r.* FROM reviews r JOIN questions q ON q.id = r.question_id"
            " WHERE q.project_id = ? ORDER BY r.id",
            (project_id,),
        )
        grouped: dict[int, list[Review]] = {}
        for r in rows:
            grouped.setdefault(r["question_id"], []).append(Review.from_row(r))
        return grouped

    def undo_review(self, review_id: int, reviewer: str, origin: str = "tui") -> Review:
        """Restore the values a review replaced, as a new 'undo' review."""
        target = self.review(review_id)
        restore = {f: v[0] for f, v in target.changes.items()}
        return self.record_review(
            target.question_id, reviewer, "undo", restore, origin=origin,
            undoes_review_id=review_id,
        )

    def snapshot_source_questions(self, project_id: int) -> list[Question]:
        """Approved questions, in id order: the input of a dataset snapshot."""
        return self.list_questions(project_id, QuestionFilter(status="approved"))
