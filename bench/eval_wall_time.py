"""Evaluation wall time: our 'eval' job versus the plain lighteval CLI, same task and model.

In one run, on a fresh home: the demo project's approved questions plus ``--extra``
generated ones (bench/exam_questions.py) are frozen into a snapshot and exported; then, per
formulation (letters and cloze apart, so each has its own figure), alternately for
``--rounds`` rounds:

- baseline: the ``lighteval accelerate`` CLI (through our offline launcher) on the exported
  task file, as a user would run it;
- ours: the 'eval' job process (``python -m workbench.jobs.runner``, exactly what
  ``workbench eval run`` starts), with ``--force`` so nothing is reused; its transformers
  backend scores log-likelihoods with the prefix-sharing scorer (the default);
- ours, lighteval's scorer: the same job with WORKBENCH_FAST_SCORER=0 (unless
  ``--no-lighteval-scorer``), to show what the scorer itself saves.

All evaluate the bundled model, batch size 8, chat template off, ``--fewshot`` examples
(default 0). Each is a child process
measured from start to exit (wall time, and peak RSS from the child's own rusage via wait4).
Prints the best time of each, the ratios to the baseline (goal for ours: <= 0.4x) and peak
memory (goal: ours no higher than the CLI's).

    .venv/bin/python bench/eval_wall_time.py [--rounds 1] [--formulation both] [--limit N]
        [--extra 100] [--fewshot 0] [--no-lighteval-scorer]
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
    parser.add_argument("--extra", type=int, default=100,
                        help="Generated questions added to the demo's 17 (default 100).")
    parser.add_argument("--formulation", choices=["mcf", "cloze", "both"], default="both")
    parser.add_argument("--fewshot", type=int, default=0,
                        help="Few-shot examples per prompt (held out of the snapshot).")
    parser.add_argument("--no-lighteval-scorer", action="store_true",
                        help="Skip our job with lighteval's own scorer.")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from bench_home import demo_store, offline_home

    from workbench.bundled_model import ensure_model_dir
    from workbench.evaluation.plan import EvalRequest, RunOptions, formulations_from, project_tasks
    from workbench.settings import load_settings
    from workbench.snapshots import TASK_FILE_NAME

    contenders = ["baseline", "ours"] + ([] if args.no_lighteval_scorer else ["ours-lighteval"])
    with tempfile.TemporaryDirectory(prefix="bench-eval-") as tmp:
        work = Path(tmp)
        env = offline_home(work)
        settings = load_settings(env)
        store, project, snapshot, folder = demo_store(settings, work, args.extra,
                                                      fewshot=args.fewshot)
        model_dir = ensure_model_dir(settings, report=lambda m: None)
        print(f"task: {args.limit or snapshot.question_count} questions per formulation, "
              f"{args.fewshot}-shot, model {model_dir.name}, batch 8, chat template off, "
              f"CPU threads "
              f"{os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at the start")

        best: dict[tuple[str, str], tuple[float, float]] = {}
        accs: dict[tuple[str, str], float] = {}
        for formulation in formulations_from(args.formulation):
            options = RunOptions(formulations=(formulation,), chat_template=False, force=True,
                                 limit=args.limit, fewshot=args.fewshot)
            tasks = [t.lighteval_spec for t in project_tasks(snapshot.id, options)]
            request = EvalRequest(project.id, ["smollm2-135m"], snapshot.id, [], options)
            for round_ in range(args.rounds):
                for name in contenders:
                    tag = f"{formulation}-{name}-{round_}"
                    if name == "baseline":
                        # Relative model name, run from its parent: lighteval writes its
                        # answer cache under cache_dir/model_name; a fresh cache_dir per run.
                        cmd = [
                            sys.executable, "-m", "workbench.evaluation.lighteval_cli",
                            "accelerate",
                            f"model_name={model_dir.name},batch_size=8,"
                            f"override_chat_template=False,dtype=float32,"
                            f"cache_dir={work / f'lighteval-cache-{tag}'}",
                            ",".join(tasks), "--custom-tasks", str(folder / TASK_FILE_NAME),
                            "--output-dir", str(work / f"lighteval-out-{tag}"),
                            *(["--max-samples", str(args.limit)] if args.limit else [])]
                        seconds, peak = measure(cmd, env, work / f"{tag}.log", model_dir.parent)
                        found = sorted((work / f"lighteval-out-{tag}").glob(
                            "results/**/results_*.json"))
                        result = json.loads(found[-1].read_text())["results"]
                        accs[(formulation, name)] = result[tasks[0]]["acc"]
                    else:
                        job = store.create_job("eval", request.to_params(), project.id)
                        cmd = [sys.executable, "-m", "workbench.jobs.runner", "--store",
                               str(settings.store_path), str(job.id)]
                        scorer_env = {**env, "WORKBENCH_FAST_SCORER":
                                      "0" if name == "ours-lighteval" else "1"}
                        seconds, peak = measure(cmd, scorer_env, work / f"{tag}.log", ROOT)
                        finished = store.job(job.id)
                        if finished.state != "done":
                            raise SystemExit(f"our job ended {finished.state}: {finished.error}")
                        run = [r for r in store.eval_runs(project.id) if r.job_id == job.id][0]
                        accs[(formulation, name)] = run.scores["acc"].value
                        if run.settings.get("scorer") != (
                                "lighteval" if name == "ours-lighteval" else "prefix-sharing"):
                            raise SystemExit(f"{name} ran with scorer {run.settings}")
                    print(f"{formulation:5} round {round_ + 1} {name:14} {seconds:6.1f} s  "
                          f"peak {peak:7.0f} MiB  acc {accs[(formulation, name)]:.4f}",
                          flush=True)
                    prev = best.get((formulation, name))
                    best[(formulation, name)] = (min(seconds, prev[0]) if prev else seconds,
                                                 max(peak, prev[1]) if prev else peak)
        store.close()
    for formulation in formulations_from(args.formulation):
        base_s, base_peak = best[(formulation, "baseline")]
        for name in contenders[1:]:
            seconds, peak = best[(formulation, name)]
            goal = " (goal <= 0.4x)" if name == "ours" else ""
            print(f"{formulation}: {name} / lighteval CLI: wall time {seconds / base_s:.2f}x"
                  f"{goal} ({seconds:.1f} s vs {base_s:.1f} s), peak memory "
                  f"{peak / base_peak:.2f}x ({peak:.0f} vs {base_peak:.0f} MiB)")
        print(f"{formulation}: acc " + ", ".join(
            f"{name} {accs[(formulation, name)]:.4f}" for name in contenders))


if __name__ == "__main__":
    main()
