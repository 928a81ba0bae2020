"""The Review screen's reads: keyset navigation through a filtered view, positions, the
latest undoable decision, and the choices of the filter dialog.

Navigation never loads a list of ids: every step is one indexed ``LIMIT 1`` query, so moving
on stays instant with 100k questions in a project.
"""

from __future__ import annotations

from store.base import StoreBase
from store.questions import QuestionFilter
from store.records import Review


class ReviewQueriesMixin(StoreBase):
    def neighbour_question_id(
        self, project_id: int, filt: QuestionFilter, question_id: int, forward: bool = True
    ) -> int | None:
        """The id of the question after (or before) ``question_id`` in id order among those
        matching ``filt``; ``question_id`` itself need not match. None at the end."""
        where, args = filt.where(project_id)
        if filt.flag:
            where += " AND q.flags != '[]'"  # skips json_each on the many unflagged rows
        op, order = (">", "ASC") if forward else ("<", "DESC")
        row = self.conn.execute(
            f"SELECT q.id FROM questions q WHERE {where} AND q.id {op} ?"
            f" ORDER BY q.id {order} LIMIT 1",
            [*args, question_id],
        ).fetchone()
        return None if row is None else int(row[0])

    def first_question_id(self, project_id: int, filt: QuestionFilter) -> int | None:
        """The lowest id matching ``filt``, or None when nothing matches."""
        return self.neighbour_question_id(project_id, filt, 0, forward=True)

    def question_in_project(self, project_id: int, question_id: int) -> bool:
        """Whether the question exists and belongs to the project."""
        row = self.conn.execute(
            "SELECT 1 FROM questions WHERE id = ? AND project_id = ?", (question_id, project_id)
        ).fetchone()
        return row is not None

    def latest_review(self, question_id: int) -> Review | None:
        """The question's most recent review, or None if it was never reviewed."""
        row = self.conn.execute(
            "SELECT * FROM reviews WHERE question_id = ? ORDER BY id DESC LIMIT 1",
            (question_id,),
        ).fetchone()
        return None if row is None else Review.from_row(row)

    def last_undoable_review(self, project_id: int, reviewer: str) -> Review | None:
        """``reviewer``'s most recent decision in the project that is not an undo and has not
        been undone; None when there is none."""
        row = self.conn.execute(
            "SELECT r.* FROM reviews r JOIN questions q ON q.id = r.question_id"
            " WHERE r.reviewer = ? AND q.project_id = ? AND r.action != 'undo'"
            " AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes_review_id = r.id)"
            " ORDER BY r.id DESC LIMIT 1",
            (reviewer, project_id),
        ).fetchone()
        return None if row is None else Review.from_row(row)

    def document_title(self, document_id: int) -> str | None:
        """A document's title without loading its text; None if it is gone."""
        row = self.conn.execute(
            "SELECT title FROM documents WHERE id = ?", (document_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def question_filter_choices(self, project_id: int) -> dict[str, list[tuple[str, str]]]:
        """What the filter dialog offers: {'documents': [(id, title)], 'models': [(name,
        name)], 'flags': [(flag, flag)]}, each sorted for display."""
        c = self.conn
        documents = [
            (str(r[0]), str(r[1])) for r in c.execute(
                "SELECT id, title FROM documents WHERE project_id = ? ORDER BY title, id",
                (project_id,),
            )
        ]
        models = [
            (str(r[0]), str(r[0])) for r in c.execute(
                "SELECT DISTINCT model_name FROM questions WHERE project_id = ?"
                " AND model_name IS NOT NULL ORDER BY model_name",
                (project_id,),
            )
        ]
        flags = [
            (str(r[0]), str(r[0])) for r in c.execute(
                "SELECT DISTINCT j.value FROM questions q, json_each(q.flags) j"
                " WHERE q.project_id = ? AND q.flags != '[]' ORDER BY j.value",
                (project_id,),
            )
        ]
        return {"documents": documents, "models": models, "flags": flags}
