"""The generation job on the real bundled model (llama.cpp and transformers backends)."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from store import QuestionFilter, Store
from store.records import NewQuestion, Project, Question
from workbench.errors import BackendUnavailable, InvalidInput, NotFound
from workbench.generation.dedup import NEAR_DUPLICATE
from workbench.generation.launch import GenerationRequest, prepare_generation, start_generation
from workbench.jobs.launch import cancel_and_wait, pid_alive
from workbench.jobs.runner import run_job
from workbench.jobs.supervise import supervise_jobs, wait_for_job
from workbench.settings import Settings

ALL = QuestionFilter(include_rejected=True)


def job_questions(store: Store, project: Project, job_id: int) -> list[Question]:
    return [q for q in store.list_questions(project.id, ALL) if q.job_id == job_id]


def run_in_process(store: Store, settings: Settings, req: GenerationRequest) -> int:
    """Record the job and run it in this process (no process start-up, same code path)."""
    params = prepare_generation(store, settings, req)
    job = store.create_job("generate", params, params["project_id"])
    run_job(str(settings.store_path), job.id)
    return job.id


# -- errors before any job exists ----------------------------------------------------------

def test_unavailable_models_fail_before_a_job_starts(
    store: Store, settings: Settings, corpus_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # vLLM absent here whatever this machine has (WORKBENCH_VLLM is the switch, in the
    # settings and in the environment a job process would read). Generation through a
    # present vLLM (a managed server) is tested in tests/evaluation/test_managed_vllm.py.
    monkeypatch.delenv("WORKBENCH_VLLM", raising=False)
    settings = replace(settings, vllm_command=None, openai_base_url=None)
    store.add_model("big-gpu", "vllm", "/models/big")
    store.add_model("remote", "openai", "gpt-4o-mini")
    store.add_model("gone", "llama.cpp", "/nowhere/model.gguf")
    store.add_model("odd", "tensorrt", "/x")
    name = corpus_project.name
    cases: list[tuple[GenerationRequest, type[Exception], str]] = [
        (GenerationRequest(name, model="big-gpu"), BackendUnavailable, "vLLM is not installed"),
        (GenerationRequest(name, model="remote"), BackendUnavailable, "No endpoint URL"),
        (GenerationRequest(name, model="gone"), BackendUnavailable, "GGUF file"),
        (GenerationRequest(name, model="odd"), BackendUnavailable, "Unknown model backend"),
        (GenerationRequest(name, model="nope"), NotFound, "No model named 'nope'"),
        (GenerationRequest("no-such-project"), NotFound, "No project named"),
        (GenerationRequest(name, per_chunk=0), InvalidInput, "between 1 and 10"),
        (GenerationRequest(name, limit_chunks=0), InvalidInput, "at least 1"),
        (GenerationRequest(name, document_ids=[999]), InvalidInput, "[999] are not in project"),
    ]
    for req, error, text in cases:
        with pytest.raises(error) as caught:
            start_generation(store, settings, req)
        assert text in str(caught.value), (req, caught.value)
        assert caught.value.hint  # type: ignore[attr-defined]
    empty = store.create_project("empty")
    with pytest.raises(InvalidInput, match="has no chunks"):
        start_generation(store, settings, GenerationRequest(empty.name))
    assert store.list_jobs() == []


def test_cli_reports_a_missing_endpoint_without_starting_a_job(
    cli: Any, store: Store, corpus_project: Project
) -> None:
    store.add_model("remote", "openai", "gpt-4o-mini")
    env_url = os.environ.pop("OPENAI_BASE_URL", None)
    try:
        out = cli("generate", "--project", corpus_project.name, "--model", "remote")
    finally:
        if env_url is not None:
            os.environ["OPENAI_BASE_URL"] = env_url
    assert out.returncode == 1
    assert "No endpoint URL for model 'remote'" in out.stderr and "OPENAI_BASE_URL" in out.stderr
    assert store.list_jobs() == []


def test_cli_generate_prints_the_job_id_and_records_the_plan(
    cli: Any, store: Store, settings: Settings, corpus_project: Project
) -> None:
    out = cli("generate", "--project", corpus_project.name, "--limit-chunks", "2",
              "--per-chunk", "3", "--seed", "9")
    assert out.returncode == 0, out.stderr
    job_id = int(out.stdout.strip())
    assert f"Started generation job {job_id}: 2 chunks x 3" in out.stderr
    job = cancel_and_wait(store, settings, job_id, grace_seconds=0)  # no model work needed
    assert job.state == "cancelled" and job.kind == "generate"
    assert job.project_id == corpus_project.id
    assert len(job.params["chunk_ids"]) == 2
    assert (job.params["per_chunk"], job.params["seed"]) == (3, 9)
    assert job.params["model"]["backend"] == "llama.cpp"


# -- the real model ------------------------------------------------------------------------

@pytest.mark.slow
def test_generation_stores_questions_with_provenance(
    store: Store, settings: Settings, corpus_project: Project
) -> None:
    req = GenerationRequest(corpus_project.name, per_chunk=2, limit_chunks=1, seed=11,
                            max_new_tokens=160, max_attempts=1)
    job_id = run_in_process(store, settings, req)
    job = store.job(job_id)
    assert job.state == "done", (job.error, job.hint)
    chunk_ids = job.params["chunk_ids"]
    questions = job_questions(store, corpus_project, job_id)
    assert sorted(q.item_key for q in questions) == sorted(
        f"chunk{c}-n{n}" for c in chunk_ids for n in range(2))
    for q in questions:
        assert q.chunk_id in chunk_ids and q.document_id is not None
        assert (q.model_name, q.backend, q.prompt_version, q.seed) == (
            "smollm2-135m-gguf", "llama.cpp", "mcq_v2", 11)
        assert q.raw_output  # what the model wrote is always kept
        if q.status == "rejected":
            assert q.rejection_reason and "(after" in q.rejection_reason
            assert q.answer_index is None
        else:
            assert q.status == "pending"
            assert len(q.options) == 4 and len({o.lower() for o in q.options}) == 4
            assert q.answer_index in range(4)
    counts = Counter(q.status for q in questions)
    assert job.result["rejected"] == counts["rejected"]
    assert job.result["questions"] == counts["pending"]
    assert job.result["rejection_rate"] == round(counts["rejected"] / 2, 4)
    assert (job.progress_done, job.progress_total) == (2, 2)


@pytest.mark.slow
def test_truncated_output_from_the_real_model_is_retried_then_rejected(
    store: Store, settings: Settings, corpus_project: Project
) -> None:
    # 16 tokens cannot hold the JSON object: the real model writes truncated JSON.
    req = GenerationRequest(corpus_project.name, per_chunk=1, limit_chunks=1, max_new_tokens=16,
                            max_attempts=2)
    job_id = run_in_process(store, settings, req)
    (question,) = job_questions(store, corpus_project, job_id)
    assert question.status == "rejected"
    assert question.rejection_reason == (
        "truncated JSON: the output stops before the object closes (after 2 attempts)")
    assert question.raw_output and question.raw_output.lstrip().startswith("{")
    assert store.job(job_id).result["rejection_rate"] == 1.0


@pytest.mark.slow
def test_transformers_backend_runs_the_same_job(
    store: Store, settings: Settings, corpus_project: Project
) -> None:
    req = GenerationRequest(corpus_project.name, model="smollm2-135m", per_chunk=1,
                            limit_chunks=1, max_new_tokens=48, max_attempts=1)
    job_id = run_in_process(store, settings, req)
    job = store.job(job_id)
    assert job.state == "done", (job.error, job.hint)
    (question,) = job_questions(store, corpus_project, job_id)
    assert (question.backend, question.model_name) == ("transformers", "smollm2-135m")
    assert question.raw_output
    assert question.status in ("pending", "rejected")


@pytest.mark.slow
def test_kill_9_then_resume_equals_an_uninterrupted_run(
    cli: Any, store: Store, settings: Settings, corpus_project: Project, poll: Any
) -> None:
    req = GenerationRequest(corpus_project.name, per_chunk=1, limit_chunks=3, seed=5,
                            max_new_tokens=60, max_attempts=1)
    killed = start_generation(store, settings, req)
    running = poll(store, killed.id, lambda j: j.progress_done >= 1 and j.state == "running")
    assert running.progress_done < running.progress_total
    os.kill(running.pid, signal.SIGKILL)
    poll(store, killed.id, lambda j: not pid_alive(j.pid))
    supervise_jobs(store, settings)
    assert store.job(killed.id).state == "interrupted"
    committed = len(job_questions(store, corpus_project, killed.id))
    assert 1 <= committed < 3

    out = cli("jobs", "resume", str(killed.id), "--wait")
    assert out.returncode == 0, out.stdout + out.stderr

    straight = start_generation(store, settings, req)
    assert wait_for_job(store, settings, straight.id, poll_seconds=0.2).state == "done"

    resumed_qs = job_questions(store, corpus_project, killed.id)
    straight_qs = job_questions(store, corpus_project, straight.id)
    assert len(resumed_qs) == len(straight_qs) == 3
    keys = [q.item_key for q in resumed_qs]
    assert len(set(keys)) == len(keys)
    assert sorted(keys) == sorted(q.item_key for q in straight_qs)
    assert store.job(killed.id).attempts == 2
    assert store.job(killed.id).result["items"] == 3
    # Same seeds, same model: the resumed run wrote what the uninterrupted one wrote.
    assert sorted((q.item_key, q.raw_output) for q in resumed_qs) == sorted(
        (q.item_key, q.raw_output) for q in straight_qs)


# -- near-duplicate flags commit with their questions ---------------------------------------

# A fault between the questions' INSERT and the flags' UPDATE, made by the database itself:
# the store's own code path runs unchanged and fails exactly at that point, as a kill would.
FAULT = ("CREATE TRIGGER fault_injection_flags BEFORE UPDATE OF flags ON questions"
         " BEGIN SELECT RAISE(ABORT, 'fault injected before the flags'); END")


def _inject_fault(store: Store, on: bool) -> None:
    with store.transaction() as c:
        c.execute(FAULT if on else "DROP TRIGGER fault_injection_flags")


def test_questions_and_the_flags_they_cause_commit_together(store: Store, project: Project
                                                            ) -> None:
    (stored,) = store.add_questions([NewQuestion(
        project.id, "Which organelle makes most of the cell's energy?",
        ["Mitochondria", "Ribosome", "Nucleus", "Golgi body"], 0, source="imported")])
    twin = NewQuestion(project.id, "Which organelle makes most of a cell's energy?",
                       ["Mitochondria", "Nucleus", "Ribosome", "Vacuole"], 0,
                       flags=[NEAR_DUPLICATE], job_id=None, item_key=None)
    before = store.table_counts()

    _inject_fault(store, on=True)
    with pytest.raises(sqlite3.IntegrityError, match="fault injected"):
        store.add_questions([twin], flag_existing={stored: [NEAR_DUPLICATE]})
    _inject_fault(store, on=False)
    assert store.table_counts() == before  # the inserted twin went with the failed flags
    assert store.question(stored).flags == []

    with pytest.raises(NotFound, match="No question with id 999999"):
        store.add_questions([twin], flag_existing={999999: [NEAR_DUPLICATE]})
    assert store.table_counts() == before

    (new_id,) = store.add_questions([twin], flag_existing={stored: [NEAR_DUPLICATE, "x"]})
    assert store.question(new_id).flags == [NEAR_DUPLICATE]
    assert store.question(stored).flags == [NEAR_DUPLICATE, "x"]


def _scripted_question(passage: str) -> dict[str, Any]:
    """A question grounded in ``passage`` that passes validation, the same for every item
    of a passage (so a chunk's items nearly duplicate each other)."""
    words = re.findall(r"\w+", passage)[:6]  # six consecutive words: a quote in the passage
    return {"quote": " ".join(words),
            "question": f"In the text, which words come after '{' '.join(words[:3])}'?",
            "correct_answer": " ".join(words[3:6]),
            "distractors": ["purple quartz violins", "seven frozen lanterns", "a salty orbit"],
            "explanation": "The passage says so."}


@pytest.fixture
def scripted_endpoint() -> Iterator[str]:
    """An OpenAI-compatible /v1/chat/completions server on loopback that answers every
    request with ``_scripted_question`` of the prompt's passage.

    It stands in for a capable model (the bundled one rarely writes a valid question, see
    STACK.md): the job, its backend, the HTTP client, validation and the store run for real.
    """
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompt = body["messages"][-1]["content"]
            passage = prompt.split('"""')[-2]
            content = json.dumps(_scripted_question(passage))
            data = json.dumps({
                "id": "chatcmpl-1", "object": "chat.completion", "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def test_a_fault_before_the_flags_commit_loses_no_flag_after_resume(
    cli: Any, store: Store, settings: Settings, corpus_project: Project, scripted_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A real job process fails between storing a chunk's questions and flagging their
    near-duplicates; resumed, every near-duplicate ends up flagged. Before the flags were
    committed with their questions, the chunk's questions stayed committed without flags and
    the resumed job, skipping committed items, never flagged them."""
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_endpoint)  # the job process reads it
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = replace(settings, openai_base_url=scripted_endpoint, openai_api_key="sk-test")
    store.add_model("scripted", "openai", "scripted", {"endpoint_model": "scripted"})
    req = GenerationRequest(corpus_project.name, model="scripted", per_chunk=2, limit_chunks=2,
                            max_attempts=1)
    first_chunk = store.chunk(prepare_generation(store, settings, req)["chunk_ids"][0])
    (earlier,) = store.add_questions([NewQuestion(
        corpus_project.id, _scripted_question(first_chunk.text)["question"],
        ["a b", "c d", "e f", "g h"], 0, status="approved", source="imported")])

    _inject_fault(store, on=True)
    job = start_generation(store, settings, req)
    failed = wait_for_job(store, settings, job.id, poll_seconds=0.2)
    assert failed.state == "failed" and "fault injected" in (failed.error or ""), failed
    # Nothing of the chunk whose flags failed was kept, so a resume writes it again.
    assert job_questions(store, corpus_project, job.id) == []
    assert store.question(earlier).flags == []

    _inject_fault(store, on=False)
    out = cli("jobs", "resume", str(job.id), "--wait")
    assert out.returncode == 0, out.stdout + out.stderr
    questions = job_questions(store, corpus_project, job.id)
    assert sorted(q.item_key for q in questions) == sorted(
        f"chunk{c}-n{n}" for c in store.job(job.id).params["chunk_ids"] for n in range(2))
    assert all(q.status == "pending" for q in questions), [q.rejection_reason for q in questions]
    # Each chunk's two items are the same question; the first chunk's also repeat `earlier`.
    assert all(q.flags == [NEAR_DUPLICATE] for q in questions)
    assert store.question(earlier).flags == [NEAR_DUPLICATE]
    assert store.job(job.id).attempts == 2
