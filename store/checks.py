"""Computed checks on questions: flags set in bulk (item analysis) and the stored results of
model checks (a judge model's answers per question, with judge, prompt and seed)."""

from __future__ import annotations

import json

from store.base import StoreBase


class ChecksMixin(StoreBase):
    def question_flags(self, question_ids: list[int]) -> dict[int, list[str]]:
        """{question id: flags} of the questions that exist among ``question_ids``."""
        out: dict[int, list[str]] = {}
        for i in range(0, len(question_ids), 500):
            part = question_ids[i : i + 500]
            for r in self.conn.execute(
                f"SELECT id, flags FROM questions WHERE id IN ({','.join('?' * len(part))})",
                part,
            ):
                out[int(r[0])] = json.loads(r[1] or "[]")
        return out

    def replace_question_flags(self, flags: dict[int, list[str]]) -> None:
        """Set several questions' flags in one transaction, without reviews (flags are
        computed, not decided; a status never changes here)."""
        if not flags:
            return
        with self.transaction() as c:
            c.executemany(
                "UPDATE questions SET flags = ? WHERE id = ?",
                [(json.dumps(sorted(set(f))), qid) for qid, f in flags.items()],
            )
