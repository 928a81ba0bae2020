"""Model checks: questions per minute with the bundled model, and the overhead against a
plain evaluation run of the same questions.

In one run, on a fresh home: the demo project's approved questions (they have source
passages) are frozen into a snapshot; then, alternately for ``--repeat`` rounds:

- baseline: the 'eval' job process (what ``workbench eval run`` starts), bundled model,
  letters formulation, chat template off, ``--limit N``, ``--force``;
- ours: the 'model_checks' job process (what ``workbench checks run`` starts) with the
  bundled judge on the same N questions: both checks, ``--rounds`` orders per option
  position (default 2: 8 orders of 4 options per check, so 16 scored prompts per question
  against the evaluation's one), cloze formulation (the bundled model's default).

Each is a child process measured from start to exit. Prints the wall times, the checks'
questions per minute (whole job, and scoring alone from the job's own timing), and the
ratios to the evaluation.

    .venv/bin/python bench/model_checks.py [--limit 8] [--repeat 1] [--rounds 2]
        [--formulation cloze|mcf]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_job(store: object, job_id: int, settings_path: Path, env: dict[str, str],
            log: Path) -> float:
    """Seconds of one job process from start to exit; stops the bench if it failed."""
    start = time.perf_counter()
    with open(log, "wb") as out:
        subprocess.run([sys.executable, "-m", "workbench.jobs.runner", "--store",
                        str(settings_path), str(job_id)], env=env, cwd=ROOT, stdout=out,
                       stderr=subprocess.STDOUT, check=False)
    seconds = time.perf_counter() - start
    job = store.job(job_id)  # type: ignore[attr-defined]
    if job.state != "done":
        raise SystemExit(f"job {job_id} ({job.kind}) ended {job.state}: {job.error}\n"
                         + log.read_text(errors="replace")[-2000:])
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=8, help="Questions (default 8).")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2, help="Check orders per position.")
    parser.add_argument("--formulation", choices=["mcf", "cloze"], default="cloze")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from bench_home import demo_store, offline_home

    from workbench.bundled_model import BUNDLED_MODEL, ensure_model_dir
    from workbench.evaluation.plan import EvalRequest, RunOptions
    from workbench.quality.launch import KIND, model_checks_params
    from workbench.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="bench-checks-") as tmp:
        work = Path(tmp)
        env = offline_home(work)
        settings = load_settings(env)
        store, project, snapshot, _ = demo_store(settings, work, export=False)
        ensure_model_dir(settings, report=lambda m: None)
        n = min(args.limit, snapshot.question_count)
        print(f"{n} questions, bundled model, checks: both, {args.rounds} rounds, "
              f"{args.formulation}; CPU threads {os.cpu_count()}, load average "
              f"{os.getloadavg()[0]:.1f} at the start")
        options = RunOptions(formulations=("mcf",), chat_template=False, force=True, limit=n)
        request = EvalRequest(project.id, [BUNDLED_MODEL], snapshot.id, [], options)
        best: dict[str, float] = {}
        scoring: dict[str, float] = {}
        for round_ in range(args.repeat):
            job = store.create_job("eval", request.to_params(), project.id)
            seconds = run_job(store, job.id, settings.store_path, env, work / f"eval-{round_}.log")
            run = [r for r in store.eval_runs(project.id) if r.job_id == job.id][0]
            qids = [s.question_id for s in store.sample_results(run.id)]
            best["eval"] = min(best.get("eval", seconds), seconds)
            evaluate_s = float(run.repro.get("wall_time_s", {}).get("evaluate_s") or 0.0)
            scoring["eval"] = min(scoring.get("eval", evaluate_s), evaluate_s)
            print(f"round {round_ + 1} eval    {seconds:6.1f} s (scoring {evaluate_s:.1f} s)",
                  flush=True)
            params = model_checks_params(store, project, None, None, [int(q) for q in qids],
                                         0, args.rounds, formulation=args.formulation)
            job = store.create_job(KIND, params, project.id)
            seconds = run_job(store, job.id, settings.store_path, env,
                              work / f"checks-{round_}.log")
            result = store.job(job.id).result
            best["checks"] = min(best.get("checks", seconds), seconds)
            scoring["checks"] = min(scoring.get("checks", result["scoring_s"]),
                                    result["scoring_s"])
            print(f"round {round_ + 1} checks  {seconds:6.1f} s (scoring "
                  f"{result['scoring_s']:.1f} s; flagged {result['flagged']})", flush=True)
        print(f"checks: {60 * n / best['checks']:.1f} questions/min for the whole job, "
              f"{60 * n / scoring['checks']:.1f} questions/min scoring alone")
        print(f"overhead against the plain evaluation: {best['checks'] / best['eval']:.2f}x "
              f"wall, {scoring['checks'] / max(scoring['eval'], 1e-9):.1f}x scoring "
              f"({2 * 4 * args.rounds} prompts per question against 1)")
        print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
