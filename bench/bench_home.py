"""What the evaluation benches share: a fresh offline workbench home, its store with the
bundled models and the demo project's snapshot (exported for lighteval), the timing of
repeated in-process runs of one model, and a model server started on loopback.

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = offline_home(work)            # child processes run in env
        bench = demo_store(load_settings(env), work)
    # or, to run the evaluation in this process: settings = use_offline_home(work)

Imported as ``bench_home`` by the scripts beside it (and by their child processes, which run
with this folder as their script folder); it puts the repo on ``sys.path`` itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from exam_questions import demo_exam  # noqa: E402

from store import Store  # noqa: E402
from store.records import Project  # noqa: E402
from store.snapshots import Snapshot  # noqa: E402
from workbench.bundled_model import register_bundled_models  # noqa: E402
from workbench.settings import Settings, load_settings  # noqa: E402
from workbench.snapshots import TASK_FILE_NAME, build_snapshot, write_export  # noqa: E402

if TYPE_CHECKING:
    from workbench.evaluation.plan import RunOptions, TaskSpec
    from workbench.evaluation.runner import ModelRun


def offline_home(work: Path) -> dict[str, str]:
    """Make ``work/home``, an empty workbench home, and return the environment to run in.

    The home's models folder is a link to $WORKBENCH_TEST_MODELS when that is set (a converted
    bundled model is reused instead of converted again). The environment is this process's,
    plus WORKBENCH_HOME, the Hugging Face offline switches and the repo on PYTHONPATH, so
    that ``python -m workbench...`` children find the code.
    """
    home = work / "home"
    home.mkdir()
    models = os.environ.get("WORKBENCH_TEST_MODELS")
    if models:
        (home / "models").symlink_to(models, target_is_directory=True)
    return {**os.environ, "WORKBENCH_HOME": str(home), "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}


def use_offline_home(work: Path) -> Settings:
    """``offline_home`` for a bench that evaluates in its own process: the environment
    becomes this process's (its children inherit it); returns the home's settings."""
    os.environ.update(offline_home(work))
    return load_settings()


class DemoStore(NamedTuple):
    store: Store
    project: Project
    snapshot: Snapshot
    export: Path  # the exported dataset folder, lighteval's task file inside


def demo_store(settings: Settings, work: Path, extra: int = 0,
               export: bool = True, fewshot: int = 0) -> DemoStore:
    """The home's store, with the bundled models registered and the demo project, plus
    ``extra`` generated questions (bench/exam_questions.py), frozen into a snapshot (with
    ``fewshot`` of them held out as few-shot examples); that is
    exported to ``work/export`` unless ``export`` is false or it is there already (an earlier
    part of the same bench wrote it)."""
    store = Store(settings.store_path)
    register_bundled_models(store)
    project = demo_exam(store, settings, extra, work)
    snapshot = build_snapshot(store, project, fewshot).snapshot
    folder = work / "export"
    if export and not folder.is_dir():
        write_export(store, snapshot, folder)
    return DemoStore(store, project, snapshot, folder)


def timed_runs(bench: DemoStore, settings: Settings, model: str, specs: list[TaskSpec],
               options: RunOptions, chat_template: bool, work: Path,
               repeat: int) -> tuple[float, ModelRun]:
    """The best seconds of lighteval's evaluate() phase over ``repeat`` runs of ``specs`` on
    the registered ``model`` in this process (loaded once, no answers cache), and the last
    run; stops the bench if a run failed."""
    from workbench.backends.registry import backend_for
    from workbench.evaluation.runner import run_model

    backend = backend_for(bench.store.model(model), settings)
    backend.check()
    backend.open(lambda m: None)
    best = float("inf")
    try:
        for i in range(repeat):
            result = run_model(backend, specs, options, chat_template,
                               bench.export / TASK_FILE_NAME, work / f"{model}-{i}",
                               lambda m: None)
            if result.errors:
                raise SystemExit(f"{model} failed: {result.errors}")
            best = min(best, result.timings["evaluate_s"])
    finally:
        backend.close()
    return best, result


def start_loopback_server(name: str, command: list[str], port: int, ready_path: str,
                          log: Path, wait_s: float, env: dict[str, str] | None = None,
                          ) -> tuple[str, subprocess.Popen[bytes], float]:
    """Start ``command`` (a server listening on 127.0.0.1:``port``) in a session of its own,
    its output to ``log``, and wait until ``GET ready_path`` answers. Returns its base URL
    (``/v1``), the process (stop it with ``os.killpg(proc.pid, ...)``) and the seconds it
    took; stops the bench with the log's tail if the server exits first, and kills it if it
    is not ready in ``wait_s`` seconds."""
    out = open(log, "wb")  # noqa: SIM115 (lives as long as the server)
    proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    started = time.perf_counter()
    while time.perf_counter() - started < wait_s:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=2):
                return f"http://127.0.0.1:{port}/v1", proc, time.perf_counter() - started
        except OSError:
            time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit(f"{name} was not ready after {wait_s:.0f} s")
