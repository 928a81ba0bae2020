"""Evaluation throughput: our lighteval run versus a raw prefix-sharing forward pass.

In one run, each part in its own child process (so peak memory is its own):

- ours: ``workbench.evaluation.runner.run_model`` (the code the 'eval' job runs: lighteval's
  pipeline with the transformers backend and its default prefix-sharing scorer, batch size
  8) on the demo project's snapshot (plus ``--extra`` generated questions); its lighteval
  ``evaluate()`` phase is timed, and the exact context strings it scored are written out;
- lighteval: the same with lighteval's own scorer (WORKBENCH_FAST_SCORER=0), for memory and
  the speed-up;
- baseline: the same model scores the same (context, option) pairs with a plain
  prefix-sharing forward pass, the least work a log-likelihood evaluation must do: per
  batch of 8 questions one pass over their contexts (right padding, the cache kept, logits
  only where options start), then each question's options batched after its cached
  context for the options' later tokens.

Prints scored (context, option) sequences per second for each, the ratio ours / baseline
(goal: >= 70%), peak RSS of each part (ours vs lighteval's: goal no higher), and whether
they agree on the predicted option.

    .venv/bin/python bench/eval_throughput.py [--formulation both] [--repeat 1] [--limit N]
        [--extra N]
"""

from __future__ import annotations

import argparse
import json
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


def part_ours(work: Path, formulation: str, repeat: int, limit: int | None,
              extra: int) -> dict[str, Any]:
    """run_model as the job runs it; the scorer is the settings' (WORKBENCH_FAST_SCORER)."""
    sys.path.insert(0, str(ROOT))
    from bench_home import demo_store

    from workbench.backends.registry import backend_for
    from workbench.evaluation.plan import RunOptions, formulations_from, project_tasks
    from workbench.evaluation.runner import run_model
    from workbench.settings import load_settings
    from workbench.snapshots import TASK_FILE_NAME

    settings = load_settings()
    store, _, snapshot, export = demo_store(settings, work, extra)
    options = RunOptions(formulations=formulations_from(formulation), chat_template=False,
                         limit=limit)
    backend = backend_for(store.model("smollm2-135m"), settings)
    backend.open(lambda m: None)
    specs = project_tasks(snapshot.id, options)
    times = []
    for i in range(repeat):
        result = run_model(backend, specs, options, False, export / TASK_FILE_NAME,
                           work / f"run-{settings.fast_scorer}-{i}", lambda m: None)
        if result.errors:
            raise SystemExit(f"our run failed: {result.errors}")
        times.append(result.timings["evaluate_s"])
    predictions, contexts, logprobs = [], [], []
    for spec in specs:
        task = result.results[spec.lighteval_spec]
        for sample, item in zip(task.samples, task.inputs, strict=True):
            predictions.append(sample.prediction_index)
            logprobs.append(sample.logprobs)
            contexts.append(item)
    return {"seconds": min(times), "times": times, "peak_mib": _peak_mib(),
            "scorer": result.model_info.get("scorer"), "model_dir": backend.location,
            "predictions": predictions, "logprobs": logprobs, "contexts": contexts}


def _encode_pair(tokenizer: Any, context: str, choices: list[str]) -> tuple[list[int],
                                                                          list[list[int]]]:
    """Context and options tokenized apart, the context's trailing spaces moved into the
    options (lighteval's pairwise rule, so that both score the same token sequences)."""
    spaces = len(context) - len(context.rstrip())
    if spaces:
        choices = [context[-spaces:] + c for c in choices]
        context = context[:-spaces]
    encode = lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    return encode(context), [encode(c) for c in choices]


