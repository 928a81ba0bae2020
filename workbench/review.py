"""Review rules: what a reviewer may decide about a question, and what each decision stores.

The screen and the CLI both call ``decide`` and ``undo_last``; neither writes a review by
itself. Every decision becomes one review row (who, when, what changed with the previous
values) through ``Store.record_review``, so the question's status always follows its latest
review and nothing is lost if the terminal dies mid-session.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from store.checks import ModelCheckResult
from store.questions import QuestionFilter
from store.records import QUESTION_STATUSES, Question, Review
from workbench.errors import InvalidInput
from workbench.generation.grounding import NOT_GROUNDED_IMPORTED, grounding_status, quote_span

if TYPE_CHECKING:
    from store import Store

LETTERS = "ABCDEFGHIJ"
GENERATED_OPTION_COUNT = 4
IMPORTED_OPTION_RANGE = (2, 10)

# The short pick list of the discard dialog; any other text is allowed too.
DISCARD_REASONS = (
    "wrong answer",
    "ambiguous",
    "not answerable from the passage",
    "more than one correct option",
    "trivial",
    "duplicate",
    "badly worded",
)


# -- decisions ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Accept:
    """Approve the question as it is."""


@dataclass(frozen=True)
class Answer:
    """Set the correct option and approve."""

    index: int


@dataclass(frozen=True)
class Discard:
    """Take the question out of the dataset, saying why."""

    reason: str
    comment: str = ""


@dataclass(frozen=True)
class Edit:
    """Change the wording; fields left as None keep their value. The status does not change."""

    question: str | None = None
    options: list[str] | None = None
    explanation: str | None = None


Decision = Accept | Answer | Discard | Edit


@dataclass(frozen=True)
class Plan:
    """What ``record_review`` gets for one decision."""

    action: str
    new_values: dict[str, Any]
    reason: str | None = None
    comment: str | None = None


# -- validation ---------------------------------------------------------------------------
def is_imported(question: Question) -> bool:
    """Imported question banks may have 2-10 options; generated ones always have four."""
    return question.source.startswith("import")


def option_count_range(question: Question) -> tuple[int, int]:
    if is_imported(question):
        return IMPORTED_OPTION_RANGE
    return (GENERATED_OPTION_COUNT, GENERATED_OPTION_COUNT)


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def validate_content(
    text: str, options: list[str], answer_index: int | None, count_range: tuple[int, int]
) -> None:
    """Raise InvalidInput unless the question is fit to approve: a question, the right
    number of distinct non-empty options, and exactly one correct option."""
    if not text.strip():
        raise InvalidInput("The question text is empty.", "Type the question, or discard it.")
    low, high = count_range
    if not low <= len(options) <= high:
        wanted = f"{low}" if low == high else f"{low} to {high}"
        raise InvalidInput(
            f"A question needs {wanted} options; this one has {len(options)}.",
            "Fill in every option.",
        )
    for i, option in enumerate(options):
        if not option.strip():
            raise InvalidInput(
                f"Option {LETTERS[i]} is empty.", "Every option needs some text."
            )
    seen: dict[str, int] = {}
    for i, option in enumerate(options):
        key = _normal(option)
        if key in seen:
            raise InvalidInput(
                f"Options {LETTERS[seen[key]]} and {LETTERS[i]} are the same.",
                "Each option must differ from the others.",
            )
        seen[key] = i
    if answer_index is None or not 0 <= answer_index < len(options):
        raise InvalidInput(
            "The question has no correct option.",
            f"Press 1-{len(options)} (or a letter) to mark the correct one.",
        )


def parse_answer(text: str, option_count: int) -> int:
    """'B', 'b' or '2' -> 1. InvalidInput if it names no option of this question."""
    value = text.strip().upper()
    if value.isdigit() and 1 <= int(value) <= option_count:
        return int(value) - 1
    if len(value) == 1 and value in LETTERS[:option_count]:
        return LETTERS.index(value)
    raise InvalidInput(
        f"'{text}' is not an option of this question.",
        f"Use a letter A-{LETTERS[option_count - 1]} or a number 1-{option_count}.",
    )


# -- planning -----------------------------------------------------------------------------
def plan(question: Question, decision: Decision) -> Plan:
    """The review a decision makes on ``question``; InvalidInput if the decision is not
    allowed (an invalid edit, approving a question that is not fit, a discard without a
    reason). Nothing is written here."""
    counts = option_count_range(question)
    if isinstance(decision, Accept):
        validate_content(question.question, question.options, question.answer_index, counts)
        return Plan("accept", {"status": "approved"})
    if isinstance(decision, Answer):
        if not 0 <= decision.index < len(question.options):
            raise InvalidInput(
                f"Question {question.id} has no option {decision.index + 1}.",
                f"It has {len(question.options)} options.",
            )
        validate_content(question.question, question.options, decision.index, counts)
        return Plan("answer", {"answer_index": decision.index, "status": "approved"})
    if isinstance(decision, Discard):
        reason = " ".join(decision.reason.split())
        if not reason:
            raise InvalidInput("A discard needs a reason.", "Pick one from the list or type one.")
        return Plan("discard", {"status": "discarded"}, reason=reason,
                    comment=decision.comment.strip() or None)
    return _plan_edit(question, decision, counts)


def _plan_edit(question: Question, edit: Edit, counts: tuple[int, int]) -> Plan:
    text = question.question if edit.question is None else edit.question.strip()
    options = question.options if edit.options is None else [o.strip() for o in edit.options]
    explanation = (
        question.explanation if edit.explanation is None else edit.explanation.strip()
    )
    validate_content(text, options, question.answer_index, counts)
    new_values: dict[str, Any] = {}
    if text != question.question:
        new_values["question"] = text
    if options != question.options:
        new_values["options"] = options
    if explanation != question.explanation:
        new_values["explanation"] = explanation
    return Plan("edit", new_values)


# -- writing ------------------------------------------------------------------------------
def decide(
    store: Store, question_id: int, decision: Decision, reviewer: str, origin: str = "tui"
) -> Review | None:
    """Apply one decision as one review. Returns None for an edit that changes nothing."""
    current = store.question(question_id)
    step = plan(current, decision)
    if step.action == "edit" and not step.new_values:
        return None
    return store.record_review(
        question_id, reviewer, step.action, step.new_values, origin=origin,
        reason=step.reason, comment=step.comment,
    )


def check_undoable(question: Question, review: Review) -> None:
    """InvalidInput unless the question still holds what ``review`` set: undoing a review
    whose fields were changed since would silently overwrite the later change."""
    for field, (_before, after) in review.changes.items():
        if getattr(question, field) != after:
            raise InvalidInput(
                f"Question {question.id} changed after that {review.action}"
                f" (its {field} is no longer what the review set).",
                "Undo goes back through your decisions in order; review the question again"
                " instead.",
            )


def undo_last(store: Store, project_id: int, reviewer: str, origin: str = "tui") -> Review | None:
    """Undo ``reviewer``'s latest decision in the project that is not undone yet (so
    repeated calls step further back, across restarts). Returns the new 'undo' review, or
    None when there is nothing left to undo."""
    target = store.last_undoable_review(project_id, reviewer)
    if target is None:
        return None
    check_undoable(store.question(target.question_id), target)
    return store.undo_review(target.id, reviewer, origin=origin)


# -- the counts, and where the reviewer goes next -----------------------------------------
@dataclass(frozen=True)
class ReviewTally:
    """What the Review screen counts: the project's questions by status, and how many the
    view (its filter) holds. ``moved`` keeps it right after a decision without recounting."""

    by_status: dict[str, int]
    view_total: int

    @classmethod
    def read(cls, store: Store, project_id: int, filt: QuestionFilter) -> ReviewTally:
        by_status = {s: 0 for s in QUESTION_STATUSES}
        by_status.update(store.question_status_counts(project_id))
        return cls(by_status, store.count_questions(project_id, filt))

    @property
    def total(self) -> int:
        """The questions a reviewer can see (the validator's rejections are not among them)."""
        return sum(n for status, n in self.by_status.items() if status != "rejected")

    @property
    def reviewed(self) -> int:
        return self.total - self.by_status.get("pending", 0)

    def count(self, status: str) -> int:
        return self.by_status.get(status, 0)

    def moved(self, before: str, after: str, filt: QuestionFilter) -> ReviewTally:
        """The tally after one question's status went from ``before`` to ``after``."""
        if before == after:
            return self
        by_status = dict(self.by_status)
        by_status[before] = by_status.get(before, 0) - 1
        by_status[after] = by_status.get(after, 0) + 1
        view_total = self.view_total
        if filt.status in (before, after):
            view_total += 1 if filt.status == after else -1
        return ReviewTally(by_status, view_total)


def work_filter(filt: QuestionFilter) -> QuestionFilter:
    """The questions auto-advance visits: the pending ones of the view, unless the view is
    narrowed to another status on purpose or is the adjudication queue (then all of the
    view: pulled questions are approved or discarded already)."""
    if filt.status in (None, "pending") and not filt.adjudication:
        return dataclasses.replace(filt, status="pending")
    return filt


def landing_question_id(store: Store, project_id: int, filt: QuestionFilter) -> int | None:
    """Where the Review screen opens and where a new filter lands: the first pending
    question of the view, else the view's first question; None for an empty view."""
    first = store.first_question_id(project_id, work_filter(filt))
    if first is None:
        first = store.first_question_id(project_id, filt)
    return first


def next_question_id(store: Store, project_id: int, filt: QuestionFilter, here: int) -> int | None:
    """The question to work on after ``here`` (see ``work_filter``), wrapping around to the
    first; None when the view holds no other question to work on."""
    work = work_filter(filt)
    target = store.neighbour_question_id(project_id, work, here)
    if target is None:
        target = store.first_question_id(project_id, work)
    return None if target == here else target


# -- the relevant sentence ----------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n\s*\n")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is",
    "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "what", "which",
    "who", "whom", "why", "how", "when", "where", "with", "does", "do", "did", "not", "no",
    "can", "could", "would", "should", "will", "shall", "may", "might", "than", "then",
    "these", "those", "there", "their", "they", "them", "also", "into", "about", "following",
    "true", "false",
))


