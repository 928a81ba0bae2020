"""The prefix-sharing scorer (workbench.backends.prefix_scorer) gives lighteval's own numbers.

Both scorers run the same snapshot through workbench's evaluation path (``run_model``: the
exported custom task file, lighteval's Pipeline building the prompts, running the metrics),
once with the fast scorer and once with lighteval's own TransformersModel
(WORKBENCH_FAST_SCORER=0), on the bundled model. Sample by sample: the same prompts, every
option's log-likelihood within 1e-4, the same prediction, the same metric values, the same
aggregate scores.

Axes: formulation (letters ``mcf``, ``cloze``), chat template on/off, 0- and 5-shot; the
generative formulation (written answers, which the fast scorer leaves to lighteval's own
generation) once, with the chat template. On 2 shared CPU cores the full cross product (8 runs per
scorer) is too slow, so the cases are a pairwise cover: every formulation meets both chat
settings and both few-shot counts, and every chat setting meets both few-shot counts:

    chat template on:   mcf 0-shot, cloze 5-shot
    chat template off:  mcf 5-shot, cloze 0-shot

(letters with five examples inside the chat template would be the costliest case for
lighteval's own scorer, which runs that prompt once per option).

The snapshot holds 105 test questions (the demo's, an imported bank, and generated ones with
options that share leading tokens or are prefixes of each other) plus 5 few-shot ones.

Then the paths the scorer leaves to lighteval (a question longer than the model's length,
a generative request) and a built-in lighteval task (its own prompt function and metrics,
with both log-likelihood and generative requests) run on a local copy of its data.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from store import Store
from store.records import Project
from workbench.backends.registry import backend_for
from workbench.bundled_model import BUNDLED_MODEL
from workbench.evaluation.plan import RunOptions, TaskSpec, project_tasks
from workbench.evaluation.runner import ModelRun, run_model
from workbench.question_bank import import_bank
from workbench.settings import Settings
from workbench.snapshots import TASK_FILE_NAME, build_snapshot, export_snapshot

# Minutes on 2 shared cores: lighteval's own scorer is the reference, 105 questions a case.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

LOGPROB_TOLERANCE = 1e-4
FEWSHOT = 5

# -- questions ---------------------------------------------------------------------------

CAPITALS = [
    ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Portugal", "Lisbon"),
    ("Canada", "Ottawa"), ("Australia", "Canberra"), ("Egypt", "Cairo"), ("Kenya", "Nairobi"),
    ("Argentina", "Buenos Aires"), ("Brazil", "Brasilia"), ("Peru", "Lima"),
    ("Norway", "Oslo"), ("Sweden", "Stockholm"), ("Finland", "Helsinki"),
    ("Poland", "Warsaw"), ("Greece", "Athens"), ("Turkey", "Ankara"), ("India", "New Delhi"),
    ("China", "Beijing"), ("South Korea", "Seoul"), ("Thailand", "Bangkok"),
    ("Mexico", "Mexico City"), ("Chile", "Santiago"), ("Ireland", "Dublin"),
    ("Austria", "Vienna"),
]
OPPOSITES = [
    ("hot", "cold"), ("tall", "short"), ("early", "late"), ("full", "empty"),
    ("happy", "sad"), ("open", "closed"), ("heavy", "light"), ("fast", "slow"),
    ("rich", "poor"), ("wet", "dry"), ("loud", "quiet"), ("young", "old"),
]
# Options that share their first tokens, or are prefixes of one another: the prefix holds
# more than the context, and an option may end where another goes on.
SHARED_STARTS = [
    ("Which gas do animals breathe out?", ["Carbon monoxide", "Carbon dioxide", "Carbon",
                                           "Carbon tetrachloride"], 1),
    ("Which is the most populous city in the United States?",
     ["New York City", "New York", "New Orleans", "Newark"], 0),
    ("Which of these is a primary colour of light?", ["Green", "Greenish blue",
                                                      "Green-yellow", "Grey"], 0),
    ("Which number is the largest?", ["one hundred", "one hundred and one", "one",
                                      "one thousand"], 3),
    ("What do bees make?", ["Honey", "Honeycomb wax only", "Hone", "Honey mustard"], 0),
]


def generated_bank() -> list[list[str]]:
    """80 questions in the MMLU CSV layout (question, four options, answer letter)."""
    rows: list[list[str]] = []
    letters = "ABCD"
    for i, (country, capital) in enumerate(CAPITALS):
        others = [CAPITALS[(i + k) % len(CAPITALS)][1] for k in (3, 7, 11)]
        at = i % 4
        options = others[:at] + [capital] + others[at:]
        rows.append([f"What is the capital of {country}?", *options, letters[at]])
    for i in range(38):
        a, b = 12 + 7 * i, 5 + 3 * i
        total = a + b
        at = (i * 3) % 4
        wrong = [total + 1, total - 10, total + 11]
        options = [str(x) for x in wrong[:at] + [total] + wrong[at:]]
        rows.append([f"What is {a} plus {b}?", *options, letters[at]])
    for i, (word, opposite) in enumerate(OPPOSITES[:12]):
        others = [OPPOSITES[(i + k) % len(OPPOSITES)][1] for k in (1, 4, 6)]
        at = (i + 1) % 4
        options = others[:at] + [opposite] + others[at:]
        rows.append([f"Which word means the opposite of '{word}'?", *options, letters[at]])
    for question, options, answer in SHARED_STARTS:
        rows.append([question, *options, letters[answer]])
    return rows


@pytest.fixture
def large_snapshot(store: Store, exam_project: Project, tmp_path: Path) -> tuple[str, Path]:
    """The exam project (30 questions) plus the generated bank: 105 test, 5 few-shot; its
    exported custom task file."""
    path = tmp_path / "generated.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(generated_bank())
    import_bank(store, exam_project, path)
    snapshot = build_snapshot(store, exam_project, fewshot=FEWSHOT, seed=0).snapshot
    assert (snapshot.question_count, snapshot.fewshot_count) == (105, FEWSHOT)
    folder = export_snapshot(store, snapshot.id, tmp_path / "export")
    return snapshot.id, folder / TASK_FILE_NAME


# -- running both scorers ------------------------------------------------------------------

def run_both(settings: Settings, store: Store, specs: list[TaskSpec], chat_template: bool,
             custom_tasks: Path | None, workdir: Path) -> tuple[ModelRun, ModelRun]:
    """The same tasks through workbench's runner with the fast scorer and without it."""
    runs = []
    for fast in (True, False):
        backend = backend_for(store.model(BUNDLED_MODEL), replace(settings, fast_scorer=fast))
        backend.check()
        backend.open(print)
        try:
            runs.append(run_model(backend, specs, RunOptions(), chat_template, custom_tasks,
                                  workdir / ("fast" if fast else "lighteval"), print))
        finally:
            backend.close()
    fast_run, lighteval_run = runs
    assert not fast_run.errors and not lighteval_run.errors, (fast_run.errors,
                                                              lighteval_run.errors)
    assert fast_run.model_info["scorer"] == "prefix-sharing"
    assert lighteval_run.model_info["scorer"] == "lighteval"
    assert fast_run.model_info["use_chat_template"] is chat_template
    assert lighteval_run.model_info["use_chat_template"] is chat_template
    return fast_run, lighteval_run


