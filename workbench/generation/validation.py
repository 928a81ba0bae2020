"""Parsing and validating what a model wrote. Strict on purpose: small models often write
JSON-shaped nonsense, and a rejected question (kept with its reason and raw output) is
better than a bad one in the review queue."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from workbench.generation.grounding import GroundingError, check_grounding
from workbench.generation.schema import (
    MAX_EXPLANATION_CHARS,
    MAX_OPTION_CHARS,
    MAX_QUESTION_CHARS,
    MAX_QUOTE_CHARS,
)

_ABOVE = re.compile(
    r"\b(all|none|both|neither)\s+(of\s+)?(the\s+)?(above|these|those|options|answers)\b"
    r"|\b(a|b|c|d)\s+and\s+(a|b|c|d)\b",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)


# Rejection kinds, counted in the generation job's summary. The first group is about the
# output's form, the second is the grounding gate (workbench.generation.grounding).
REJECTION_KINDS = (
    "empty", "not-json", "truncated", "missing-field", "too-long", "too-short",
    "duplicate-options", "refers-to-options", "copied-question",
    "no-quote", "quote-not-in-passage", "no-shared-words",
)


class Rejected(ValueError):
    """Output that cannot become a question; ``reason`` is shown to the user, ``kind``
    (one of REJECTION_KINDS) is what the job summary counts."""

    def __init__(self, reason: str, kind: str = "missing-field") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


@dataclass(frozen=True)
class DraftQuestion:
    """A valid question before its options are placed: the correct answer is separate."""

    question: str
    correct_answer: str
    distractors: tuple[str, str, str]
    explanation: str
    quote: str = ""
    """The passage's words that support the answer, as the model quoted them."""


def normalize(text: str) -> str:
    """Lower-case words joined by single spaces (for comparisons, not for display)."""
    return " ".join(_WORD.findall(text.lower()))


def parse_json_object(raw: str) -> dict[str, Any]:
    """The first JSON object in ``raw`` (code fences and text around it are tolerated)."""
    text = _FENCE.sub("", raw.strip())
    start = text.find("{")
    if start < 0:
        raise Rejected("not JSON: the output has no '{'", "not-json")
    try:
        value, _end = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError as exc:
        if text.rstrip().endswith(("}", "]")):
            raise Rejected(f"not JSON: {exc.msg} at character {exc.pos}", "not-json") from None
        raise Rejected("truncated JSON: the output stops before the object closes",
                       "truncated") from None
    if not isinstance(value, dict):
        raise Rejected("not JSON: the output is not an object", "not-json")
    return value


def _text_field(data: dict[str, Any], name: str, limit: int, required: bool = True) -> str:
    value = data.get(name)
    if value is None:
        if required:
            raise Rejected(f"missing field '{name}'")
        return ""
    if not isinstance(value, str):
        raise Rejected(f"field '{name}' is not text")
    value = " ".join(value.split())
    if required and not value:
        raise Rejected(f"field '{name}' is empty")
    if len(value) > limit:
        raise Rejected(f"field '{name}' is longer than {limit} characters", "too-long")
    return value


def validate_question(data: dict[str, Any], passage: str) -> DraftQuestion:
    """Check one parsed object against the rules; raise Rejected with the first failure.

    Rules: question, correct answer and three distractors present and non-empty; four
    distinct options (compared normalized), the answer not among the distractors; no
    "all/none of the above"; the question not copied verbatim from the passage; then the
    grounding gate: a supporting quote that occurs in the passage, and content words shared
    with it (see ``workbench.generation.grounding``).
    """
    question = _text_field(data, "question", MAX_QUESTION_CHARS)
    if len(_WORD.findall(question)) < 3:
        raise Rejected("question is shorter than three words", "too-short")
    answer = _text_field(data, "correct_answer", MAX_OPTION_CHARS)
    distractors = data.get("distractors")
    if not isinstance(distractors, list):
        raise Rejected("missing field 'distractors' (a list of three wrong answers)")
    if len(distractors) != 3:
        raise Rejected(f"{len(distractors)} distractors instead of 3")
    wrong = [_text_field({"distractor": d}, "distractor", MAX_OPTION_CHARS) for d in distractors]
    options = [answer, *wrong]
    if any(not normalize(o) for o in options):
        raise Rejected("an option has no words", "too-short")
    seen: dict[str, str] = {}
    for option in options:
        key = normalize(option)
        if key in seen:
            if option is answer or seen[key] is answer:
                raise Rejected(f"the correct answer '{answer}' is also a distractor",
                               "duplicate-options")
            raise Rejected(f"duplicate options: '{option}' appears twice", "duplicate-options")
        seen[key] = option
    for option in options:
        if _ABOVE.search(option):
            raise Rejected(f"option '{option}' refers to other options (all/none of the above)",
                           "refers-to-options")
    asked = normalize(question)
    if len(asked.split()) >= 4 and asked in normalize(passage):
        raise Rejected("the question is copied verbatim from the passage", "copied-question")
    explanation = _text_field(data, "explanation", MAX_EXPLANATION_CHARS, required=False)
    quote = _text_field(data, "quote", MAX_QUOTE_CHARS, required=False)
    try:
        check_grounding(question, answer, quote, passage)
    except GroundingError as exc:
        raise Rejected(exc.reason, exc.kind) from None
    return DraftQuestion(question, answer, (wrong[0], wrong[1], wrong[2]), explanation, quote)


def check_output(raw: str, passage: str) -> DraftQuestion:
    """Parse and validate a model's raw output; raise Rejected with the reason."""
    if not raw or not raw.strip():
        raise Rejected("empty output", "empty")
    return validate_question(parse_json_object(raw), passage)
