"""Shared fixtures: an isolated workbench home per test, a store, a project.

Subfolders (tests/generation, tests/argilla, ...) add their own conftest.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from store import Store
from store.records import Job, Project
from workbench.bundled_model import ensure_model_dir
from workbench.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shared_models_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models cache shared by the whole session, so the bundled model converts once."""
    path = Path(os.environ.get("WORKBENCH_TEST_MODELS", tmp_path_factory.mktemp("models-cache")))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def wb_home(tmp_path: Path, shared_models_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """WORKBENCH_HOME for this test; models/ points at the shared converted-model cache."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "models").symlink_to(shared_models_home, target_is_directory=True)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_REVIEWER", "tester")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return home


@pytest.fixture
def settings(wb_home: Path) -> Settings:
    return load_settings()


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    s = Store(settings.store_path)
    yield s
    s.close()


@pytest.fixture
def project(store: Store) -> Project:
    return store.create_project("test-project")


def run_workbench(*args: str, env: dict[str, str] | None = None,
                  timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The CLI through a real subprocess, as a script would call it."""
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=timeout, cwd=REPO,
    )


@pytest.fixture
def cli(wb_home: Path):  # type: ignore[no-untyped-def]
    """Call ``cli("project", "list")`` to run the CLI against this test's home."""
    def call(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return run_workbench(*args, timeout=timeout)

    return call


@pytest.fixture(scope="session")
def random_model_dir(shared_models_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SmolLM2's architecture and tokenizer with random weights (2 layers, seed 0), saved
    once per session: a genuinely different model that should score near chance."""
    target = shared_models_home / "random-smollm2-2layer"
    if (target / "config.json").is_file():
        return target
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, set_seed

    source = ensure_model_dir(_shared_settings(shared_models_home, tmp_path_factory))
    config = AutoConfig.from_pretrained(source)
    config.num_hidden_layers = 2
    set_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    AutoTokenizer.from_pretrained(source).save_pretrained(partial)
    partial.rename(target)
    return target


def _shared_settings(shared_models_home: Path, factory: pytest.TempPathFactory) -> Settings:
    """Settings whose models_dir is the shared converted-model cache."""
    from dataclasses import replace

    from workbench.settings import load_settings

    home = factory.mktemp("shared-home")
    base = load_settings({"WORKBENCH_HOME": str(home)})
    (home / "models").symlink_to(shared_models_home, target_is_directory=True)
    return replace(base, home=home)


def poll_job(store: Store, job_id: int, until: Callable[[Job], bool], limit: float = 300.0) -> Job:
    """Re-read the job until ``until(job)`` holds; fail (not hang) after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while True:
        job = store.job(job_id)
        if until(job):
            return job
        if time.monotonic() > deadline:
            pytest.fail(f"job {job_id} never reached the expected state; last: {job}")
        time.sleep(0.1)


@pytest.fixture
def poll() -> Callable[..., Job]:
    """``poll(store, job_id, until)``: re-read a job until a condition holds."""
    return poll_job


async def wait_until(pilot: Any, condition: Callable[[], object], what: str,
                     timeout: float = 30.0) -> None:
    """Let the app run in short steps until ``condition()`` holds; fail at the deadline,
    saying ``what`` never happened. For a screen that redraws on its own (the job
    watcher's JobsChanged, a worker): wait for what the test needs, never a fixed time.
    A widget the condition queries that is not mounted yet counts as "not yet"."""
    from textual.css.query import NoMatches

    def holds() -> bool:
        try:
            return bool(condition())
        except NoMatches:
            return False

    deadline = time.monotonic() + timeout
    while not holds():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:g} s for the app: {what}")
        await pilot.pause(0.05)


@pytest.fixture
def until() -> Callable[..., Awaitable[None]]:
    """``await until(pilot, condition, what)``: run the app until a condition holds."""
    return wait_until


# -- model servers (the `vllm` tests) ------------------------------------------------------

@pytest.fixture(scope="session")
def vllm_python() -> Path:
    """vLLM's own environment (scripts/vllm-setup; scripts/test exports WORKBENCH_VLLM).
    CI sets WORKBENCH_REQUIRE_VLLM=1, so these tests fail there instead of skipping."""
    from workbench.backends.serving.vllm_server import vllm_python as python_of

    command = os.environ.get("WORKBENCH_VLLM")
    if not command:
        if os.environ.get("WORKBENCH_REQUIRE_VLLM") == "1":
            pytest.fail("WORKBENCH_VLLM is not set: run bash scripts/vllm-setup")
        pytest.skip("vLLM is not installed (bash scripts/vllm-setup; export WORKBENCH_VLLM)")
    return python_of(command)


@pytest.fixture(scope="session")
def bundled_model_dir(shared_models_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled model converted to a folder, in the session's shared cache."""
    return ensure_model_dir(_shared_settings(shared_models_home, tmp_path_factory))


@pytest.fixture(scope="session")
def vllm_server(vllm_python: Path, bundled_model_dir: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real `vllm serve` on loopback serving the bundled model as 'smol', with an API key:
    a running server elsewhere, as far as workbench knows (models registered by --url)."""
    from model_servers import VLLM_TEST_KEY, start_vllm

    server = start_vllm(vllm_python, bundled_model_dir, tmp_path_factory.mktemp("vllm"),
                        api_key=VLLM_TEST_KEY)
    yield server
    server.stop()
