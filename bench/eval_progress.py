"""What live progress and the resume cache cost an evaluation: the same exam scored with and
without the request tap (workbench.evaluation.request_tap), in one process, alternating.

The tap cuts lighteval's requests into chunks, pickles each chunk's answers into the job's
chunk cache and, after each chunk, writes every run's count and the job's heartbeat to the
store, as an evaluation job does. The exam is the demo project's snapshot (letters and
cloze), run with workbench's own code (``workbench.evaluation.runner.run_model``) on the
bundled model with the transformers backend. Goal: < 2 % of the evaluation's wall time.

    .venv/bin/python bench/eval_progress.py [--repeat 3]

Prints lighteval's evaluate() seconds for each variant (best of --repeat), the ratio, and
checks that both give the same predictions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_home import demo_store, use_offline_home  # noqa: E402

from workbench.backends.registry import backend_for  # noqa: E402
from workbench.bundled_model import BUNDLED_MODEL  # noqa: E402
from workbench.evaluation.plan import RunOptions, project_tasks  # noqa: E402
from workbench.evaluation.request_tap import watch_pipeline  # noqa: E402
from workbench.evaluation.runner import run_model  # noqa: E402
from workbench.snapshots import TASK_FILE_NAME  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-progress-") as tmp:
        work = Path(tmp)
        settings = use_offline_home(work)
        store, project, snapshot, export = demo_store(settings, work)
        options = RunOptions(chat_template=False)
        specs = project_tasks(snapshot.id, options)
        job = store.create_job("eval", {}, project.id)
        runs = {s.lighteval_spec: store.create_eval_run(project.id, BUNDLED_MODEL, s.task, {},
                                                        "bench", job_id=job.id).id
                for s in specs}
        backend = backend_for(store.model(BUNDLED_MODEL), settings)
        backend.check()
        backend.open(lambda m: None)
        best = {"plain": float("inf"), "tap": float("inf")}
        predictions: dict[str, list[Any]] = {}
        chunks = 0
        try:
            for i in range(args.repeat):
                for variant in ("plain", "tap") if i % 2 == 0 else ("tap", "plain"):
                    cache = work / f"chunks-{i}.sqlite"  # a fresh cache: every chunk scored

                    def on_scored(counts: dict[str, int]) -> None:
                        nonlocal chunks
                        chunks += 1
                        store.set_eval_progress(
                            {rid: ("scoring", counts.get(spec, 0), None)
                             for spec, rid in runs.items()})
                        store.heartbeat(job.id, done=sum(counts.values()), total=0)

                    def watch(pipeline: Any, cache: Path = cache) -> Any:
                        return watch_pipeline(pipeline, "bench", cache, lambda t: None,
                                              on_scored)

                    result = run_model(backend, specs, options, False, export / TASK_FILE_NAME,
                                       work / f"{variant}-{i}", lambda m: None,
                                       watch=watch if variant == "tap" else None)
                    if result.errors:
                        raise SystemExit(f"{variant} failed: {result.errors}")
                    best[variant] = min(best[variant], result.timings["evaluate_s"])
                    predictions[variant] = [
                        (spec.lighteval_spec, s.sample_index, s.prediction_index)
                        for spec in specs for s in result.results[spec.lighteval_spec].samples]
        finally:
            backend.close()
        samples = len(predictions["plain"])
        print(f"{samples} samples ({len(specs)} tasks), best of {args.repeat}, "
              f"{chunks // args.repeat} chunks per run")
        print(f"without progress (baseline): {best['plain']:7.2f} s")
        print(f"with progress + resume cache: {best['tap']:7.2f} s   "
              f"overhead {100 * (best['tap'] / best['plain'] - 1):+.1f} %")
        same = predictions["plain"] == predictions["tap"]
        print(f"same predictions: {same}")


if __name__ == "__main__":
    main()
