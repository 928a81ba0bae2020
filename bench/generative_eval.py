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

from workbench.backends.serving.vllm_server import free_port  # noqa: E402
from workbench.bundled_model import BUNDLED_GGUF_MODEL, BUNDLED_MODEL, gguf_path  # noqa: E402
from workbench.evaluation.plan import RunOptions, project_tasks  # noqa: E402
from workbench.settings import Settings  # noqa: E402


def start_llama_server(work: Path) -> tuple[str, Any]:
    port = free_port()
    url, proc, _ = start_loopback_server(
        "the llama.cpp server",
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path()), "--host",
         "127.0.0.1", "--port", str(port), "--model_alias", "bench", "--n_ctx", "2048"],
        port, "/v1/models", work / "llama-server.log", 180)
    return url, proc


def timed(bench: DemoStore, settings: Settings, model: str, specs: list[Any],
          options: RunOptions, work: Path, repeat: int) -> tuple[float, list[int | None]]:
    """Best evaluate() seconds (chat template on) and the predicted option of each question."""
    best, result = timed_runs(bench, settings, model, specs, options, True, work, repeat)
    return best, [s.prediction_index for spec in specs
                  for s in result.results[spec.lighteval_spec].samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=8, help="Questions (default 8).")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--url", help="A running OpenAI-compatible server (alias 'bench').")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-generative-") as tmp:
        work = Path(tmp)
        settings = use_offline_home(work)
        bench = demo_store(settings, work)
        options = RunOptions(formulations=("generative",), limit=args.limit)
        specs = project_tasks(bench.snapshot.id, options)
        local_s, local = timed(bench, settings, BUNDLED_MODEL, specs, options, work, args.repeat)
        n = len(local)
        print(f"{n} questions, generative, greedy, up to 32 new tokens")
        print(f"transformers (baseline):        {local_s:7.1f} s  {60 * n / local_s:6.1f} "
              f"questions/min  unparsed {local.count(None)}/{n}")
        gguf_s, gguf = timed(bench, settings, BUNDLED_GGUF_MODEL, specs, options, work,
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
            bench.store.add_model("chat-server", "openai", url, {"endpoint_model": "bench"})
            served_s, served = timed(bench, settings, "chat-server", specs, options, work,
                                     args.repeat)
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
