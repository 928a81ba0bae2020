"""Models that cannot run a task fail with a clear message per run, before any model loads
(the job function in this process, with a real JobContext)."""

from __future__ import annotations

import pytest

from store import Store
from store.records import Project
from workbench.errors import WorkbenchError
from workbench.evaluation.job import run_eval_job
from workbench.evaluation.plan import RunOptions, check_request
from workbench.jobs.context import JobContext
from workbench.settings import Settings


def _run(store: Store, settings: Settings, project: Project, models: list[str],
         tasks: list[str] | None = None) -> list[object]:
    request = check_request(store, project, models, "latest", tasks or [],
                            RunOptions(formulations=("mcf",)))
    job = store.create_job("eval", request.to_params(), project.id)
    with pytest.raises(WorkbenchError, match="No run succeeded"):
        run_eval_job(JobContext(store, store.mark_job_running(job.id, 1), settings))
    return [r for r in store.eval_runs(project.id) if r.job_id == job.id]


def test_unusable_backends_fail_each_run_with_a_reason(
        store: Store, settings: Settings, exam_project: Project, exam_snapshot):
    store.add_model("endpoint", "openai", "http://127.0.0.1:9/v1", {"endpoint_model": "x"})
    store.add_model("gguf", "llama.cpp", "/nonexistent/model.gguf")
    runs = {r.model_name: r for r in _run(store, settings, exam_project, ["endpoint", "gguf"])}
    assert {r.state for r in runs.values()} == {"failed"}
    assert "log-likelihood" in (runs["endpoint"].error or "")
    assert "llama.cpp backend" in (runs["gguf"].error or "")


def test_vllm_without_its_environment_is_a_clear_error(
        store: Store, settings: Settings, exam_project: Project, exam_snapshot, tmp_path):
    from dataclasses import replace

    from workbench.evaluation.plan import start_evaluation

    settings = replace(settings, vllm_command=None)  # absent, whatever this machine has
    (tmp_path / "config.json").write_text("{}")
    store.add_model("fast", "vllm", str(tmp_path))
    request = check_request(store, exam_project, ["fast"], "latest", [],
                            RunOptions(formulations=("mcf",)))
    with pytest.raises(WorkbenchError, match="vLLM is not installed") as refused:
        start_evaluation(store, settings, request)  # refused before any job exists
    assert "scripts/vllm-setup" in refused.value.hint and not store.list_jobs()
    (run,) = _run(store, settings, exam_project, ["fast"])  # and the job says the same
    assert run.state == "failed" and "vLLM is not installed" in (run.error or "")


def test_a_resumed_job_fails_the_interrupted_runs_it_does_not_continue(
        store: Store, settings: Settings, exam_project: Project, exam_snapshot):
    store.add_model("endpoint", "openai", "http://127.0.0.1:9/v1", {"endpoint_model": "x"})
    request = check_request(store, exam_project, ["endpoint"], "latest", [],
                            RunOptions(formulations=("mcf",)))
    job = store.create_job("eval", request.to_params(), exam_project.id)
    left = store.create_eval_run(exam_project.id, "endpoint", "project:mcf", {}, "h",
                                 snapshot_id=exam_snapshot.id, job_id=job.id)
    with pytest.raises(WorkbenchError):
        run_eval_job(JobContext(store, store.mark_job_running(job.id, 1), settings))
    assert store.eval_run(left.id).state == "failed"
    assert "Interrupted" in (store.eval_run(left.id).error or "")
    assert not store.eval_runs(exam_project.id, state="running")