def _terms(text: str) -> set[str]:
    return {w for w in (m.group().casefold() for m in _WORD.finditer(text))
            if len(w) > 2 and w not in _STOPWORDS}


def sentence_spans(passage: str) -> list[tuple[int, int]]:
    """Character spans of the passage's sentences (trailing whitespace excluded)."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(passage):
        if passage[start:match.start()].strip():
            spans.append((start, match.start()))
        start = match.end()
    if passage[start:].strip():
        spans.append((start, len(passage.rstrip())))
    return spans


def supporting_span(passage: str, question: Question) -> tuple[int, int] | None:
    """What the Review screen marks in the passage: the question's supporting quote where
    it has one that is found there, else the most relevant sentence."""
    return quote_span(passage, question.quote) or relevant_sentence(
        passage, question.question, question.answer_text)


def relevant_sentence(passage: str, question: str, answer: str | None) -> tuple[int, int] | None:
    """The span of the sentence that best supports the question and its answer, by word
    overlap (answer words count double); None when no sentence shares a content word."""
    question_terms, answer_terms = _terms(question), _terms(answer or "")
    best: tuple[float, int, int] | None = None
    for start, end in sentence_spans(passage):
        words = _terms(passage[start:end])
        if not words:
            continue
        score = len(words & question_terms) + 2 * len(words & answer_terms)
        if score and (best is None or score > best[0]):
            best = (score, start, end)
    return None if best is None else (best[1], best[2])


# -- plain data for the CLI and exports ---------------------------------------------------
def review_dict(review: Review) -> dict[str, Any]:
    """A review as JSON-ready data."""
    return {
        "id": review.id, "reviewer": review.reviewer, "origin": review.origin,
        "action": review.action, "status_after": review.status_after,
        "answer": None if review.answer_index is None else LETTERS[review.answer_index],
        "reason": review.reason, "comment": review.comment, "changes": review.changes,
        "undoes_review_id": review.undoes_review_id, "created_at": review.created_at,
    }


def check_dict(result: ModelCheckResult) -> dict[str, Any]:
    """A judge model's latest verdict on a question (``workbench checks``), as JSON."""
    return {
        "check": result.check_kind, "judge": result.judge, "flagged": result.flagged,
        "judge_choice": LETTERS[result.choice_index] if 0 <= result.choice_index < len(LETTERS)
        else None,
        "key_hits": result.key_hits, "trials": result.trials, "p_value": result.p_value,
        "prompt_version": result.prompt_version, "seed": result.seed,
        "judge_revision": result.judge_revision,
    }