def part_baseline(work: Path, repeat: int) -> dict[str, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, DynamicCache

    data = json.loads((work / "ours.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(data["model_dir"])
    model = AutoModelForCausalLM.from_pretrained(data["model_dir"], dtype=torch.float32)
    model.eval()
    pad = tokenizer.eos_token_id
    times, scores = [], {}
    for _ in range(repeat):
        start = time.perf_counter()
        questions = [(n, *_encode_pair(tokenizer, item["context"], item["choices"]))
                     for n, item in enumerate(data["contexts"])]
        questions.sort(key=lambda q: -len(q[1]))
        with torch.inference_mode():
            for i in range(0, len(questions), 8):
                batch = questions[i:i + 8]
                width = max(len(c) for _, c, _ in batch)
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                for j, (_, context, _) in enumerate(batch):
                    ids[j, :len(context)] = torch.tensor(context)
                last = sorted({len(c) - 1 for _, c, _ in batch})
                out = model(input_ids=ids, use_cache=True, logits_to_keep=torch.tensor(last))
                firsts = torch.log_softmax(out.logits, -1)
                layers = [(layer.keys, layer.values) for layer in out.past_key_values.layers]
                for j, (n, context, options) in enumerate(batch):
                    head = firsts[j, last.index(len(context) - 1)]
                    totals = [float(head[o[0]]) for o in options]
                    longer = [k for k, o in enumerate(options) if len(o) > 1]
                    if longer:
                        cache = DynamicCache()
                        for index, (k, v) in enumerate(layers):
                            shape = (len(longer), -1, -1, -1)
                            cache.update(k[j:j + 1, :, :len(context)].expand(*shape),
                                         v[j:j + 1, :, :len(context)].expand(*shape), index)
                        fed = [options[k][:-1] for k in longer]
                        rest = torch.full((len(longer), max(len(f) for f in fed)), pad,
                                          dtype=torch.long)
                        for r, tokens in enumerate(fed):
                            rest[r, :len(tokens)] = torch.tensor(tokens)
                        logprobs = torch.log_softmax(
                            model(input_ids=rest, past_key_values=cache).logits, -1)
                        for r, k in enumerate(longer):
                            targets = torch.tensor(options[k][1:])
                            totals[k] += float(
                                logprobs[r, torch.arange(len(targets)), targets].sum())
                    for k, total in enumerate(totals):
                        scores[(n, k)] = total
        times.append(time.perf_counter() - start)
    predictions, logprobs = [], []
    for n, item in enumerate(data["contexts"]):
        options = [scores[(n, k)] for k in range(len(item["choices"]))]
        logprobs.append(options)
        predictions.append(max(range(len(options)), key=options.__getitem__))
    return {"seconds": min(times), "times": times, "peak_mib": _peak_mib(),
            "sequences": len(scores), "predictions": predictions, "logprobs": logprobs}


PARTS = ("ours", "lighteval", "baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--formulation", choices=["mcf", "cloze", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="Questions per task.")
    parser.add_argument("--extra", type=int, default=100,
                        help="Generated questions added to the demo's 17 (default 100).")
    parser.add_argument("--part", choices=PARTS, help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        work = Path(args.work)
        out = (part_baseline(work, args.repeat) if args.part == "baseline"
               else part_ours(work, args.formulation, args.repeat, args.limit, args.extra))
        (work / f"{args.part}.json").write_text(json.dumps(out))
        return

    from bench_home import offline_home

    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        work = Path(tmp)
        env = offline_home(work)
        home = Path(env["WORKBENCH_HOME"])
        parts = {}
        for part in PARTS:
            if part != "baseline":  # each part is its own store: a fresh one per part
                for suffix in ("", "-wal", "-shm"):
                    (home / f"workbench.db{suffix}").unlink(missing_ok=True)
            log = work / f"{part}.log"
            part_env = {**env, "WORKBENCH_FAST_SCORER": "0" if part == "lighteval" else "1"}
            with open(log, "wb") as out:
                code = subprocess.run(
                    [sys.executable, __file__, "--part", part, "--work", str(work),
                     "--formulation", args.formulation, "--repeat", str(args.repeat),
                     "--extra", str(args.extra),
                     *(["--limit", str(args.limit)] if args.limit else [])],
                    env=part_env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT).returncode
            if code != 0:
                raise SystemExit(f"{part} failed ({code}):\n{log.read_text()[-3000:]}")
            parts[part] = json.loads((work / f"{part}.json").read_text())
    ours, theirs, base = parts["ours"], parts["lighteval"], parts["baseline"]
    sequences = base["sequences"]
    rate = {name: sequences / p["seconds"] for name, p in parts.items()}
    print(f"{len(base['predictions'])} samples, {sequences} scored (context, option) sequences; "
          f"scorers: ours {ours['scorer']!r}, lighteval {theirs['scorer']!r}")
    print(f"baseline (raw prefix-sharing forward): {base['seconds']:.2f} s, "
          f"{rate['baseline']:.1f} seq/s, peak {base['peak_mib']:.0f} MiB")
    print(f"ours (lighteval pipeline, prefix-sharing scorer): {ours['seconds']:.2f} s, "
          f"{rate['ours']:.1f} seq/s, peak {ours['peak_mib']:.0f} MiB")
    print(f"lighteval's own scorer (same pipeline):           {theirs['seconds']:.2f} s, "
          f"{rate['lighteval']:.1f} seq/s, peak {theirs['peak_mib']:.0f} MiB")
    print(f"throughput ours / baseline: {100 * rate['ours'] / rate['baseline']:.0f}% "
          f"(goal >= 70%); lighteval's scorer / baseline: "
          f"{100 * rate['lighteval'] / rate['baseline']:.0f}%")
    print(f"speed-up over lighteval's scorer: {rate['ours'] / rate['lighteval']:.2f}x; "
          f"peak memory ours / lighteval's: {ours['peak_mib'] / theirs['peak_mib']:.2f}x")
    for name in ("lighteval", "baseline"):
        other = parts[name]
        same = sum(a == b for a, b in zip(ours["predictions"], other["predictions"],
                                          strict=True))
        worst = max(abs(x - y) for a, b in zip(ours["logprobs"], other["logprobs"], strict=True)
                    for x, y in zip(a, b, strict=True))
        print(f"ours vs {name}: same predicted option {same}/{len(other['predictions'])}, "
              f"largest log-likelihood difference {worst:.1e}")


if __name__ == "__main__":
    main()
