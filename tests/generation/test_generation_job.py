"""The generation job on the real bundled model (llama.cpp and transformers backends)."""

from __future__ import annotations

import os
import signal
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from store import QuestionFilter, Store
from store.records import Project, Question
from workbench.errors import BackendUnavailable, InvalidInput, NotFound
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
