"""Evaluation throughput: our lighteval run versus a raw batched forward pass, same prompts.

In one run, each part in its own child process (so peak memory is its own):

- ours: ``workbench.evaluation.runner.run_model`` (the code the 'eval' job runs: lighteval's
  pipeline with the transformers backend, batch size 8) on the demo project's snapshot;
  its lighteval ``evaluate()`` phase is timed, and the exact context strings it scored are
  written out;
- baseline: the same model scores the same (context, option) pairs with a plain batched
  forward pass (batch 8, right padding, log-softmax, sum of the option tokens' logprobs),
  the least work any log-likelihood evaluation must do.

Prints scored sequences per second for both, the ratio ours / baseline (goal: >= 70%),
peak RSS of each part, and whether the two agree on the predicted option.

    .venv/bin/python bench/eval_throughput.py [--formulation both] [--repeat 1] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def part_ours(work: Path, formulation: str, repeat: int, limit: int | None) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from store import Store
    from workbench.backends.registry import backend_for
    from workbench.bundled_model import register_bundled_models
    from workbench.demo import create_demo_project
    from workbench.evaluation.plan import RunOptions, formulations_from, project_tasks
    from workbench.evaluation.runner import run_model
    from workbench.settings import load_settings
    from workbench.snapshots import TASK_FILE_NAME, build_snapshot, write_export

    settings = load_settings()
    store = Store(settings.store_path)
    register_bundled_models(store)
    project = create_demo_project(store, settings)
    snapshot = build_snapshot(store, project).snapshot
    write_export(store, snapshot, work / "export")
    options = RunOptions(formulations=formulations_from(formulation), chat_template=False,
                         limit=limit)
    backend = backend_for(store.model("smollm2-135m"), settings)
    backend.open(lambda m: None)
    specs = project_tasks(snapshot.id, options)
    times = []
    for i in range(repeat):
        result = run_model(backend, specs, options, False, work / "export" / TASK_FILE_NAME,
                           work / f"ours-{i}", lambda m: None)
        if result.errors:
            raise SystemExit(f"our run failed: {result.errors}")
        times.append(result.timings["evaluate_s"])
    predictions, contexts = [], []
    for spec in specs:
        task = result.results[spec.lighteval_spec]
        for sample, item in zip(task.samples, task.inputs, strict=True):
            predictions.append({"task": spec.lighteval_spec, "index": sample.sample_index,
                                "prediction": sample.prediction_index})
            contexts.append(item)
    return {"seconds": min(times), "times": times, "peak_mib": _peak_mib(),
            "model_dir": backend.location, "predictions": predictions, "contexts": contexts}


def part_baseline(work: Path, repeat: int) -> dict[str, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    data = json.loads((work / "ours.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(data["model_dir"])
    model = AutoModelForCausalLM.from_pretrained(data["model_dir"], dtype=torch.float32)
    model.eval()
    pairs = []  # (context ids, continuation ids, which sample, which option)
    for n, item in enumerate(data["contexts"]):
        context = tokenizer(item["context"], add_special_tokens=False)["input_ids"]
        for k, choice in enumerate(item["choices"]):
            whole = tokenizer(item["context"] + choice, add_special_tokens=False)["input_ids"]
            pairs.append((context, whole[len(context):] or whole[-1:], n, k))
    pairs.sort(key=lambda p: -(len(p[0]) + len(p[1])))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    times, scores = [], {}
    for _ in range(repeat):
        start = time.perf_counter()
        with torch.inference_mode():
            for i in range(0, len(pairs), 8):
                batch = pairs[i:i + 8]
                seqs = [c + d for c, d, _, _ in batch]
                width = max(len(s) for s in seqs)
                ids = torch.full((len(seqs), width), pad, dtype=torch.long)
                mask = torch.zeros((len(seqs), width), dtype=torch.long)
                for j, s in enumerate(seqs):
                    ids[j, :len(s)] = torch.tensor(s)
                    mask[j, :len(s)] = 1
                logprobs = torch.log_softmax(model(input_ids=ids, attention_mask=mask).logits, -1)
                for j, (c, d, n, k) in enumerate(batch):
                    positions = torch.arange(len(c) - 1, len(c) + len(d) - 1)
                    scores[(n, k)] = float(logprobs[j, positions, torch.tensor(d)].sum())
        times.append(time.perf_counter() - start)
    predictions = []
    for n, item in enumerate(data["contexts"]):
        options = [scores[(n, k)] for k in range(len(item["choices"]))]
        predictions.append(max(range(len(options)), key=options.__getitem__))
    return {"seconds": min(times), "times": times, "peak_mib": _peak_mib(),
            "sequences": len(pairs), "predictions": predictions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--formulation", choices=["mcf", "cloze", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="Questions per task.")
    parser.add_argument("--part", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        work = Path(args.work)
        out = (part_ours(work, args.formulation, args.repeat, args.limit) if args.part == "ours"
               else part_baseline(work, args.repeat))
        (work / f"{args.part}.json").write_text(json.dumps(out))
        return

    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        work = Path(tmp)
        home = work / "home"
        home.mkdir()
        if os.environ.get("WORKBENCH_TEST_MODELS"):
            (home / "models").symlink_to(os.environ["WORKBENCH_TEST_MODELS"],
                                         target_is_directory=True)
        env = {**os.environ, "WORKBENCH_HOME": str(home), "HF_HUB_OFFLINE": "1",
               "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               "PYTHONPATH": os.pathsep.join(
                   p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
        for part in ("ours", "baseline"):
            log = work / f"{part}.log"
            with open(log, "wb") as out:
                code = subprocess.run(
                    [sys.executable, __file__, "--part", part, "--work", str(work),
                     "--formulation", args.formulation, "--repeat", str(args.repeat),
                     *(["--limit", str(args.limit)] if args.limit else [])],
                    env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT).returncode
            if code != 0:
                raise SystemExit(f"{part} failed ({code}):\n{log.read_text()[-3000:]}")
        ours = json.loads((work / "ours.json").read_text())
        base = json.loads((work / "baseline.json").read_text())
    sequences = base["sequences"]
    agree = sum(o["prediction"] == b for o, b in
                zip(ours["predictions"], base["predictions"], strict=True))
    ours_rate, base_rate = sequences / ours["seconds"], sequences / base["seconds"]
    print(f"{len(ours['predictions'])} samples, {sequences} scored (context, option) sequences")
    print(f"baseline (raw batched forward): {base['seconds']:.2f} s, {base_rate:.1f} seq/s, "
          f"peak {base['peak_mib']:.0f} MiB")
    print(f"ours (lighteval pipeline):     {ours['seconds']:.2f} s, {ours_rate:.1f} seq/s, "
          f"peak {ours['peak_mib']:.0f} MiB")
    print(f"throughput ours / baseline: {100 * ours_rate / base_rate:.0f}% (goal >= 70%)")
    print(f"same predicted option: {agree}/{len(base['predictions'])}")


if __name__ == "__main__":
    main()
