"""Real evaluation runs on two genuinely different local models, checked against the plain
lighteval CLI, against our own per-sample results, and against a second identical run."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from store import Store
from store.records import Project
from tests.evaluation.test_lighteval_equality import plain_lighteval
from workbench.evaluation.task_file import task_name
from workbench.snapshots import TASK_FILE_NAME, export_snapshot

pytestmark = pytest.mark.slow
LIMIT = 20  # questions per run: enough for "near chance", small enough for 2 CPU cores

BUNDLED = "smollm2-135m"
RANDOM = "random-smollm2"


def _eval(cli: Any, *args: str) -> dict[str, Any]:
    out = cli("eval", "run", "--project", "exam", "--wait", "--json", *args, timeout=1200)
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout)


def _check_samples(store: Store, run: dict[str, Any], snapshot_id: str, count: int) -> None:
    """Every per-sample result matches its frozen question and recomputes the scores."""
    all_items = store.snapshot_items(snapshot_id, "test")
    samples = store.sample_results(run["id"])
    assert len(samples) == count and len({s.sample_index for s in samples}) == count
    items = [all_items[s.sample_index] for s in samples]
    assert [s.question_id for s in samples] == [i.question_id for i in items]
    assert [s.cluster for s in samples] == [i.payload["cluster"] for i in items]
    assert [s.gold_index for s in samples] == [i.payload["answer_index"] for i in items]
    for s, item in zip(samples, items, strict=True):
        assert len(s.logprobs) == len(item.payload["options"])
        assert s.prediction_index == max(range(len(s.logprobs)), key=s.logprobs.__getitem__)
        assert s.correct == float(s.prediction_index == s.gold_index)
        assert set(s.metrics) == {"acc", "acc_norm"}
    n = len(samples)
    for metric in ("acc", "acc_norm"):
        values = [s.metrics[metric] for s in samples]
        mean = sum(values) / n
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
        assert run["scores"][metric]["value"] == pytest.approx(mean, abs=1e-9)
        assert run["scores"][metric]["stderr"] == pytest.approx(std / math.sqrt(n), abs=1e-9)


def test_two_models_through_workbench_and_the_plain_lighteval_cli_agree(
        cli, store: Store, exam_project: Project, exam_snapshot, random_model, bundled_dir: Path,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    request = ("--model", BUNDLED, "--model", RANDOM, "--formulation", "mcf",
               "--limit", str(LIMIT), "--no-chat-template")
    data = _eval(cli, *request)
    runs = {(r["model"], r["task"]): r for r in data["runs"]}
    assert set(runs) == {(BUNDLED, "project:mcf"), (RANDOM, "project:mcf")}
    assert all(r["state"] == "done" and not r["reused"] for r in runs.values())
    for run in runs.values():
        _check_samples(store, run, exam_snapshot.id, LIMIT)
        settings = run["settings"]
        assert settings["override_chat_template"] is False
        assert (settings["fewshot"], settings["dtype"], settings["backend"], settings["limit"]) == (
            0, "float32", "transformers", LIMIT)
        repro = run["repro"]
        assert repro["versions"]["lighteval"] == "0.13.0"
        assert repro["model"]["revision"].startswith("sha256:")
        assert repro["task_config"]["hf_repo"] and repro["prompt_function"]
        assert "Answer:" in repro["example_prompt"] and "<|im_start|>" not in repro["example_prompt"]
        assert repro["wall_time_s"]["evaluate_s"] > 0 and repro["hardware"]["cpu_count"]
        # The transformers backend's default scorer, in the settings and as the model ran.
        assert settings["scorer"] == repro["model"]["scorer"] == "prefix-sharing"

    # Two genuinely different models: different answers, and the random one near chance.
    bundled = store.sample_results(runs[(BUNDLED, "project:mcf")]["id"])
    rand = store.sample_results(runs[(RANDOM, "project:mcf")]["id"])
    assert [s.logprobs for s in bundled] != [s.logprobs for s in rand]
    assert runs[(BUNDLED, "project:mcf")]["repro"]["model"]["revision"] != \
        runs[(RANDOM, "project:mcf")]["repro"]["model"]["revision"]
    chance = sum(1 / len(s.logprobs) for s in rand) / len(rand)
    spread = math.sqrt(chance * (1 - chance) / len(rand))
    assert abs(runs[(RANDOM, "project:mcf")]["scores"]["acc"]["value"] - chance) <= 3 * spread

    # The plain lighteval CLI on the exported task gives the same numbers, sample by sample.
    folder = export_snapshot(store, exam_snapshot.id, tmp_path / "export")
    name = task_name(exam_snapshot.id, "mcf")
    results = json.loads(plain_lighteval(bundled_dir, folder / TASK_FILE_NAME, [f"{name}|0"],
                                         tmp_path / "lighteval", limit=LIMIT).read_text()
                         )["results"]
    ours = runs[(BUNDLED, "project:mcf")]["scores"]
    for metric in ("acc", "acc_norm"):
        assert round(results[f"{name}|0"][metric], 4) == round(ours[metric]["value"], 4)
        assert results[f"{name}|0"][f"{metric}_stderr"] == pytest.approx(ours[metric]["stderr"])
    import pandas as pd

    parquet = sorted((tmp_path / "lighteval").glob("details/**/details_*.parquet"))
    assert parquet, list((tmp_path / "lighteval").rglob("*"))
    details = pd.read_parquet(parquet[0])
    theirs = sorted((int(d["id"]), float(m["acc"]))
                    for d, m in zip(details["doc"], details["metric"], strict=True))
    assert theirs == [(s.sample_index, s.correct) for s in bundled]

    # The same request again is answered from the store.
    before = store.table_counts()
    again = _eval(cli, *request)
    assert all(r["reused"] for r in again["runs"])
    assert {r["id"] for r in again["runs"]} == {r["id"] for r in runs.values()}
    assert store.table_counts()["eval_runs"] == before["eval_runs"]

    # The scorer is not part of a run's identity: with lighteval's own scorer the same
    # request is still answered from the store; forced, it is recomputed, recorded as
    # 'lighteval', with the same numbers sample by sample.
    monkeypatch.setenv("WORKBENCH_FAST_SCORER", "0")
    assert all(r["reused"] for r in _eval(cli, *request)["runs"])
    [slow] = _eval(cli, "--model", BUNDLED, "--formulation", "mcf", "--limit", str(LIMIT),
                   "--no-chat-template", "--force")["runs"]
    assert not slow["reused"] and slow["id"] != runs[(BUNDLED, "project:mcf")]["id"]
    assert slow["settings"]["scorer"] == slow["repro"]["model"]["scorer"] == "lighteval"
    assert {k: v for k, v in slow["settings"].items() if k != "scorer"} == {
        k: v for k, v in runs[(BUNDLED, "project:mcf")]["settings"].items() if k != "scorer"}
    theirs_samples = store.sample_results(slow["id"])
    assert len(theirs_samples) == len(bundled) == LIMIT
    for a, b in zip(bundled, theirs_samples, strict=True):
        assert a.logprobs == pytest.approx(b.logprobs, abs=1e-4)
        assert (a.sample_index, a.prediction_index, a.metrics) == (
            b.sample_index, b.prediction_index, b.metrics)


def test_a_rerun_is_identical_and_a_task_that_cannot_run_fails_alone(
        cli, store: Store, exam_project: Project, exam_snapshot, bundled_dir: Path):
    args = ("--model", BUNDLED, "--formulation", "cloze", "--limit", "4", "--no-chat-template",
            "--snapshot", "latest", "--task", "mmlu:anatomy|0", "--task", "no_such_task|0")
    first = {r["task"]: r for r in _eval(cli, *args)["runs"]}
    assert first["project:cloze"]["state"] == "done"
    assert first["mmlu:anatomy"]["state"] == "failed"
    assert "cannot load its dataset" in first["mmlu:anatomy"]["error"]
    assert first["no_such_task"]["state"] == "failed"
    assert "Unknown lighteval task" in first["no_such_task"]["error"]
    _check_samples(store, first["project:cloze"], exam_snapshot.id, 4)

    second = {r["task"]: r for r in _eval(cli, *args, "--force")["runs"]}
    a, b = first["project:cloze"], second["project:cloze"]
    assert a["id"] != b["id"] and a["config_hash"] == b["config_hash"]
    assert store.sample_results(a["id"]) == store.sample_results(b["id"])
    assert a["scores"] == b["scores"]

    chat = {r["task"]: r for r in _eval(cli, "--model", BUNDLED, "--formulation", "cloze",
                                        "--limit", "4", "--chat-template")["runs"]}
    run = chat["project:cloze"]
    assert run["settings"]["override_chat_template"] is True
    assert run["config_hash"] != a["config_hash"] and not run["reused"]
    assert "<|im_start|>" in run["repro"]["example_prompt"]
