"""The generative formulation on the in-process llama.cpp backend (llama-cpp-python on the
bundled GGUF): offered for GGUF models, letters and cloze refused before any job, a run end
to end with its replies and unparsed count, and a killed job whose resume asks llama.cpp
nothing it already answered.

Against llama-cpp-python's own server on the same file: both apply the GGUF's chat template
to the same messages and decode greedily, so asked with the same sampling settings they
write the same text (tolerance: none; measured 2026-12-07, llama-cpp-python 0.3.36: equal on
every prompt tried). One setting differs on the path of an ``openai`` model: the server's
default ``repeat_penalty`` is 1.1 (workbench's chat requests send none: OpenAI's API has no
such field) while the in-process path asks for 1.0 (plain greedy, as lighteval's
transformers generation). Through that path we ask that the option read from the reply (None
included) agrees on at least AGREEMENT of LIMIT questions. Measured: 4 of 4 options agree;
2 of 4 replies differ in text ("B. 110" here, "B. 100" from the server; "B. 366" / "B. 364"
inside a question the model wrote itself), and asking the server with repeat_penalty 1.0
gives this path's text again."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from store import Store
from store.records import Project
from tests.evaluation.in_process import eval_in_process, generative_run
from tests.evaluation.written_answers import checked_written_answers
from workbench.bundled_model import BUNDLED_GGUF_MODEL, gguf_path, register_bundled_models
from workbench.errors import BackendUnavailable, InvalidInput
from workbench.evaluation.plan import RunOptions, check_models, check_request, start_evaluation
from workbench.jobs.launch import resume_job
from workbench.jobs.supervise import tail_log, wait_for_job
from workbench.settings import Settings, load_settings

LIMIT = 4
AGREEMENT = 3  # of LIMIT questions, through the openai path (see the module docstring)
GENERATIVE = RunOptions(formulations=("generative",), limit=LIMIT)


def test_a_gguf_model_offers_generative_and_is_refused_letters_and_cloze_before_a_job(
        store: Store, exam_project: Project, exam_snapshot: Any, cli: Any) -> None:
    from workbench.backends.registry import scorable_formulations

    added = cli("models", "add", "my-gguf", "--backend", "llama.cpp", "--path", str(gguf_path()))
    assert added.returncode == 0, added.stderr
    settings = load_settings()
    for name in ("my-gguf", BUNDLED_GGUF_MODEL):
        assert scorable_formulations(store.model(name), settings) == (("generative",), "")

    with pytest.raises(InvalidInput) as refused:
        check_models(settings, [store.model("my-gguf")], RunOptions(), scored=True)
    assert "cannot be scored on mcf, cloze" in refused.value.title
    assert "no log-likelihoods" in refused.value.title
    assert "it supports generative" in refused.value.title
    assert refused.value.hint == "Choose --formulation generative."
    with pytest.raises(InvalidInput, match="always wraps prompts in the chat template"):
        check_models(settings, [store.model("my-gguf")],
                     RunOptions(formulations=("generative",), chat_template=False), scored=True)
    check_models(settings, [store.model("my-gguf")], GENERATIVE, scored=True)  # accepted

    # The CLI says the same and starts nothing.
    for args in (("--formulation", "cloze"), ("--formulation", "generative",
                                               "--no-chat-template")):
        out = cli("eval", "run", "--project", exam_project.name, "--model", "my-gguf", *args)
        assert out.returncode == 1
        said = " ".join((out.stdout + out.stderr).split())
        assert ("it supports generative" in said if args[1] == "cloze"
                else "always wraps prompts in the chat template" in said), said
    assert store.list_jobs() == []


def test_the_revision_of_a_gguf_model_follows_its_file(store: Store, settings: Settings,
                                                       tmp_path: Path) -> None:
    from workbench.backends.registry import backend_for

    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + b"\x00" * 100)
    store.add_model("g", "llama.cpp", str(gguf))
    first = backend_for(store.model("g"), settings).revision()
    assert first.startswith("sha256:")
    assert backend_for(store.model("g"), settings).revision() == first
    gguf.write_bytes(b"GGUF" + b"\x01" * 101)
    assert backend_for(store.model("g"), settings).revision() != first


def test_the_context_of_a_gguf_model_is_its_max_model_len(store: Store, settings: Settings,
                                                          cli: Any) -> None:
    from workbench.backends.registry import backend_for

    store.add_model("g", "llama.cpp", str(gguf_path()))
    assert backend_for(store.model("g"), settings).llama_kwargs()["n_ctx"] == 2048
    out = cli("models", "set", "g", "--engine-arg", "max_model_len=4096")
    assert out.returncode == 0, out.stderr
    assert backend_for(store.model("g"), settings).llama_kwargs()["n_ctx"] == 4096


def test_the_replier_keeps_its_replies_and_says_when_a_prompt_does_not_fit(
        tmp_path: Path) -> None:
    from workbench.backends.llamacpp_replies import LlamaCppReplier
    from workbench.backends.serving.chat_replies import ChatRequest

    args = {"model_path": str(gguf_path()), "n_ctx": 256, "n_threads": 1, "n_gpu_layers": 0}
    cache = tmp_path / "answers.sqlite"
    asked = [ChatRequest((("user", f"What is {n} plus {n}?"),), 8) for n in (1, 2, 1)]
    first = LlamaCppReplier("smol", args, "rev", cache_path=cache)
    replies = first.replies(asked)
    first.close()
    assert first.sent == 2 and replies[0] == replies[2] and replies[0] != replies[1]
    assert all(r.strip() for r in replies)
    again = LlamaCppReplier("smol", args, "rev", cache_path=cache)
    assert again.replies(asked) == replies
    assert (again.sent, again.from_cache) == (0, 2)
    assert again._llama is None  # all kept: the model was never loaded
    other = LlamaCppReplier("smol", args, "rev2", cache_path=cache)  # other weights: asked anew
    other.replies(asked[:1])
    assert (other.sent, other.from_cache) == (1, 0)
    with pytest.raises(BackendUnavailable, match="exceed context window") as too_long:
        other.replies([ChatRequest((("user", "word " * 400),), 8)])
    assert "n_ctx, 256 tokens" in too_long.value.hint
    assert "models set smol --engine-arg max_model_len=" in too_long.value.hint
    other.close()
    other.close()  # twice is safe


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_generative_run_on_a_gguf_model_and_against_the_llama_cpp_server(
        store: Store, exam_project: Project, exam_snapshot: Any, tmp_path: Path) -> None:
    from model_servers import start_llama_cpp_server

    store.add_model("my-gguf", "llama.cpp", str(gguf_path()))
    local = generative_run(store, exam_project, eval_in_process(
        store, exam_project, ["my-gguf"], GENERATIVE))
    settings = local.settings
    assert (settings["backend"], settings["formulation"]) == ("llama.cpp", "generative")
    assert settings["override_chat_template"] is True  # the GGUF's own template
    assert (settings["max_new_tokens"], settings["temperature"], settings["reasoning"],
            settings["seed"], settings["limit"]) == (32, 0.0, False, 0, LIMIT)
    model_info = local.repro["model"]
    assert model_info["revision"].startswith("sha256:")
    assert model_info["runtime"] == "llama-cpp-python in the job process"
    assert model_info["n_ctx"] == 2048

    samples = checked_written_answers(store, local)
    assert len(samples) == LIMIT
    assert all(s.reply and s.reply.strip() for s in samples)

    server = start_llama_cpp_server(gguf_path(), tmp_path / "llama", "smol-gguf")
    try:
        store.add_model("gguf-server", "openai", server.url, {"endpoint_model": "smol-gguf"})
        served = generative_run(store, exam_project, eval_in_process(
            store, exam_project, ["gguf-server"], GENERATIVE))
        exact = _same_text_as_the_server(server.url, "smol-gguf")
    finally:
        server.stop()
    theirs = {s.sample_index: s for s in store.sample_results(served.id)}
    ours = {s.sample_index: s for s in samples}
    assert ours.keys() == theirs.keys()
    same_text = sum(ours[i].reply == theirs[i].reply for i in ours)
    same = sum(ours[i].prediction_index == theirs[i].prediction_index for i in ours)
    print(f"options agree {same}/{LIMIT}, text {same_text}/{LIMIT}; in-process "
          f"{[ours[i].reply for i in sorted(ours)]}; server {[theirs[i].reply for i in sorted(ours)]}")
    assert same >= AGREEMENT
    assert exact == (3, 3)


def _same_text_as_the_server(url: str, served_name: str) -> tuple[int, int]:
    """(replies equal, asked): this process's llama.cpp and the server, asked the same
    messages with the same sampling settings (repeat_penalty 1.0 sent to the server)."""
    import httpx

    from workbench.backends.llamacpp_replies import LlamaCppReplier
    from workbench.backends.serving.chat_replies import ChatRequest, body, reply_text

    asked = [ChatRequest((("user", f"Question: {q}\nA. {a}\nB. {b}\nC. {c}\nD. {d}\n"
                                   "Answer:"),), 32)
             for q, a, b, c, d in (("How many days are there in a leap year?", 364, 365, 366, 367),
                                   ("What is the boiling point of water at sea level in degrees "
                                    "Celsius?", 90, 100, 110, 120),
                                   ("What is 7 multiplied by 8?", 54, 56, 58, 64))]
    replier = LlamaCppReplier("smol", {"model_path": str(gguf_path()), "n_ctx": 2048,
                                       "n_threads": 1, "n_gpu_layers": 0})
    ours = replier.replies(asked)
    replier.close()
    theirs = [reply_text(httpx.post(f"{url}/chat/completions", timeout=300, json={
        **body(served_name, r, 0), "repeat_penalty": 1.0}).json()) for r in asked]
    print(f"in-process {ours}; server {theirs}")
    return sum(a == b for a, b in zip(ours, theirs, strict=True)), len(asked)


def _cached_replies(path: Path) -> list[str]:
    """The replies in a running job's reply cache (read-only: the job owns the file)."""
    import pickle

    from workbench.keyed_cache import TABLE

    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        try:
            return [pickle.loads(row[0]) for row in db.execute(f"SELECT value FROM {TABLE}")]
        except sqlite3.OperationalError:  # the job has not made its table yet
            return []


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_killed_generative_job_on_a_gguf_model_resumes_without_asking_again(
        store: Store, settings: Settings, exam_project: Project, exam_snapshot: Any,
        poll: Any) -> None:
    import os
    import signal

    options = RunOptions(formulations=("generative",), limit=8)
    reference = generative_run(store, exam_project, eval_in_process(
        store, exam_project, [BUNDLED_GGUF_MODEL], options))
    expected = {s.sample_index: s.reply for s in store.sample_results(reference.id)}

    request = check_request(store, exam_project, [BUNDLED_GGUF_MODEL], "latest", [],
                            RunOptions(formulations=("generative",), limit=8, force=True))
    job = start_evaluation(store, settings, request)
    answers = settings.jobs_dir / f"job-{job.id}-answers.sqlite"
    poll(store, job.id, lambda j: bool(_cached_replies(answers)) or not j.active, limit=600)
    assert store.job(job.id).active, tail_log(store.job(job.id))[-20:]
    os.kill(store.job(job.id).pid, signal.SIGKILL)
    assert wait_for_job(store, settings, job.id, poll_seconds=0.1).state == "interrupted"
    kept = _cached_replies(answers)
    assert 1 <= len(kept) < 8, "the job answered everything before it was killed"

    resume_job(store, settings, job.id)
    final = wait_for_job(store, settings, job.id, poll_seconds=0.2)
    assert final.state == "done", tail_log(final)[-20:]
    [run] = store.job_eval_runs(job.id)
    assert run.state == "done"
    # The resumed attempt wrote only the replies the killed one had not kept.
    assert (f"llama.cpp: {8 - len(kept)} replies written, {len(kept)} taken from the job's "
            "reply cache") in "\n".join(tail_log(final, 400))
    replies = {s.sample_index: s.reply for s in store.sample_results(run.id)}
    assert replies == expected  # and the result is the uninterrupted run's
    assert set(kept) <= set(replies.values())
    assert not answers.exists()  # a finished job drops its reply cache


def test_a_gguf_model_is_refused_as_a_judge_of_the_model_checks(cli: Any, store: Store) -> None:
    # The checks score log-likelihoods; a judge that only writes answers says so at once.
    from tests.quality.check_cases import make_check_project

    project, _ = make_check_project(store)
    register_bundled_models(store)
    out = cli("checks", "run", "--project", project.name, "--judge", BUNDLED_GGUF_MODEL,
              "--formulation", "mcf", "--wait", "--json")
    said = " ".join((out.stdout + out.stderr).split())
    assert out.returncode != 0, said
    assert (f"The judge '{BUNDLED_GGUF_MODEL}' cannot return log-likelihoods: the llama.cpp "
            "backend writes answers but gives lighteval no log-likelihoods") in said
    assert store.model_check_results(project.id) == []
