"""Generative multiple choice (the model writes its answer): questions per minute with the
transformers backend in this process, with llama.cpp in this process (the bundled GGUF, the
llama.cpp backend), and through an OpenAI-compatible chat server on loopback
(llama-cpp-python's server on the same GGUF), in one run, as ratios to transformers.

The exam is the demo project's snapshot, generative formulation only, run with workbench's
own code (``workbench.evaluation.runner.run_model``), no answers cache (every request is
generated). The server is started here unless ``--url`` names a running one.

    .venv/bin/python bench/generative_eval.py [--limit 8] [--repeat 1]

Also prints how many replies had no readable answer (unparsed) on each side and how many
predictions agree.
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
from workbench.bundled_model import (  # noqa: E402
    BUNDLED_GGUF_MODEL,
    BUNDLED_MODEL,
    gguf_path,
    register_bundled_models,
)
from workbench.demo import create_demo_project  # noqa: E402
from workbench.evaluation.plan import RunOptions, project_tasks  # noqa: E402
from workbench.evaluation.runner import run_model  # noqa: E402
from workbench.settings import Settings, load_settings  # noqa: E402
from workbench.snapshots import TASK_FILE_NAME, build_snapshot, write_export  # noqa: E402


def start_llama_server(work: Path) -> tuple[str, Any]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    log = open(work / "llama-server.log", "wb")  # noqa: SIM115 (lives as long as the server)
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path()), "--host",
         "127.0.0.1", "--port", str(port), "--model_alias", "bench", "--n_ctx", "2048"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    started = time.perf_counter()
    while time.perf_counter() - started < 180:
        if proc.poll() is not None:
            raise SystemExit((work / "llama-server.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2):
                return f"http://127.0.0.1:{port}/v1", proc
        except OSError:
            time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit("the llama.cpp server was not ready after 180 s")


def timed(store: Store, settings: Settings, model: str, specs: list[Any], options: RunOptions,
          export: Path, work: Path, repeat: int) -> tuple[float, list[int | None]]:
    backend = backend_for(store.model(model), settings)
    backend.check()
    backend.open(lambda m: None)
    best, predictions = float("inf"), []
    try:
        for i in range(repeat):
            result = run_model(backend, specs, options, True, export / TASK_FILE_NAME,
                               work / f"{model}-{i}", lambda m: None)
            if result.errors:
                raise SystemExit(f"{model} failed: {result.errors}")
            best = min(best, result.timings["evaluate_s"])
            predictions = [s.prediction_index for spec in specs
                           for s in result.results[spec.lighteval_spec].samples]
    finally:
        backend.close()
    return best, predictions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=8, help="Questions (default 8).")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--url", help="A running OpenAI-compatible server (alias 'bench').")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-generative-") as tmp:
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
        project = create_demo_project(store, settings)
        snapshot = build_snapshot(store, project).snapshot
        export = work / "export"
        write_export(store, snapshot, export)
        options = RunOptions(formulations=("generative",), limit=args.limit)
        specs = project_tasks(snapshot.id, options)
        local_s, local = timed(store, settings, BUNDLED_MODEL, specs, options, export, work,
                               args.repeat)
        n = len(local)
        print(f"{n} questions, generative, greedy, up to 32 new tokens")
        print(f"transformers (baseline):        {local_s:7.1f} s  {60 * n / local_s:6.1f} "
              f"questions/min  unparsed {local.count(None)}/{n}")
        gguf_s, gguf = timed(store, settings, BUNDLED_GGUF_MODEL, specs, options, export, work,
                             args.repeat)
        same = sum(a == b for a, b in zip(local, gguf, strict=True))
        print(f"llama.cpp in-process (GGUF):   {gguf_s:7.1f} s  {60 * n / gguf_s:6.1f} "
              f"questions/min  unparsed {gguf.count(None)}/{n}  "
              f"{local_s / gguf_s:5.2f}x transformers  (same answer {same}/{n})")
        proc = None
        url = args.url
        if url is None:
            url, proc = start_llama_server(work)
        try:
            store.add_model("chat-server", "openai", url, {"endpoint_model": "bench"})
            served_s, served = timed(store, settings, "chat-server", specs, options, export,
                                     work, args.repeat)
        finally:
            if proc is not None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
        same = sum(a == b for a, b in zip(local, served, strict=True))
        print(f"llama.cpp chat server (GGUF):  {served_s:7.1f} s  {60 * n / served_s:6.1f} "
              f"questions/min  unparsed {served.count(None)}/{n}  "
              f"{local_s / served_s:5.2f}x transformers  (same answer {same}/{n})")


if __name__ == "__main__":
    main()