def question_dict(
    question: Question, document_title: str | None = None,
    reviews: list[Review] | None = None, checks: list[ModelCheckResult] | None = None,
) -> dict[str, Any]:
    """A question with its options, answer, status and provenance as JSON-ready data;
    ``reviews`` adds its review history, ``checks`` the judge models' latest verdicts
    (with the judge's choice where it disputes the key)."""
    data: dict[str, Any] = {
        "id": question.id, "question": question.question, "options": question.options,
        "answer_index": question.answer_index, "answer": question.answer_letter,
        "explanation": question.explanation, "status": question.status,
        "flags": question.flags, "language": question.language,
        "provenance": {
            "source": question.source, "document_id": question.document_id,
            "document": document_title, "chunk_id": question.chunk_id,
            "model": question.model_name, "backend": question.backend,
            "prompt_version": question.prompt_version, "seed": question.seed,
            "job_id": question.job_id, "rejection_reason": question.rejection_reason,
            "rejection_kind": question.rejection_kind,
        },
        "grounding": {
            "status": grounding_status(question.source, question.quote, question.status),
            "quote": question.quote,
        },
        "created_at": question.created_at, "updated_at": question.updated_at,
    }
    if reviews is not None:
        data["reviews"] = [review_dict(r) for r in reviews]
    if checks is not None:
        data["model_checks"] = [check_dict(c) for c in checks]
    return data


