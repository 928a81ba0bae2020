"""Read queries behind the leaderboard and model comparison: per-sample results with
their source passage or document, for clustered error bars and paired tests."""

from __future__ import annotations

import json

from store.base import StoreBase
from store.errors import InvalidInput
from store.records import SampleResult

CLUSTER_BY = ("passage", "document")


class LeaderboardMixin(StoreBase):
    def samples_for_runs(
        self, run_ids: list[int], cluster_by: str = "passage", details: bool = False,
    ) -> dict[int, list[SampleResult]]:
        """Per-sample results of several runs in sample order, with ``cluster`` set to the
        question's source passage (default) or source document.

        Passage: the run's recorded cluster, else the question's chunk. Document: the
        question's document, else the recorded cluster. ``details`` also loads per-option
        logprobs, metrics and written replies (slower; the leaderboard does not need them).
        """
        if cluster_by not in CLUSTER_BY:
            raise InvalidInput(f"Unknown clustering '{cluster_by}'.",
                               f"Choose one of: {', '.join(CLUSTER_BY)}.")
        out: dict[int, list[SampleResult]] = {rid: [] for rid in run_ids}
        extra = ", s.logprobs, s.metrics, s.reply" if details else ""
        for i in range(0, len(run_ids), 500):
            part = run_ids[i : i + 500]
            rows = self.conn.execute(
                "SELECT s.run_id, s.sample_index, s.correct, s.gold_index, s.prediction_index,"
                f" s.question_id, s.cluster, q.chunk_id, q.document_id{extra}"
                " FROM sample_results s LEFT JOIN questions q ON q.id = s.question_id"
                f" WHERE s.run_id IN ({','.join('?' * len(part))})"
                " ORDER BY s.run_id, s.sample_index",
                part,
            )
            for r in rows:
                recorded, chunk_id, doc_id = r[6], r[7], r[8]
                if cluster_by == "passage":
                    cluster = recorded if recorded is not None else (
                        None if chunk_id is None else f"chunk:{chunk_id}")
                else:
                    cluster = f"document:{doc_id}" if doc_id is not None else recorded
                out[r[0]].append(SampleResult(
                    sample_index=r[1], correct=r[2], gold_index=r[3], prediction_index=r[4],
                    question_id=r[5], cluster=cluster,
                    logprobs=json.loads(r[9]) if details and r[9] else [],
                    metrics=json.loads(r[10]) if details and r[10] else {},
                    reply=r[11] if details else None,
                ))
        return out
