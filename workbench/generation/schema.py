"""The JSON shape a model must write for one question (used for guided decoding where the
backend has it, and described in the prompt everywhere).

The supporting ``quote`` comes first: a model that has copied the passage's words down
writes its question about them (and the grounding gate checks the quote against the
passage). Prompts from before the quote (mcq_v1) get one too where the backend follows the
schema; validation requires it whatever the prompt.

Lengths are checked by validation, not in the schema: string-length bounds turn into huge
grammars in llama.cpp and slowed guided generation down several times (measured).
"""

from __future__ import annotations

from typing import Any

MAX_QUESTION_CHARS = 400
MAX_OPTION_CHARS = 200
MAX_EXPLANATION_CHARS = 400
MAX_QUOTE_CHARS = 300

MCQ_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "quote": {"type": "string"},
        "question": {"type": "string"},
        "correct_answer": {"type": "string"},
        "distractors": {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 3,
            "maxItems": 3,
        },
        "explanation": {"type": "string"},
    },
    "required": ["quote", "question", "correct_answer", "distractors", "explanation"],
}
