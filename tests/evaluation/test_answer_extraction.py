"""The letter read from a written reply (generative formulation): the formats chat models
write, the option's own text, and replies with no answer (None: counted as unparsed)."""

from __future__ import annotations

import pytest

from workbench.evaluation.answer_extraction import extract_choice

OPTIONS = ["mitochondria", "cell wall", "nucleus", "cell"]


@pytest.mark.parametrize(("reply", "expected"), [
    ("B", 1),
    ("(B)", 1),
    (" B", 1),
    ("B.", 1),
    ("B) cell wall", 1),
    ("Answer: B", 1),
    ("answer: C", 2),
    ("The answer is B.", 1),
    ("The answer is (C).", 2),
    ("The correct answer is: D", 3),
    ("**C**", 2),
    ("It is option B", 1),
    ("I think it is (D), the cell.", 3),
    ("A", 0),
    ("A. mitochondria", 0),
    # a later explicit statement wins over an earlier one (the model corrected itself)
    ("Answer: A. Wait, no. The final answer is C", 2),
    # reasoning is dropped: only what follows it counts
    ("<think>A looks right, or B</think>\nAnswer: D", 3),
    # the option's text, without a letter
    ("cell wall", 1),
    ("The cell wall.", 1),
    ("Nucleus", 2),
    ("Mitochondria is the answer", 0),
    # "cell" is part of "cell wall": the longer option is the one named
    ("It must be the cell wall", 1),
])
def test_reads_the_chosen_option(reply: str, expected: int) -> None:
    assert extract_choice(reply, OPTIONS) == expected


@pytest.mark.parametrize("reply", [
    "",
    "I don't know",
    "Question: what does DNA store?",
    # two options named, no letter: ambiguous
    "A cell has a nucleus and mitochondria",
    # a letter beyond the options offered (four options: A-D)
    "E",
    "The answer is F.",
    # two different parenthesised letters
    "Either (A) or (B)",
])
def test_no_answer_is_none(reply: str) -> None:
    assert extract_choice(reply, OPTIONS) is None


def test_articles_are_not_letters() -> None:
    # "A" and "I" that start a sentence are words; "a" is never a letter
    assert extract_choice("I believe so", ["x", "y", "z"]) is None
    assert extract_choice("A good question", ["x", "y", "z"]) is None
    assert extract_choice("the answer is a guess", ["x", "y", "z"]) is None
    # "B" followed by a word is still the letter B
    assert extract_choice("B because it stores DNA", ["x", "y", "z"]) == 1


def test_letters_follow_the_number_of_options() -> None:
    assert extract_choice("C", ["yes", "no"]) is None
    assert extract_choice("B", ["yes", "no"]) == 1
    assert extract_choice("B", []) is None
    assert extract_choice(None, ["yes", "no"]) is None


def test_only_the_text_before_the_first_stop_sequence_counts() -> None:
    stop = ["\n\n", "Question:"]
    # a local chat model writes on after its answer (seen with SmolLM2 and lighteval)
    assert extract_choice("B. 7 percent\n\nThe answer is D. 7 percent.", OPTIONS, stop) == 1
    assert extract_choice("B. 7 percent\n\nThe answer is D. 7 percent.", OPTIONS) == 3
    # a model that writes a question of its own has not answered, whatever follows
    echo = "Question: What is the cell wall?\nA. mitochondria\nB. cell wall"
    assert extract_choice(echo, OPTIONS, stop) is None
    assert extract_choice("C\nQuestion: next one?\nA", OPTIONS, stop) == 2
