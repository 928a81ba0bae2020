"""The generative formulation through a real OpenAI-compatible chat server on loopback:
llama-cpp-python's server on the bundled GGUF, which returns no prompt log-probabilities
(so letters and cloze are refused) but writes answers through /v1/chat/completions.

Tolerance against the local transformers run: both run the same weights (the transformers
folder is the GGUF dequantized), but llama.cpp computes with its quantized kernels and its
own copy of the chat template, so a greedy reply can take another turn at a close call. We
ask that the option read from the reply (None included) agrees on at least 3 of 4
questions. Measured (2026-12-07, llama-cpp-python 0.3.36): 4 of 4 agree, though one reply's
text differs ("B. 100" from the server, "B. 110\n\nThe answer is D. 110." locally); 3 of 4
replies on both are the model writing a question of its own (unparsed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from model_servers import FaultProxy, RunningServer, start_llama_cpp_server

from store import Store
from store.records import Project
from tests.evaluation.in_process import eval_in_process, generative_run
from tests.evaluation.written_answers import checked_written_answers
from workbench.bundled_model import gguf_path
from workbench.errors import InvalidInput
from workbench.evaluation.answer_extraction import extract_choice
from workbench.evaluation.plan import RunOptions, check_models
from workbench.jobs.runner import run_job
from workbench.settings import Settings, load_settings

pytestmark = pytest.mark.slow
LIMIT = 4
AGREEMENT = 3  # of LIMIT questions, the same option read (None included)


@pytest.fixture
def chat_server(store: Store, tmp_path: Any) -> Iterator[RunningServer]:
    server = start_llama_cpp_server(gguf_path(), tmp_path / "llama", "smol-gguf")
    store.add_model("gguf-server", "openai", server.url, {"endpoint_model": "smol-gguf"})
    yield server
    server.stop()


@pytest.mark.timeout(1800)
def test_generative_through_a_chat_server_and_against_transformers(
        store: Store, exam_project: Project, exam_snapshot: Any,
        chat_server: RunningServer) -> None:
    from workbench.backends.registry import scorable_formulations

    supported, _ = scorable_formulations(store.model("gguf-server"), load_settings())
    assert supported == ("generative",)
    with pytest.raises(InvalidInput, match="(?s)cannot be scored on mcf, cloze.*it supports generative"):
        check_models(load_settings(), [store.model("gguf-server")], RunOptions(), scored=True)
    # No tokenizer here: only the chat endpoint, which always applies the template; a run
    # "without" it would be recorded as what did not run.
    with pytest.raises(InvalidInput, match="always wraps prompts in the model's chat template"):
        check_models(load_settings(), [store.model("gguf-server")],
                     RunOptions(formulations=("generative",), chat_template=False), scored=True)

    options = RunOptions(formulations=("generative",), limit=LIMIT)
    served = generative_run(store, exam_project, eval_in_process(
        store, exam_project, ["gguf-server"], options))
    assert served.settings["backend"] == "openai"
    assert served.settings["override_chat_template"] is True  # the server applies it
    samples = checked_written_answers(store, served)
    assert len(samples) == LIMIT
    # Replies with no letter (measured: 3 of 4, "Question: ...") are unparsed and wrong.
    no_answer = [s for s in samples if s.prediction_index is None]
    assert no_answer
    for s in no_answer:
        assert s.unparsed and s.correct == 0.0 and s.metrics["unparsed"] == 1.0

    # The same model locally (transformers, chat template as the server has it).
    local = generative_run(store, exam_project, eval_in_process(
        store, exam_project, ["smollm2-135m"],
        RunOptions(formulations=("generative",), limit=LIMIT, chat_template=True)))
    ours = {s.sample_index: s.prediction_index for s in store.sample_results(local.id)}
    theirs = {s.sample_index: s.prediction_index for s in samples}
    assert ours.keys() == theirs.keys()
    same = sum(ours[i] == theirs[i] for i in ours)
    print(f"agreement {same}/{LIMIT}; server replies {[s.reply for s in samples]}; "
          f"local {[s.reply for s in store.sample_results(local.id)]}")
    assert same >= AGREEMENT


def test_replies_are_kept_so_a_resume_after_the_server_went_down_sends_none_again(
        chat_server: RunningServer, tmp_path: Any) -> None:
    from workbench.backends.serving.chat_replies import ChatReplier, ChatRequest
    from workbench.backends.serving.http import Endpoint, RetryPolicy
    from workbench.errors import ServiceError

    endpoint = Endpoint(chat_server.url, "smol-gguf")
    cache = tmp_path / "answers.sqlite"
    asked = [ChatRequest((("user", f"Question: What is {n} plus {n}?\nAnswer:"),), 8)
             for n in (1, 2)]
    first = ChatReplier(endpoint, 1, cache)
    replies = first.replies(asked)
    first.close()
    assert first.sent == 2 and all(isinstance(r, str) for r in replies)
    chat_server.stop()  # the server goes down
    quick = RetryPolicy(attempts=2, first_delay=0.01, max_delay=0.02, timeout=5)
    again = ChatReplier(endpoint, 1, cache, quick)
    assert again.replies(asked) == replies  # from the job's cache: nothing sent
    assert (again.sent, again.from_cache) == (0, 2)
    with pytest.raises(ServiceError, match="did not answer after 2 attempts"):
        again.replies([ChatRequest((("user", "Question: one more?\nAnswer:"),), 8)])
    again.close()


def test_reasoning_is_its_own_task_with_its_budget_and_the_reasoning_kept(
        store: Store, exam_project: Project, exam_snapshot: Any,
        chat_server: RunningServer) -> None:
    options = RunOptions(formulations=("generative",), limit=1, reasoning=True)
    job = eval_in_process(store, exam_project, ["gguf-server"], options)
    [run] = [r for r in store.eval_runs(exam_project.id) if r.job_id == job.id]
    assert (run.task, run.state) == ("project:generative-reasoning", "done"), run.error
    assert (run.settings["reasoning"], run.settings["max_new_tokens"]) == (True, 512)
    assert "def generative_reasoning_prompt" in run.repro["prompt_function"]
    [sample] = store.sample_results(run.id)
    options_shown = store.snapshot_items(exam_snapshot.id, "test")[sample.sample_index].payload[
        "options"]
    assert sample.reply is not None  # the reasoning, stored with the sample
    assert sample.prediction_index == extract_choice(sample.reply, options_shown, ["Question:"])


OUTAGE_LIMIT = 10
ANSWERED_BEFORE_OUTAGE = 4


def test_an_outage_mid_run_fails_clearly_and_the_resume_sends_only_the_rest(
        store: Store, settings: Settings, exam_project: Project, exam_snapshot: Any,
        chat_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server behind a proxy that answers 503 once it has answered N chat requests. One
    request at a time (llama.cpp's server answers one at a time anyway), so the counts are
    known: the outage fails the job after the first refused request's 3 attempts without
    trying the others, and the resume sends each remaining request once."""
    monkeypatch.setenv("WORKBENCH_SERVED_RETRIES", "3")
    proxy = FaultProxy(chat_server.url)
    try:
        store.add_model("proxied", "openai", proxy.url, {
            "endpoint_model": chat_server.served_name, "engine_args": {"concurrency": 1}})
        options = RunOptions(formulations=("generative",), limit=OUTAGE_LIMIT)
        clean_job = eval_in_process(store, exam_project, ["proxied"], options)
        clean = {s.sample_index: s for s in store.sample_results(
            generative_run(store, exam_project, clean_job).id)}
        assert len(clean) == OUTAGE_LIMIT
        clean_sent = proxy.chat_faults.answered
        # Every question's messages differ (its own question), so one request each.
        assert clean_sent == len(proxy.chat_faults.prompts) == OUTAGE_LIMIT
        assert proxy.faults.answered == 0  # no log-likelihood asked of this server

        proxy.chat_faults = type(proxy.chat_faults)(down_after=ANSWERED_BEFORE_OUTAGE)
        job = eval_in_process(store, exam_project, ["proxied"], RunOptions(
            formulations=("generative",), limit=OUTAGE_LIMIT, force=True))
        assert job.state == "failed" and "No run succeeded" in (job.error or "")
        (failed,) = [r for r in store.eval_runs(exam_project.id) if r.job_id == job.id]
        assert failed.state == "failed"
        assert f"The server at {proxy.url} did not answer after 3 attempts" in (failed.error or "")
        assert "HTTP 503: unavailable (test)" in (failed.error or "")
        assert store.sample_results(failed.id) == []
        assert proxy.chat_faults.answered == ANSWERED_BEFORE_OUTAGE
        # The next request's 3 attempts, and at most one more request's that the worker
        # took up before the failure was seen; not the other 5 requests (15 attempts).
        assert proxy.chat_faults.refused in (3, 6)

        proxy.chat_faults.down_after = None  # the server is back
        store.requeue_job(job.id)
        run_job(str(settings.store_path), job.id)
        assert store.job(job.id).state == "done", store.job(job.id).error
        # Every distinct request reached the server once over both attempts, as many as the
        # clean run sent.
        assert proxy.chat_faults.answered == len(proxy.chat_faults.prompts) == clean_sent
        assert set(proxy.chat_faults.prompts.values()) == {1}
        [resumed] = [r for r in store.eval_runs(exam_project.id)
                     if r.job_id == job.id and r.state == "done"]
        assert resumed.task == "project:generative"
        ours = {s.sample_index: s for s in store.sample_results(resumed.id)}
        assert ours.keys() == clean.keys()
        for i, sample in ours.items():
            assert (sample.reply, sample.prediction_index, sample.correct, sample.unparsed) == (
                clean[i].reply, clean[i].prediction_index, clean[i].correct, clean[i].unparsed)
        assert resumed.scores["acc"].value == pytest.approx(
            generative_run(store, exam_project, clean_job).scores["acc"].value)
    finally:
        proxy.close()
