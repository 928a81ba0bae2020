"""Item analysis and flips on real evaluation runs: the bundled model and a randomly
initialised one on the exam snapshot, then the bundled model again with its chat template.
The figures are recomputed here from the stored per-sample results, with scipy."""

from __future__ import annotations

import json
from typing import Any

import pytest
from scipy.stats import pointbiserialr

from store import Store
from store.records import Project
from workbench.results import items as it

pytestmark = pytest.mark.slow
LIMIT = 10


def _eval(cli: Any, *args: str) -> dict[str, Any]:
    out = cli("eval", "run", "--project", "exam", "--wait", "--json", "--formulation", "mcf",
              "--limit", str(LIMIT), *args, timeout=1200)
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout)


def test_items_and_flips_on_real_runs(cli, store: Store, exam_project: Project, exam_snapshot,
                                      random_model):
    first = _eval(cli, "--model", "smollm2-135m", "--model", "random-smollm2",
                  "--no-chat-template")
    runs = {r["model"]: r["id"] for r in first["runs"]}
    [analysis] = it.analyse_items(store, exam_project)
    assert analysis.snapshot_id == exam_snapshot.id and analysis.task == "project:mcf"
    assert [m.model for m in analysis.models] == ["random-smollm2", "smollm2-135m"]
    samples = {m: {s.question_id: s.correct for s in store.sample_results(runs[m])}
               for m in runs}
    assert len(analysis.items) == LIMIT and analysis.left_out == 0
    for m in analysis.models:
        assert m.right == sum(samples[m.model].values())
    models = sorted(runs)
    totals = {m: sum(samples[m].values()) for m in models}
    for item in analysis.items:
        x = [samples[m][item.question_id] for m in models]
        assert item.difficulty == sum(x) / len(x)
        y = [totals[m] - samples[m][item.question_id] for m in models]
        if len(set(x)) > 1 and len(set(y)) > 1:
            assert item.discrimination == pytest.approx(pointbiserialr(x, y).statistic)
        else:
            assert item.discrimination is None
        assert (item.category == it.EVERY_MODEL_RIGHT) == (sum(x) == len(x))
        assert (item.category == it.EVERY_MODEL_WRONG) == (sum(x) == 0)
    out = cli("items", "--project", "exam", "--flag", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    listed = {c: set(v) for c, v in data["analyses"][0]["listed"].items()}
    for qid in {q for ids in listed.values() for q in ids}:
        flags = set(store.question(qid).flags) & set(it.ITEM_FLAGS)
        assert flags == {c for c, ids in listed.items() if qid in ids}

    # The same model again with its chat template: which questions flipped?
    second = _eval(cli, "--model", "smollm2-135m", "--chat-template")
    [again] = second["runs"]
    flips = it.run_flips(store, runs["smollm2-135m"], again["id"])
    before = {s.question_id: s.correct for s in store.sample_results(runs["smollm2-135m"])}
    after = {s.question_id: s.correct for s in store.sample_results(again["id"])}
    expected = [(q, "broke" if before[q] else "fixed") for q in before if before[q] != after[q]]
    assert [(f.question_id, f.direction) for f in flips.flips] == expected
    assert "chat_template" in " ".join(flips.warnings) or "override_chat_template" in " ".join(
        flips.warnings)
