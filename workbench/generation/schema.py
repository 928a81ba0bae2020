"""The JSON shape a model must write for one question (used for guided decoding where the
backend has it, and described in the prompt everywhere).

Lengths are checked by validation, not in the schema: string-length bounds turn into huge
grammars in llama.cpp and slowed guided generation down several times (measured).
"""

from __future__ import annotations

from typing import Any

MAX_QUESTION_CHARS = 400
MAX_OPTION_CHARS = 200
MAX_EXPLANATION_CHARS = 400

MCQ_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
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
    "required": ["question", "correct_answer", "distractors", "explanation"],
}