def provenance_line(question: Question, document_title: str | None,
                    pages: str | None = None) -> str:
    """One line saying where a question came from, for people; ``pages`` is its chunk's
    pages in the source file ('p. 3', 'pp. 3-4'), where the format has pages."""
    parts = [question.source]
    if document_title is not None:
        parts.append(f"doc '{document_title}'")
    elif question.document_id is not None:
        parts.append(f"doc {question.document_id} (deleted)")
    if question.chunk_id is not None:
        parts.append(f"chunk {question.chunk_id}" + (f" ({pages})" if pages else ""))
    if question.model_name:
        model = question.model_name
        parts.append(f"{model} ({question.backend})" if question.backend else model)
    if question.prompt_version:
        parts.append(f"prompt {question.prompt_version}")
    if question.seed is not None:
        parts.append(f"seed {question.seed}")
    if question.job_id is not None:
        parts.append(f"job {question.job_id}")
    if is_imported(question):
        parts.append(NOT_GROUNDED_IMPORTED)
    return " · ".join(parts)


# -- adjudication -------------------------------------------------------------------------
def annotator_answers(store: Store, question_id: int) -> str | None:
    """Each annotator's pulled decision side by side ('ann: B · bob: C · eve: discarded',
    with a comment when they left one), for the adjudicator; None when nobody answered in
    Argilla."""
    from workbench.argilla_sync.agreement import response_label

    parts = []
    for row in store.argilla_responses([question_id]):
        label = response_label(row.status, row.answer_index) or "no valid answer"
        comment = f' "{row.comment[:60]}"' if row.comment else ""
        parts.append(f"{row.annotator}: {label}{comment}")
    return " · ".join(parts) if parts else None
