"""Evaluation wall time: our 'eval' job versus the plain lighteval CLI, same task and model.

In one run, on a fresh home: the demo project's approved questions are frozen into a
snapshot and exported; then, alternately, for ``--rounds`` rounds:

- baseline: the ``lighteval accelerate`` CLI (through our offline launcher) on the exported
  task file, as a user would run it;
- ours: the 'eval' job process (``python -m workbench.jobs.runner``, exactly what
  ``workbench eval run`` starts), with ``--force`` so nothing is reused.

Both evaluate the bundled model on both formulations, batch size 8, chat template off.
Each is a child process measured from start to exit (wall time and peak RSS via wait4).
Prints the best time of each, the ratio ours / baseline (goal: <= 1.0x) and peak memory.

    .venv/bin/python bench/eval_wall_time.py [--rounds 1] [--formulation both] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(cmd: list[str], env: dict[str, str], log: Path, cwd: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one child process, from start to exit."""
    start = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({code}):\n{tail}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="Questions per task.")
    parser.add_argument("--formulation", choices=["mcf", "cloze", "both"], default="both")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from store import Store
    from workbench.bundled_model import ensure_model_dir, register_bundled_models
    from workbench.demo import create_demo_project
    from workbench.evaluation.plan import EvalRequest, RunOptions, formulations_from, project_tasks
    from workbench.settings import load_settings
    from workbench.snapshots import TASK_FILE_NAME, build_snapshot, export_snapshot

    with tempfile.TemporaryDirectory(prefix="bench-eval-") as tmp:
        work = Path(tmp)
        home = work / "home"
        home.mkdir()
        models = os.environ.get("WORKBENCH_TEST_MODELS")
        if models:  # reuse a converted bundled model instead of converting again
            (home / "models").symlink_to(models, target_is_directory=True)
        env = {**os.environ, "WORKBENCH_HOME": str(home), "HF_HUB_OFFLINE": "1",
               "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               "PYTHONPATH": os.pathsep.join(
                   p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
        settings = load_settings(env)
        store = Store(settings.store_path)
        register_bundled_models(store)
        project = create_demo_project(store, settings)
        snapshot = build_snapshot(store, project).snapshot
        folder = export_snapshot(store, snapshot.id, work / "export")
        model_dir = ensure_model_dir(settings, report=lambda m: None)
        options = RunOptions(formulations=formulations_from(args.formulation),
                             chat_template=False, force=True, limit=args.limit)
        tasks = [t.lighteval_spec for t in project_tasks(snapshot.id, options)]
        print(f"task: {args.limit or snapshot.question_count} questions x {len(tasks)} formulation(s), "
              f"model {model_dir.name}, batch 8, CPU threads {os.cpu_count()}")

        def baseline_cmd(round_: int) -> list[str]:
            # Relative model name, run from its parent: lighteval writes its answer cache
            # under cache_dir/model_name; a fresh cache_dir per round so nothing is reused.
            return [
                sys.executable, "-m", "workbench.evaluation.lighteval_cli", "accelerate",
                f"model_name={model_dir.name},batch_size=8,override_chat_template=False,"
                f"dtype=float32,cache_dir={work / f'lighteval-cache-{round_}'}",
                ",".join(tasks), "--custom-tasks", str(folder / TASK_FILE_NAME),
                "--output-dir", str(work / "lighteval-out"),
                *(["--max-samples", str(args.limit)] if args.limit else [])]

        request = EvalRequest(project.id, ["smollm2-135m"], snapshot.id, [], options)
        best: dict[str, tuple[float, float]] = {}
        for round_ in range(args.rounds):
            for name in ("baseline", "ours"):
                if name == "ours":
                    job = store.create_job("eval", request.to_params(), project.id)
                    cmd = [sys.executable, "-m", "workbench.jobs.runner", "--store",
                           str(settings.store_path), str(job.id)]
                    cwd = ROOT
                else:
                    cmd, cwd = baseline_cmd(round_), model_dir.parent
                seconds, peak = measure(cmd, env, work / f"{name}-{round_}.log", cwd)
                if name == "ours":
                    state = store.job(job.id).state
                    if state != "done":
                        raise SystemExit(f"our job ended {state}: {store.job(job.id).error}")
                print(f"round {round_ + 1} {name:8} {seconds:6.1f} s  peak {peak:7.0f} MiB")
                prev = best.get(name)
                best[name] = (min(seconds, prev[0]) if prev else seconds,
                              max(peak, prev[1]) if prev else peak)
        runs = [r for r in store.eval_runs(project.id) if r.state == "done"]
        accs = {r.task: r.scores["acc"].value for r in runs[-len(tasks):]}
        results = sorted((work / "lighteval-out").glob("results/**/results_*.json"))
        theirs = json.loads(results[-1].read_text())["results"] if results else {}
        store.close()
    ratio = best["ours"][0] / best["baseline"][0]
    print(f"baseline (lighteval CLI): {best['baseline'][0]:.1f} s, peak {best['baseline'][1]:.0f} MiB")
    print(f"ours (eval job):          {best['ours'][0]:.1f} s, peak {best['ours'][1]:.0f} MiB")
    print(f"wall time ours / baseline: {ratio:.2f}x (goal <= 1.0x)")
    print("acc ours:", {k: round(v, 4) for k, v in accs.items()},
          " lighteval:", {k: round(v.get("acc", float("nan")), 4)
                          for k, v in theirs.items() if k != "all"})


if __name__ == "__main__":
    main()
