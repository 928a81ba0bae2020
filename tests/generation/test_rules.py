"""Prompts, validation, option placement and near-duplicate detection (no model)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from workbench.errors import InvalidInput
from workbench.generation.dedup import DuplicateIndex, similarity
from workbench.generation.option_order import answer_position, place_options
from workbench.generation.prompts import available_prompts, language_name, load_prompt
from workbench.generation.validation import DraftQuestion, Rejected, check_output

PASSAGE = ("The mitochondrion is the organelle that produces most of the cell's ATP. "
           "Ribosomes build proteins from amino acids.")
GOOD = {
    "quote": "the organelle that produces most of the cell's ATP",
    "question": "Which organelle produces most of the cell's ATP?",
    "correct_answer": "The mitochondrion",
    "distractors": ["The ribosome", "The nucleus", "The Golgi apparatus"],
    "explanation": "The passage says the mitochondrion produces most ATP.",
}


def raw(**changes: object) -> str:
    return json.dumps({**GOOD, **changes})


def test_prompt_file_is_versioned_and_honours_language() -> None:
    assert "mcq_v1" in available_prompts()
    prompt = load_prompt("mcq_v1")
    messages = prompt.messages(PASSAGE, "fr", 2, 3)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert PASSAGE in messages[1]["content"]
    assert "in French" in messages[1]["content"] and "question 2 of 3" in messages[1]["content"]
    assert "in English" in prompt.messages(PASSAGE, "en", 1, 1)[1]["content"]
    assert language_name(None) == "English" and language_name("de-AT") == "German"
    with pytest.raises(InvalidInput):
        load_prompt("mcq_v999")


def test_valid_output_passes_even_in_a_code_fence() -> None:
    draft = check_output("```json\n" + raw() + "\n```", PASSAGE)
    assert draft == DraftQuestion(GOOD["question"], "The mitochondrion",  # type: ignore[arg-type]
                                  ("The ribosome", "The nucleus", "The Golgi apparatus"),
                                  GOOD["explanation"], GOOD["quote"])  # type: ignore[arg-type]


@pytest.mark.parametrize(("output", "reason"), [
    ("", "empty output"),
    ("Sure! Here is a question about cells.", "not JSON"),
    ('{"question": "Which organelle produces', "truncated JSON"),
    ("[1, 2]", "no '{'"),
    (raw(question=None), "missing field 'question'"),
    (raw(question="ATP?"), "shorter than three words"),
    (raw(correct_answer="  "), "field 'correct_answer' is empty"),
    (raw(distractors=["The ribosome", "The nucleus"]), "2 distractors instead of 3"),
    (raw(distractors="The ribosome"), "missing field 'distractors'"),
    (raw(distractors=["The ribosome", "the ribosome!", "The nucleus"]), "duplicate options"),
    (raw(distractors=["the Mitochondrion", "The nucleus", "The ribosome"]),
     "is also a distractor"),
    (raw(distractors=["The ribosome", "The nucleus", "All of the above"]), "all/none of the above"),
    (raw(distractors=["The ribosome", "None of these", "The nucleus"]), "all/none of the above"),
    (raw(question="Ribosomes build proteins from amino acids."), "copied verbatim"),
    (raw(question="x" * 500), "longer than 400"),
])
def test_invalid_output_is_rejected_with_a_reason(output: str, reason: str) -> None:
    with pytest.raises(Rejected) as caught:
        check_output(output, PASSAGE)
    assert reason in caught.value.reason


def test_answer_positions_are_balanced_across_a_to_d() -> None:
    positions = [answer_position(7, k) for k in range(100)]
    assert Counter(positions) == {0: 25, 1: 25, 2: 25, 3: 25}
    for end in range(1, 100):  # never more than one block apart at any point
        counts = Counter(positions[:end])
        assert max(counts.values()) - min(counts.get(p, 0) for p in range(4)) <= 1
    assert positions != [answer_position(8, k) for k in range(100)]  # the seed matters


def test_place_options_is_reproducible_from_the_seed() -> None:
    draft = check_output(raw(), PASSAGE)
    options, answer = place_options(draft, 3, 5, "chunk1-n0")
    assert options[answer] == "The mitochondrion"
    assert sorted(options) == sorted([GOOD["correct_answer"], *GOOD["distractors"]])
    assert place_options(draft, 3, 5, "chunk1-n0") == (options, answer)
    assert answer == answer_position(3, 5)


def test_near_duplicates_are_found_and_different_questions_are_not() -> None:
    index = DuplicateIndex()
    assert index.add(1, "Which organelle produces most of the cell's ATP?") == []
    assert index.add(2, "What does a ribosome build from amino acids?") == []
    assert index.add(3, "Which organelle produces most of the cells ATP") == [1]
    assert index.add(4, "Which organelle stores the cell's genetic material?") == []
    assert similarity("A b c", "a B c!") == 1.0