def assert_same_results(fast: ModelRun, lighteval: ModelRun, task: str, count: int) -> None:
    """Sample by sample: prompts, per-option log-likelihoods (1e-4), predictions, metrics."""
    ours, theirs = fast.results[task], lighteval.results[task]
    assert len(ours.samples) == len(theirs.samples) == count
    assert ours.inputs == theirs.inputs  # lighteval built the same prompts for both
    worst = 0.0
    for a, b in zip(ours.samples, theirs.samples, strict=True):
        assert (a.sample_index, a.question_id, a.gold_index) == (
            b.sample_index, b.question_id, b.gold_index)
        assert len(a.logprobs) == len(b.logprobs) == 4
        for x, y in zip(a.logprobs, b.logprobs, strict=True):
            assert abs(x - y) <= LOGPROB_TOLERANCE, (task, a.sample_index, a.logprobs,
                                                     b.logprobs)
            worst = max(worst, abs(x - y))
        assert a.prediction_index == b.prediction_index, (task, a.sample_index)
        assert a.metrics == b.metrics, (task, a.sample_index)
        assert a.correct == b.correct
    assert set(ours.scores) == set(theirs.scores) >= {"acc", "acc_norm"}
    for name, score in ours.scores.items():
        assert (score.value, score.stderr) == (theirs.scores[name].value,
                                               theirs.scores[name].stderr), name
    print(f"{task}: {count} samples, largest log-likelihood difference {worst:.2e}")


