"""The generative formulation on the bundled model: the model writes its answer, the letter
is read from the reply, and the plain lighteval CLI on the exported task file computes the
same accuracy and unparsed share, reply by reply."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from store import Store
from store.records import Project
from tests.evaluation.written_answers import checked_written_answers
from workbench.evaluation.task_file import task_name
from workbench.snapshots import TASK_FILE_NAME, export_snapshot

pytestmark = pytest.mark.slow
# Greedy generation on 2 shared cores: 8 replies of up to 32 tokens took 285 s, so 4 here.
LIMIT = 4
REPO = Path(__file__).resolve().parents[2]


def _lighteval_cli(model_dir: Path, task_file: Path, task: str, out: Path) -> dict[str, Any]:
    """The lighteval CLI itself (our offline launcher), chat template on as our run had it."""
    args = (f"model_name={model_dir.name},batch_size=8,override_chat_template=True,"
            f"dtype=float32,cache_dir={out / 'cache'}")
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.evaluation.lighteval_cli", "accelerate", args,
         f"{task}|0", "--custom-tasks", str(task_file), "--max-samples", str(LIMIT),
         "--output-dir", str(out), "--save-details"],
        capture_output=True, text=True, timeout=1200, cwd=model_dir.parent,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [found] = sorted(out.glob("results/**/results_*.json"))
    return dict(json.loads(found.read_text())["results"][f"{task}|0"])


@pytest.mark.timeout(1800)
def test_generative_run_and_the_plain_lighteval_cli_agree(
        cli, store: Store, exam_project: Project, exam_snapshot, bundled_dir: Path,
        tmp_path: Path) -> None:
    out = cli("eval", "run", "--project", "exam", "--wait", "--json", "--model", "smollm2-135m",
              "--formulation", "generative", "--limit", str(LIMIT), "--chat-template",
              timeout=1500)
    assert out.returncode == 0, out.stderr[-4000:]
    [run] = json.loads(out.stdout)["runs"]
    assert (run["task"], run["state"]) == ("project:generative", "done")
    settings = store.eval_run(run["id"]).settings
    assert settings["formulation"] == "generative" and settings["temperature"] == 0.0
    assert settings["max_new_tokens"] == 32 and settings["override_chat_template"] is True

    # Each option read from its reply, up to its first stop sequence; the run's figures.
    samples = checked_written_answers(store, store.eval_run(run["id"]))
    assert len(samples) == LIMIT
    acc = sum(s.correct for s in samples) / LIMIT
    unparsed = sum(s.unparsed for s in samples)

    # eval show --json carries the replies and the unparsed count
    shown = cli("eval", "show", str(run["id"]), "--json", "--samples")
    assert shown.returncode == 0, shown.stderr[-2000:]
    data = json.loads(shown.stdout)
    assert data["unparsed"] == unparsed
    assert [s["reply"] for s in data["samples"]] == [s.reply for s in samples]

    # The plain lighteval CLI on the exported task file: the same numbers.
    folder = export_snapshot(store, exam_snapshot.id, tmp_path / "export")
    name = task_name(exam_snapshot.id, "generative")
    theirs = _lighteval_cli(bundled_dir, folder / TASK_FILE_NAME, name, tmp_path / "lighteval")
    assert theirs["acc"] == pytest.approx(acc)
    assert theirs["unparsed"] == pytest.approx(unparsed / LIMIT)
