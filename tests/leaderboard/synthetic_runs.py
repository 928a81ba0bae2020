"""Synthetic evaluation runs with known per-sample outcomes, written through the store API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from store import Store
from store.records import NewQuestion, Project, SampleResult, Score
from store.snapshots import SnapshotItem

DEFAULT_SETTINGS = {"formulation": "mcf", "fewshot": 0, "seed": 1234, "chat_template": False,
                    "system_prompt": None, "dtype": "float32", "backend": "transformers"}


def make_questions(store: Store, project: Project, count: int) -> list[int]:
    """Approved four-option questions whose correct answer is option A."""
    return store.add_questions([
        NewQuestion(project_id=project.id, question=f"Question {i}?",
                    options=[f"right {i}", f"wrong {i}a", f"wrong {i}b", f"wrong {i}c"],
                    answer_index=0, status="approved", source="import")
        for i in range(count)
    ])


def make_snapshot(store: Store, project: Project, question_ids: Sequence[int], name: str) -> str:
    items = [SnapshotItem(i, "test", qid, {"question": f"Question {i}? ({name})",
                                           "options": [f"right {i}", f"wrong {i}a",
                                                       f"wrong {i}b", f"wrong {i}c"],
                                           "answer_index": 0, "question_id": qid,
                                           "cluster": f"passage-{i // 2}"})
             for i, qid in enumerate(question_ids)]
    snap, _ = store.add_snapshot(f"snap-{name}", project.id, items)
    return snap.id


def add_run(
    store: Store, project: Project, model: str, task: str, outcomes: Sequence[float],
    question_ids: Sequence[int] | None = None, clusters: Sequence[str | None] | None = None,
    snapshot_id: str | None = None, settings: dict[str, Any] | None = None,
) -> int:
    """A finished run: sample i is right when outcomes[i] is 1 (prediction 0 = gold) and
    otherwise picks option 1; logprobs favour the prediction."""
    run = store.create_eval_run(project.id, model, task, settings or DEFAULT_SETTINGS,
                                config_hash=f"{model}/{task}/{len(outcomes)}",
                                snapshot_id=snapshot_id)
    samples = []
    for i, ok in enumerate(outcomes):
        pred = 0 if ok else 1
        logprobs = [-0.5 if j == pred else -2.0 - j for j in range(4)]
        samples.append(SampleResult(
            sample_index=i, correct=float(ok), gold_index=0, prediction_index=pred,
            question_id=None if question_ids is None else question_ids[i],
            cluster=None if clusters is None else clusters[i], logprobs=logprobs,
            metrics={"acc": float(ok)},
        ))
    mean = sum(outcomes) / len(outcomes)
    store.complete_eval_run(run.id, {"acc": Score("acc", mean, None)}, samples, {})
    return run.id