@pytest.mark.parametrize(("chat_template", "cases"), [
    (True, (("mcf", 0), ("cloze", FEWSHOT))),
    (False, (("mcf", FEWSHOT), ("cloze", 0))),
], ids=["chat-template", "no-chat-template"])
def test_fast_scorer_equals_lighteval_sample_by_sample(
    settings: Settings, store: Store, large_snapshot: tuple[str, Path], tmp_path: Path,
    chat_template: bool, cases: tuple[tuple[str, int], ...],
) -> None:
    snapshot_id, task_file = large_snapshot
    specs = [replace(spec, fewshot=fewshot)
             for formulation, fewshot in cases
             for spec in project_tasks(snapshot_id, RunOptions(formulations=(formulation,)))]
    fast, lighteval = run_both(settings, store, specs, chat_template, task_file, tmp_path)
    for spec in specs:
        assert_same_results(fast, lighteval, spec.lighteval_spec, 105)
        prompt = fast.results[spec.lighteval_spec].inputs[0]["context"]
        # The axes really are what the case says.
        assert prompt.startswith("<|im_start|>") is chat_template
        assert prompt.count("Question:") == spec.fewshot + 1


def test_generative_runs_are_lighteval_s_own_sample_by_sample(
    settings: Settings, store: Store, large_snapshot: tuple[str, Path], tmp_path: Path,
) -> None:
    """The generative formulation writes answers (lighteval's greedy_until, which the fast
    scorer leaves to lighteval): through the whole pipeline on the 105 questions, the same
    reply, option read, metrics and scores with either scorer."""
    snapshot_id, task_file = large_snapshot
    specs = project_tasks(snapshot_id, RunOptions(formulations=("generative",)))
    fast, lighteval = run_both(settings, store, specs, True, task_file, tmp_path)
    [spec] = specs
    ours, theirs = fast.results[spec.lighteval_spec], lighteval.results[spec.lighteval_spec]
    assert len(ours.samples) == len(theirs.samples) == 105
    assert ours.inputs == theirs.inputs
    for a, b in zip(ours.samples, theirs.samples, strict=True):
        assert a.reply is not None and a.logprobs == b.logprobs == []
        assert (a.sample_index, a.reply, a.prediction_index, a.metrics) == (
            b.sample_index, b.reply, b.prediction_index, b.metrics)
    assert {k: s.value for k, s in ours.scores.items()} == {
        k: s.value for k, s in theirs.scores.items()}
    assert set(ours.scores) >= {"acc", "unparsed"}


# -- the paths left to lighteval -----------------------------------------------------------

SHORT_LENGTH = 64  # tokens: the direct models' max_length, so one question is too long


@pytest.fixture(scope="module")
def scorers(bundled_model_dir: Path) -> Iterator[tuple[Any, Any]]:
    """lighteval's TransformersModel and the prefix-sharing one, same weights and settings
    (no chat template, max_length 64)."""
    from lighteval.models.transformers.transformers_model import (
        TransformersModel,
        TransformersModelConfig,
    )

    from workbench.backends.prefix_scorer import PrefixSharingModel
    from workbench.evaluation.offline import detach_cache, disable_sample_cache

    disable_sample_cache()
    config = TransformersModelConfig(
        model_name=str(bundled_model_dir), batch_size=8, dtype="float32",
        override_chat_template=False, max_length=SHORT_LENGTH)
    theirs, ours = TransformersModel(config), PrefixSharingModel(config)
    for model in (theirs, ours):
        detach_cache(model)
    assert type(ours).__mro__[1] is TransformersModel and ours.scorer == "prefix-sharing"
    yield theirs, ours


