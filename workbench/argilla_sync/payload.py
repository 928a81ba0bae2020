"""What a question looks like in Argilla: the dataset's layout, the record of one question,
and the content hash that decides whether it must be sent again. No SDK here: plain data,
turned into SDK objects by ``client``."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from store.argilla import ArgillaPushItem
from store.records import Question

LETTERS = "ABCDEFGHIJ"
MIN_LABELS = 4
ANSWER_QUESTION = "answer"
COMMENT_QUESTION = "comment"
RECORD_PREFIX = "wbq-"
# Bump when the record layout changes: every record is then sent again.
LAYOUT_VERSION = 1

GUIDELINES = """\
# Reviewing generated exam questions

Each record is a multiple-choice question written by a language model from the **source
passage** shown beside it. The model's answer is pre-selected as a suggestion.

- **Correct answer**: pick the option that the passage supports, then *Submit*. Submitting
  the suggestion unchanged approves the question as it is.
- **Discard** the record when the question is flawed: ambiguous, not answerable from the
  passage, more than one correct option, or trivial.
- **Comment** (optional): say what is wrong or what you changed.

Metadata: `status` is the question's state in the workbench (`pending`, `approved`,
`discarded`). Records with status `discarded` were discarded by a workbench reviewer; you may
skip them (filter on the status metadata). `flags` lists automatic warnings such as
`near-duplicate` or `disagreement`.

Drafts are ignored by the workbench; only submitted and discarded responses are pulled.
"""


def default_dataset_name(project_name: str) -> str:
    """``workbench-<project slug>``: stable, readable, safe in URLs."""
    slug = re.sub(r"[^a-z0-9]+", "-", project_name.lower()).strip("-") or "project"
    return f"workbench-{slug}"[:200]


def record_id(question_id: int) -> str:
    """The record's stable external id: pushing again updates, never duplicates."""
    return f"{RECORD_PREFIX}{question_id}"


def label_count(items: list[ArgillaPushItem]) -> int:
    """Labels of the answer question: enough letters for the longest option list."""
    longest = max((len(i.question.options) for i in items), default=0)
    return min(max(MIN_LABELS, longest), len(LETTERS))


def options_markdown(options: list[str]) -> str:
    return "\n\n".join(f"**{LETTERS[i]}.** {text}" for i, text in enumerate(options))


@dataclass(frozen=True)
class RecordPayload:
    """One record as plain data, with the hash of everything it shows."""

    question_id: int
    record_id: str
    fields: dict[str, str]
    metadata: dict[str, Any]
    suggestion: str | None  # answer letter
    agent: str
    content_hash: str


def build_payload(item: ArgillaPushItem) -> RecordPayload:
    """The record for one question, with the workbench's current answer as suggestion."""
    q: Question = item.question
    fields = {
        "question": q.question,
        "options": options_markdown(q.options),
        "passage": item.passage or "(no source passage)",
    }
    if q.explanation:
        fields["explanation"] = q.explanation
    metadata: dict[str, Any] = {"status": q.status}
    # Empty values are left out: the server validates every value it gets (costly), and an
    # absent value filters the same as an empty one.
    if item.document_title:
        metadata["document"] = item.document_title
    if q.model_name:
        metadata["model"] = q.model_name
    if q.flags:
        metadata["flags"] = sorted(q.flags)
    suggestion = None if q.answer_index is None else LETTERS[q.answer_index]
    agent = q.model_name or q.source
    digest = hashlib.sha256(json.dumps(
        [LAYOUT_VERSION, fields, metadata, suggestion, agent], sort_keys=True,
        ensure_ascii=False,
    ).encode()).hexdigest()
    return RecordPayload(q.id, record_id(q.id), fields, metadata, suggestion, agent, digest)


def letter_index(letter: Any) -> int | None:
    """The option index of an answer label, None when it is not a label we made."""
    if isinstance(letter, str) and len(letter) == 1 and letter in LETTERS:
        return LETTERS.index(letter)
    return None
