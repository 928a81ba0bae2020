"""Evaluation runs, their scores and per-sample results."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from store.base import StoreBase, utc_now
from store.errors import NotFound
from store.records import EvalRun, SampleResult, Score


class EvalsMixin(StoreBase):
    def create_eval_run(
        self, project_id: int, model_name: str, task: str, settings: dict[str, Any],
        config_hash: str, model_id: int | None = None, snapshot_id: str | None = None,
        job_id: int | None = None,
    ) -> EvalRun:
        """Start recording a run (state 'running', phase 'waiting')."""
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO eval_runs(project_id, job_id, model_id, model_name, snapshot_id, task,"
                " settings, config_hash, state, phase, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,'running','waiting',?)",
                (project_id, job_id, model_id, model_name, snapshot_id, task,
                 json.dumps(settings, sort_keys=True), config_hash, utc_now()),
            )
        return self.eval_run(int(cur.lastrowid or 0))

    def complete_eval_run(
        self, run_id: int, scores: dict[str, Score], samples: Iterable[SampleResult],
        repro: dict[str, Any],
    ) -> EvalRun:
        """Store scores, every per-sample result and the reproducibility record, and mark the
        run done, all in one transaction (a crash leaves the run 'running', never half-full)."""
        with self.transaction() as c:
            c.executemany(
                "INSERT OR REPLACE INTO scores(run_id, metric, value, stderr) VALUES (?,?,?,?)",
                [(run_id, s.metric, s.value, s.stderr) for s in scores.values()],
            )
            c.executemany(
                "INSERT OR REPLACE INTO sample_results(run_id, sample_index, question_id, cluster,"
                " gold_index, prediction_index, correct, logprobs, metrics, reply)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(run_id, s.sample_index, s.question_id, s.cluster, s.gold_index,
                  s.prediction_index, s.correct, json.dumps(s.logprobs), json.dumps(s.metrics),
                  s.reply)
                 for s in samples],
            )
            c.execute(
                "UPDATE eval_runs SET state='done', phase='done', error=NULL, repro=?,"
                " finished_at=? WHERE id=?",
                (json.dumps(repro, sort_keys=True, default=str), utc_now(), run_id),
            )
        return self.eval_run(run_id)

    def set_eval_progress(
        self, progress: dict[int, tuple[str, int, int | None]]
    ) -> None:
        """{run id: (phase, scored, samples)} of running runs, in one cheap write."""
        if not progress:
            return
        with self.transaction() as c:
            c.executemany(
                "UPDATE eval_runs SET phase=?, scored=?, samples=COALESCE(?, samples)"
                " WHERE id=? AND state='running'",
                [(phase, scored, samples, run_id)
                 for run_id, (phase, scored, samples) in progress.items()],
            )

    def interrupt_eval_runs(self, job_id: int, error: str) -> int:
        """Mark a job's unfinished runs 'interrupted' (it stopped: killed, cancelled); they
        keep their progress and a resume of that job continues them."""
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE eval_runs SET state='interrupted', error=? WHERE job_id=?"
                " AND state='running'", (error, job_id))
        return cur.rowcount

    def continue_eval_run(self, job_id: int, config_hash: str) -> EvalRun | None:
        """The job's interrupted run with this configuration, running again (its resume);
        None when it has none."""
        with self.transaction() as c:
            row = c.execute(
                "SELECT id FROM eval_runs WHERE job_id=? AND config_hash=?"
                " AND state IN ('interrupted','running') ORDER BY id DESC LIMIT 1",
                (job_id, config_hash)).fetchone()
            if row is None:
                return None
            c.execute("UPDATE eval_runs SET state='running', phase='waiting', error=NULL"
                      " WHERE id=?", (row["id"],))
        return self.eval_run(row["id"])

    def job_eval_runs(self, job_id: int) -> list[EvalRun]:
        """The runs a job recorded, oldest first (no scores: for progress displays)."""
        rows = self.conn.execute(
            "SELECT * FROM eval_runs WHERE job_id = ? ORDER BY id", (job_id,)).fetchall()
        return [EvalRun.from_row(r) for r in rows]

    def fail_eval_run(self, run_id: int, error: str) -> EvalRun:
        """Mark a run failed with a message a user can act on."""
        with self.transaction() as c:
            c.execute(
                "UPDATE eval_runs SET state='failed', error=?, finished_at=? WHERE id=?",
                (error, utc_now(), run_id),
            )
        return self.eval_run(run_id)

    def _scores(self, run_ids: list[int]) -> dict[int, dict[str, Score]]:
        out: dict[int, dict[str, Score]] = {rid: {} for rid in run_ids}
        for i in range(0, len(run_ids), 500):
            part = run_ids[i : i + 500]
            for r in self.conn.execute(
                f"SELECT * FROM scores WHERE run_id IN ({','.join('?' * len(part))})", part
            ):
                out[r["run_id"]][r["metric"]] = Score(r["metric"], r["value"], r["stderr"])
        return out

    def eval_run(self, run_id: int) -> EvalRun:
        """One run with its scores; NotFound otherwise."""
        row = self.conn.execute("SELECT * FROM eval_runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise NotFound(f"No evaluation run with id {run_id}.", "See 'workbench eval list'.")
        return EvalRun.from_row(row, self._scores([run_id])[run_id])

    def eval_runs(
        self, project_id: int, state: str | None = None, task: str | None = None,
        model_name: str | None = None,
    ) -> list[EvalRun]:
        """The project's runs with their scores, oldest first."""
        sql = "SELECT * FROM eval_runs WHERE project_id = ?"
        args: list[Any] = [project_id]
        for col, val in (("state", state), ("task", task), ("model_name", model_name)):
            if val is not None:
                sql += f" AND {col} = ?"
                args.append(val)
        rows = self.conn.execute(sql + " ORDER BY id", args).fetchall()
        scores = self._scores([r["id"] for r in rows])
        return [EvalRun.from_row(r, scores[r["id"]]) for r in rows]

    def finished_run_with_config(self, config_hash: str) -> EvalRun | None:
        """The latest finished run with this configuration hash, for reuse."""
        row = self.conn.execute(
            "SELECT * FROM eval_runs WHERE config_hash = ? AND state = 'done' ORDER BY id DESC LIMIT 1",
            (config_hash,),
        ).fetchone()
        return None if row is None else self.eval_run(row["id"])

    def unparsed_counts(self, run_ids: list[int]) -> dict[int, int]:
        """{run id: replies with no answer read from them} for runs with written replies
        (the generative formulation); runs scored by log-likelihood are absent."""
        out: dict[int, int] = {}
        for i in range(0, len(run_ids), 500):
            part = run_ids[i : i + 500]
            rows = self.conn.execute(
                "SELECT run_id, SUM(prediction_index IS NULL) FROM sample_results"
                f" WHERE reply IS NOT NULL AND run_id IN ({','.join('?' * len(part))})"
                " GROUP BY run_id", part)
            out.update({int(r[0]): int(r[1]) for r in rows})
        return out

    def sample_results(self, run_id: int) -> list[SampleResult]:
        """A run's per-sample results in sample order."""
        rows = self.conn.execute(
            "SELECT * FROM sample_results WHERE run_id = ? ORDER BY sample_index", (run_id,)
        )
        return [SampleResult.from_row(r) for r in rows]
