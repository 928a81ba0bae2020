"""Computed checks on questions: flags set in bulk (item analysis) and the stored results of
model checks (a judge model's verdict per question, with judge, prompt and seed)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from store.base import StoreBase, utc_now


@dataclass(frozen=True)
class ModelCheckResult:
    """One check of one question by one judge. ``choice_index`` is the judge's pick;
    ``key_hits`` of ``trials`` shuffled orders had the key as its top letter."""

    question_id: int
    project_id: int
    check_kind: str  # open-book | options-only
    judge: str
    prompt_version: str
    seed: int
    key_index: int
    choice_index: int
    key_hits: int
    trials: int
    key_probability: float
    p_value: float | None
    flagged: bool
    judge_revision: str | None = None
    job_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    created_at: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ModelCheckResult:
        return cls(
            id=row["id"], question_id=row["question_id"], project_id=row["project_id"],
            job_id=row["job_id"], check_kind=row["check_kind"], judge=row["judge"],
            judge_revision=row["judge_revision"], prompt_version=row["prompt_version"],
            seed=row["seed"], key_index=row["key_index"], choice_index=row["choice_index"],
            key_hits=row["key_hits"], trials=row["trials"],
            key_probability=row["key_probability"], p_value=row["p_value"],
            flagged=bool(row["flagged"]), details=json.loads(row["details"] or "{}"),
            created_at=row["created_at"],
        )


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

    def record_model_checks(self, results: list[ModelCheckResult],
                            flags: dict[int, list[str]]) -> None:
        """Store check results and the questions' new flags in one transaction (a resumed
        job finds either both or neither)."""
        now = utc_now()
        with self.transaction() as c:
            c.executemany(
                "INSERT INTO model_check_results(question_id, project_id, job_id, check_kind,"
                " judge, judge_revision, prompt_version, seed, key_index, choice_index, key_hits,"
                " trials, key_probability, p_value, flagged, details, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(r.question_id, r.project_id, r.job_id, r.check_kind, r.judge, r.judge_revision,
                  r.prompt_version, r.seed, r.key_index, r.choice_index, r.key_hits, r.trials,
                  r.key_probability, r.p_value, int(r.flagged), json.dumps(r.details), now)
                 for r in results],
            )
            self.replace_question_flags(flags)

    def model_check_results(self, project_id: int, question_id: int | None = None,
                            latest_only: bool = True) -> list[ModelCheckResult]:
        """The project's model-check results in question order (optionally one question);
        ``latest_only`` keeps the newest result per question and check."""
        sql = "SELECT * FROM model_check_results r WHERE r.project_id = ?"
        args: list[Any] = [project_id]
        if question_id is not None:
            sql += " AND r.question_id = ?"
            args.append(question_id)
        if latest_only:
            sql += (" AND r.id = (SELECT MAX(l.id) FROM model_check_results l"
                    " WHERE l.question_id = r.question_id AND l.check_kind = r.check_kind)")
        rows = self.conn.execute(sql + " ORDER BY r.question_id, r.check_kind, r.id", args)
        return [ModelCheckResult.from_row(r) for r in rows]

    def job_checked_question_ids(self, job_id: int) -> set[int]:
        """Questions a model-check job already stored results for (resume skips them)."""
        return {int(r[0]) for r in self.conn.execute(
            "SELECT DISTINCT question_id FROM model_check_results WHERE job_id = ?", (job_id,))}