def _docs() -> list[Any]:
    from lighteval.tasks.requests import Doc

    long_question = " ".join(f"Fact {i}: the sky is blue." for i in range(12))
    return [
        Doc(query="Question: What is 2 plus 2?\nA. 3\nB. 4\nC. 5\nD. 22\nAnswer:",
            choices=[" A", " B", " C", " D"], gold_index=1, task_name="direct"),
        Doc(query=f"Question: {long_question} What colour is the sky?\nAnswer:",
            choices=[" blue", " green", " red", " grey"], gold_index=0, task_name="direct"),
        Doc(query="Question: Which gas do animals breathe out?\nAnswer:",
            choices=[" Carbon dioxide", " Carbon monoxide", " Carbon", " Oxygen"],
            gold_index=0, task_name="direct"),
        Doc(query="Question: Which city has the most people?\nAnswer: ",  # trailing space
            choices=["New York City", "New York", "Newark", "Boston"], gold_index=0,
            task_name="direct"),
    ]


def test_too_long_questions_go_to_lighteval_and_the_rest_match(
    scorers: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    theirs, ours = scorers
    docs = _docs()
    lengths = [len(ours.tok_encode(ours.prompt_manager.prepare_prompt(d))) for d in docs]
    assert lengths[1] > SHORT_LENGTH > max(lengths[:1] + lengths[2:])
    handed_over: list[list[Any]] = []
    original = ours._loglikelihood_tokens

    def recording(requests: list[Any], rolling: bool = False) -> Any:
        handed_over.append(list(requests))
        return original(requests, rolling=rolling)

    monkeypatch.setattr(ours, "_loglikelihood_tokens", recording)
    expected, got = theirs.loglikelihood(docs), ours.loglikelihood(docs)
    # Only the question lighteval cuts from the left went to lighteval's own code.
    assert [[d is docs[1] for d in call] for call in handed_over] == [[True]]
    assert len(got) == len(expected) == len(docs)
    for doc, a, b in zip(docs, got, expected, strict=True):
        assert len(a.logprobs) == len(b.logprobs) == len(doc.choices)
        assert a.logprobs == pytest.approx(b.logprobs, abs=LOGPROB_TOLERANCE)
        assert a.argmax_logits_eq_gold == b.argmax_logits_eq_gold
        assert a.input_tokens.tolist() == b.input_tokens.tolist()
        assert a.output_tokens.tolist() == b.output_tokens.tolist()
    assert got[1].logprobs == expected[1].logprobs  # the same code on the same weights


def test_a_shared_start_is_encoded_once_for_all_batches(
    scorers: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ten letters questions behind the same long instruction, in two batches of 8: the
    instruction goes through the model once, then one pass per batch; lighteval's numbers."""
    from lighteval.tasks.requests import Doc

    from workbench.backends.prefix_scorer import common_prefix_length

    theirs, ours = scorers
    instruction = ("The following are multiple choice questions about simple arithmetic. "
                   "Read each question carefully, then answer with the letter of the right "
                   "option only.\n\n")
    docs = [Doc(query=f"{instruction}Question: What is {a} plus {a + 3}?\nA. {2 * a + 3}\n"
                      f"B. {2 * a + 4}\nAnswer:",
                choices=[" A", " B"], gold_index=0, task_name="shared")
            for a in range(1, 11)]
    prompts = [ours.tok_encode(ours.prompt_manager.prepare_prompt(d)) for d in docs]
    shared = common_prefix_length(prompts)
    longest = max(len(p) for p in prompts)
    assert shared >= 32 and longest < SHORT_LENGTH  # worth sharing, and nothing is cut
    passes: list[int] = []
    forward = ours.model.forward

    def counting(*args: Any, **kwargs: Any) -> Any:
        passes.append(kwargs["input_ids"].shape[0])
        return forward(*args, **kwargs)

    monkeypatch.setattr(ours.model, "forward", counting)
    got = ours.loglikelihood(docs)
    monkeypatch.setattr(ours.model, "forward", forward)
    assert passes == [1, 8, 2]  # the shared start once, then each batch's questions
    expected = theirs.loglikelihood(docs)
    for a, b in zip(got, expected, strict=True):
        assert a.logprobs == pytest.approx(b.logprobs, abs=LOGPROB_TOLERANCE)
        assert a.argmax_logits_eq_gold == b.argmax_logits_eq_gold
        assert a.output_tokens.tolist() == b.output_tokens.tolist()


def _cloze_docs() -> list[Any]:
    """Ten cloze questions behind the same long instruction (two batches of 8), options of
    one to several tokens, some sharing their first tokens."""
    from lighteval.tasks.requests import Doc

    instruction = ("The following are questions about the capitals of countries. Complete "
                   "each sentence with the name of the right city, as an atlas would.\n\n")
    docs = []
    for i, (country, capital) in enumerate(CAPITALS[:10]):
        others = [CAPITALS[(i + k) % len(CAPITALS)][1] for k in (3, 7)]
        choices = [f" {capital}", *(f" {o}" for o in others), f" {capital} City"]
        docs.append(Doc(query=f"{instruction}Question: What is the capital of {country}?\n"
                              "Answer:", choices=choices, gold_index=0, task_name="cloze"))
    return docs


def _assert_same(got: list[Any], expected: list[Any]) -> None:
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert a.logprobs == pytest.approx(b.logprobs, abs=LOGPROB_TOLERANCE)
        assert a.argmax_logits_eq_gold == b.argmax_logits_eq_gold
        assert a.input_tokens.tolist() == b.input_tokens.tolist()
        assert a.output_tokens.tolist() == b.output_tokens.tolist()


def test_options_of_several_tokens_are_packed_into_the_question_s_pass(
    scorers: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cloze: each batch is one forward pass, every option's rest packed after its
    question's prefix behind a 4D mask; lighteval's numbers with SDPA and with the eager
    attention (an additive mask); an attention that takes no mask leaves them to lighteval."""
    theirs, ours = scorers
    docs = _cloze_docs()
    plans = [ours.tok_encode_pair(ours.prompt_manager.prepare_prompt(d), d.choices,
                                  pairwise=True)[1] for d in docs]
    assert all(max(len(c) for c in options) >= 2 for options in plans)  # rests to pack
    expected = theirs.loglikelihood(docs)
    passes: list[tuple[int, bool]] = []
    forward = ours.model.forward

    def counting(*args: Any, **kwargs: Any) -> Any:
        passes.append((kwargs["input_ids"].shape[0], kwargs.get("attention_mask") is not None))
        return forward(*args, **kwargs)

    monkeypatch.setattr(ours.model, "forward", counting)
    assert ours.packs_options and ours.scorer == "prefix-sharing"
    _assert_same(ours.loglikelihood(docs), expected)
    # The shared instruction once, then one masked pass per batch (8 + 2 questions).
    assert passes == [(1, False), (8, True), (2, True)]

    monkeypatch.setattr(ours.model.config, "_attn_implementation", "eager")
    passes.clear()
    _assert_same(ours.loglikelihood(docs), expected)
    assert passes == [(1, False), (8, True), (2, True)]

    monkeypatch.setattr(ours.model, "forward", forward)
    monkeypatch.setattr(ours.model.config, "_attn_implementation", "flash_attention_2")
    assert not ours.packs_options and "flash_attention_2 attention takes no custom mask" in (
        ours.scorer)
    handed_over: list[int] = []
    original = ours._loglikelihood_tokens

    def lighteval_s_own(requests: list[Any], rolling: bool = False) -> Any:
        handed_over.append(len(requests))
        ours.model.config._attn_implementation = "sdpa"  # what can run on this machine
        try:
            return original(requests, rolling=rolling)
        finally:
            ours.model.config._attn_implementation = "flash_attention_2"

    monkeypatch.setattr(ours, "_loglikelihood_tokens", lighteval_s_own)
    _assert_same(ours.loglikelihood(docs), expected)
    assert handed_over == [len(docs)]


def test_models_whose_cache_cannot_be_cut_are_left_to_lighteval() -> None:
    """Sliding-window layers keep only their last tokens: no prefix can be cut out of them."""
    from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM

    from workbench.backends.prefix_scorer import prefix_sharing_unsupported

    tiny: dict[str, Any] = {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32,
                            "num_hidden_layers": 2, "num_attention_heads": 2,
                            "num_key_value_heads": 1}
    assert prefix_sharing_unsupported(LlamaForCausalLM(LlamaConfig(**tiny))) is None
    windowed = MistralForCausalLM(MistralConfig(sliding_window=8, **tiny))
    assert prefix_sharing_unsupported(windowed) == "sliding-window attention layers"


def test_generative_requests_are_lighteval_s_own(scorers: tuple[Any, Any]) -> None:
    from lighteval.tasks.requests import Doc, SamplingMethod

    theirs, ours = scorers
    docs = [Doc(query=q, choices=[], gold_index=0, task_name="direct", generation_size=8,
                stop_sequences=["\n"], sampling_methods=[SamplingMethod.GENERATIVE])
            for q in ("The capital of France is", "Two plus two equals")]
    expected, got = theirs.greedy_until(docs), ours.greedy_until(docs)
    assert [r.text for r in got] == [r.text for r in expected]
    assert all(r.text and r.text[0].strip() for r in got)


# -- a built-in lighteval task ---------------------------------------------------------------

BUILTIN_TASK_FILE = '''\
"""lighteval's own mmlu_redux_2:anatomy (prompt function, metrics) on a local data folder."""
import dataclasses
from pathlib import Path

from lighteval.tasks.tasks.mmlu_redux import TASKS_TABLE as BUILTIN

_anatomy = next(c for c in BUILTIN if c.name == "mmlu_redux_2:anatomy")
TASKS_TABLE = [dataclasses.replace(
    _anatomy, name="mmlu_redux_2_local:anatomy", hf_subset="default",
    hf_repo=str(Path(__file__).resolve().parent / "anatomy"))]
'''


def test_a_builtin_task_scores_the_same_with_the_fast_scorer(
    settings: Settings, store: Store, exam_project: Project, tmp_path: Path,
) -> None:
    """mmlu_redux_2 asks for log-likelihoods (acc) and a generated letter (pass@1): the
    first go through the prefix-sharing scorer, the second through lighteval's generation."""
    rows = generated_bank()[:24]
    data = tmp_path / "tasks" / "anatomy" / "data"
    data.mkdir(parents=True)
    with (data / "test.jsonl").open("w", encoding="utf-8") as f:
        for question, *options, answer in rows:
            f.write(json.dumps({"question": question, "choices": options,
                                "answer": "ABCD".index(answer)}) + "\n")
    task_file = tmp_path / "tasks" / "builtin_local.py"
    task_file.write_text(BUILTIN_TASK_FILE, encoding="utf-8")
    spec = TaskSpec(task="mmlu_redux_2_local:anatomy",
                    lighteval_name="mmlu_redux_2_local:anatomy", fewshot=0)
    fast, lighteval = run_both(settings, store, [spec], False, task_file, tmp_path)
    ours, theirs = fast.results[spec.lighteval_spec], lighteval.results[spec.lighteval_spec]
    assert ours.inputs[0]["context"].startswith(
        "The following are multiple choice questions (with answers) about anatomy.")
    assert ours.inputs[0]["choices"] == ["A", "B", "C", "D"]  # the built-in prompt's own
    assert set(ours.scores) >= {"acc", "pass@k:k=1"}, ours.scores
    for a, b in zip(ours.samples, theirs.samples, strict=True):
        assert a.logprobs == pytest.approx(b.logprobs, abs=LOGPROB_TOLERANCE)
        assert (a.prediction_index, a.metrics) == (b.prediction_index, b.metrics)
    assert {k: s.value for k, s in ours.scores.items()} == {
        k: s.value for k, s in theirs.scores.items()}
    # lighteval keeps one detail per question and request kind (log-likelihood, generation).
    assert len(ours.samples) == 2 * len(rows)
    assert sum(len(s.logprobs) == 4 for s in ours.samples) == len(rows)
