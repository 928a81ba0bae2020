"""The JSON shape a model must write for one question (used for guided decoding where the
backend has it, and described in the prompt everywhere)."""

from __future__ import annotations

from typing import Any

MAX_QUESTION_CHARS = 400
MAX_OPTION_CHARS = 200
MAX_EXPLANATION_CHARS = 400

MCQ_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "question": {"type": "string", "minLength": 5, "maxLength": MAX_QUESTION_CHARS},
        "correct_answer": {"type": "string", "minLength": 1, "maxLength": MAX_OPTION_CHARS},
        "distractors": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": MAX_OPTION_CHARS},
            "minItems": 3,
            "maxItems": 3,
        },
        "explanation": {"type": "string", "maxLength": MAX_EXPLANATION_CHARS},
    },
    "required": ["question", "correct_answer", "distractors", "explanation"],
}
