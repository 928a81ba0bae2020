"""Workbench's evaluation equals the plain lighteval CLI, sample by sample.

Our product's run (``workbench eval run``: a real job process, with whatever scorer the
transformers backend uses by default) and the lighteval CLI itself (through our offline
launcher only), both on the exported snapshot's custom task file and the bundled model.
Per sample: the same question and gold answer, the same prediction, every option's
log-likelihood within 1e-4, the same metric values; then the aggregates.

Axes: formulation (letters ``mcf``, ``cloze``), chat template on/off, 0 and 5 few-shot
examples. On 2 shared CPU cores the full cross product (8 runs on each side) is far too
slow: the plain CLI scores every option with the whole prompt, and a 5-shot prompt is about
six times a 0-shot one. So two cases cover every value of every axis once, the 5-shot one
without the chat template (the cheaper prompts):

    mcf,   chat template off, 5-shot
    cloze, chat template on,  0-shot

Each case evaluates all 105 test questions of the snapshot (30 from the exam project, 75
generated, among them options that share leading tokens), 5 held out as few-shot examples.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from store import Store
from tests.evaluation.test_fast_scorer import large_snapshot  # noqa: F401  (fixture)
from workbench.evaluation.task_file import task_name

# Two evaluations of 105 questions per case: minutes on 2 CPU cores (the plain CLI scores
# every option with the whole prompt), far longer when the cores are shared.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3000)]

REPO = Path(__file__).resolve().parents[2]
BUNDLED = "smollm2-135m"
QUESTIONS = 105
LOGPROB_TOLERANCE = 1e-4


def plain_lighteval(model_dir: Path, task_file: Path, tasks: list[str], out: Path,
                    chat_template: bool = False, limit: int | None = None) -> Path:
    """The lighteval CLI itself (through our offline launcher), as a user would run it;
    ``tasks`` are ``NAME|FEWSHOT``. Returns its results file.

    Run from the model's parent folder with a relative model name: lighteval writes its
    answer cache under cache_dir/model_name, which for an absolute path is the model folder."""
    args = (f"model_name={model_dir.name},batch_size=8,"
            f"override_chat_template={chat_template},dtype=float32,cache_dir={out / 'cache'}")
    command = [sys.executable, "-m", "workbench.evaluation.lighteval_cli", "accelerate", args,
               ",".join(tasks), "--custom-tasks", str(task_file), "--output-dir", str(out),
               "--save-details"]
    if limit is not None:
        command += ["--max-samples", str(limit)]
    proc = subprocess.run(
        command, capture_output=True, text=True, timeout=1500, cwd=model_dir.parent,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    found = sorted(out.glob("results/**/results_*.json"))
    assert len(found) == 1, found
    return found[0]


def lighteval_details(out: Path, task: str) -> list[dict[str, Any]]:
    """The CLI's per-sample details of one task (its parquet file), in sample order."""
    import pandas as pd

    safe = task.replace("|", "_").replace(":", "_")
    files = [p for p in sorted(out.glob("details/**/details_*.parquet"))
             if task in p.name or safe in p.name]
    assert len(files) == 1, (task, list(out.rglob("*.parquet")))
    frame = pd.read_parquet(files[0])
    rows = [{"doc": d, "response": r, "metric": m} for d, r, m in
            zip(frame["doc"], frame["model_response"], frame["metric"], strict=True)]
    return sorted(rows, key=lambda row: int(row["doc"]["id"]))


@pytest.mark.parametrize(("formulation", "chat_template", "fewshot"), [
    ("mcf", False, 5), ("cloze", True, 0)],
    ids=["mcf-no-chat-template-5-shot", "cloze-chat-template-0-shot"])
def test_our_run_equals_the_plain_lighteval_cli_sample_by_sample(
        cli: Any, store: Store, large_snapshot: tuple[str, Path],  # noqa: F811
        bundled_dir: Path, tmp_path: Path, formulation: str, chat_template: bool,
        fewshot: int) -> None:
    snapshot_id, task_file = large_snapshot
    out = cli("eval", "run", "--project", "exam", "--wait", "--json", "--model", BUNDLED,
              "--snapshot", snapshot_id, "--formulation", formulation,
              "--fewshot", str(fewshot),
              "--chat-template" if chat_template else "--no-chat-template", timeout=1200)
    assert out.returncode == 0, out.stderr[-4000:]
    (run,) = json.loads(out.stdout)["runs"]
    assert run["state"] == "done", run
    assert run["settings"]["override_chat_template"] is chat_template
    assert run["settings"]["fewshot"] == fewshot
    ours = store.sample_results(run["id"])
    assert len(ours) == QUESTIONS

    name = task_name(snapshot_id, formulation)
    spec = f"{name}|{fewshot}"
    results_file = plain_lighteval(bundled_dir, task_file, [spec], tmp_path / "lighteval",
                                   chat_template=chat_template)
    theirs = lighteval_details(tmp_path / "lighteval", name)
    assert len(theirs) == QUESTIONS

    # The axes really are what the case says, in both runs: the same prompt for sample 0,
    # wrapped in the chat template or not, with its worked examples before the question.
    prompt = run["repro"]["example_prompt"]
    assert prompt.startswith("<|im_start|>") is chat_template
    assert prompt.count("Question:") == fewshot + 1
    from transformers import AutoTokenizer

    # lighteval's details keep the prompt as tokens, cut where the option's tokens start
    # (a trailing newline of the chat template joins the option's first token); the
    # options' token lists are padded with -1
    tokenizer = AutoTokenizer.from_pretrained(bundled_dir)
    first = theirs[0]["response"]
    tokens = [int(t) for t in (*first["input_tokens"], *first["output_tokens"][0]) if t >= 0]
    assert tokenizer.decode(tokens) == prompt + theirs[0]["doc"]["choices"][0]

    worst = 0.0
    for sample, row in zip(ours, theirs, strict=True):
        doc, logprobs = row["doc"], [float(x) for x in row["response"]["logprobs"]]
        assert sample.sample_index == int(doc["id"])
        assert sample.gold_index == int(doc["gold_index"])
        assert len(sample.logprobs) == len(logprobs) == len(doc["choices"]) == 4
        for a, b in zip(sample.logprobs, logprobs, strict=True):
            assert abs(a - b) <= LOGPROB_TOLERANCE, (sample.sample_index, sample.logprobs,
                                                     logprobs)
            worst = max(worst, abs(a - b))
        assert sample.prediction_index == max(range(4), key=logprobs.__getitem__), (
            sample.sample_index, sample.logprobs, logprobs)
        assert sample.metrics == {k: float(v) for k, v in row["metric"].items()}, (
            sample.sample_index)
    print(f"{spec}: {QUESTIONS} samples, largest log-likelihood difference {worst:.2e}")

    results = json.loads(results_file.read_text())["results"][spec]
    for metric in ("acc", "acc_norm"):
        assert results[metric] == pytest.approx(run["scores"][metric]["value"], abs=1e-12)
        assert results[f"{metric}_stderr"] == pytest.approx(run["scores"][metric]["stderr"],
                                                            abs=1e-12)
