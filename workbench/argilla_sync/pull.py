"""Pull: turn annotators' Argilla responses into review records.

A submitted response approves the question with the annotator's answer; a discarded one
discards it; drafts are ignored. Every response is remembered by a hash (argilla_responses),
so pulling again applies only new or changed responses. The latest decision wins: a
response older than the question's latest review is kept for the record but does not
change the question. Questions on which annotators disagree with each other, or with the
workbench's own reviewer, get the 'disagreement' flag (and lose it once they agree).

Everything is read from the server before anything is written, so a failure while reading
leaves the store as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from store import Store
from store.argilla import ArgillaResponseRow
from store.base import utc_now
from store.records import Project
from workbench.argilla_sync import errors
from workbench.argilla_sync.agreement import dataset_agreement, responses_table
from workbench.argilla_sync.payload import ANSWER_QUESTION, COMMENT_QUESTION, letter_index
from workbench.argilla_sync.target import dataset_name_for, known_dataset_id
from workbench.settings import Settings

Progress = Callable[[int, int, str], None]
Log = Callable[[str], None]
DISAGREEMENT = "disagreement"
DECIDED = ("submitted", "discarded")


@dataclass(frozen=True)
class PulledResponse:
    """One annotator's submitted or discarded response to one question."""

    question_id: int
    annotator: str
    status: str
    answer_index: int | None
    comment: str | None
    answered_at: str  # ISO UTC, comparable with review times

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(json.dumps(
            [self.status, self.answer_index, self.comment, self.answered_at]).encode()
        ).hexdigest()


@dataclass
class PullResult:
    dataset: str
    records: int = 0  # records with a submitted or discarded response
    responses: int = 0  # submitted or discarded responses seen
    drafts_ignored: int = 0
    unchanged: int = 0
    applied: int = 0  # became a review
    superseded: int = 0  # older than the question's latest review: kept, not applied
    invalid: int = 0  # an answer outside the question's options
    unknown_records: int = 0  # records this store did not push
    flagged: list[int] = field(default_factory=list)
    unflagged: list[int] = field(default_factory=list)
    agreement: dict[str, Any] | None = None  # Agreement.as_dict() over all pulled responses

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def as_utc(stamp: str) -> str:
    """Server timestamps (naive UTC) in the store's format, so they sort as text."""
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _value(values: dict[str, Any] | None, question: str) -> Any:
    entry = (values or {}).get(question) or {}
    return entry.get("value")


def pull_project(
    store: Store, settings: Settings, project: Project,
    progress: Progress | None = None, log: Log | None = None,
) -> PullResult:
    """Apply new and changed responses; ServiceError (store unchanged) when the server is
    unreachable, refuses the key, or the dataset was never pushed or was deleted."""
    from workbench.argilla_sync.client import ArgillaClient

    say = log or (lambda _m: None)
    name = dataset_name_for(store, project)
    client = ArgillaClient(settings)
    dataset = client.find_dataset(name)
    records = store.argilla_record_map(project.id, name)
    known_id = known_dataset_id(store, project, name)
    if dataset is None or (known_id is not None and str(dataset.id) != known_id):
        if records:
            raise errors.dataset_deleted(name, project.name)
        raise errors.not_pushed(name, project.name)

    result = PullResult(dataset=name)
    usernames = client.usernames()
    pulled: list[PulledResponse] = []
    for record in client.answered_records(dataset.id):
        result.records += 1
        question_id = records.get(record.get("external_id") or "")
        if question_id is None:
            result.unknown_records += 1
            continue
        for response in record.get("responses") or []:
            if response["status"] not in DECIDED:
                result.drafts_ignored += 1
                continue
            user_id = str(response["user_id"])
            if user_id not in usernames:
                usernames[user_id] = client.username(user_id)
            values = response.get("values")
            answer = letter_index(_value(values, ANSWER_QUESTION))
            comment = _value(values, COMMENT_QUESTION)
            pulled.append(PulledResponse(
                question_id, usernames[user_id], response["status"],
                answer if response["status"] == "submitted" else None,
                str(comment) if comment else None, as_utc(response["updated_at"]),
            ))
    result.responses = len(pulled)

    known = {(r.question_id, r.annotator): r.response_hash
             for r in store.argilla_responses({p.question_id for p in pulled})}
    changed: dict[int, list[PulledResponse]] = {}
    for p in pulled:
        if known.get((p.question_id, p.annotator)) == p.content_hash:
            result.unchanged += 1
        else:
            changed.setdefault(p.question_id, []).append(p)
    total = sum(len(v) for v in changed.values())
    say(f"{result.records} annotated records, {total} new or changed responses")

    done = 0
    if progress:
        progress(0, total, f"0/{total} responses applied")
    for question_id in sorted(changed):
        responses = sorted(changed[question_id], key=lambda p: p.answered_at)
        _apply_question(store, question_id, responses, result)
        done += len(responses)
        if progress and (done == total or done % 50 < len(responses)):
            progress(done, total, f"{done}/{total} responses applied")

    agreement = dataset_agreement(responses_table(store.project_argilla_responses(project.id)))
    say(agreement.describe())
    result.agreement = agreement.as_dict()
    store.set_sync_values(project.id, {
        "last_pull_at": utc_now(),
        "last_pull": {k: v for k, v in result.as_dict().items()
                      if k not in ("flagged", "unflagged", "agreement")},
        "agreement": result.agreement,
    })
    return result


def _apply_question(
    store: Store, question_id: int, responses: list[PulledResponse], result: PullResult,
) -> None:
    """One question's new responses, oldest first, and its disagreement flag: one
    transaction, so a question is never half-pulled."""
    with store.transaction():
        for p in responses:
            question = store.question(question_id)
            valid = p.status == "discarded" or (
                p.answer_index is not None and p.answer_index < len(question.options))
            latest = store.latest_review_time(question_id)
            if not valid:
                result.invalid += 1
            elif latest is not None and latest >= p.answered_at:
                result.superseded += 1
            elif p.status == "discarded":
                store.record_review(
                    question_id, p.annotator, "discard", {"status": "discarded"},
                    origin="argilla", reason="discarded in Argilla", comment=p.comment,
                    created_at=p.answered_at,
                )
                result.applied += 1
            else:
                same = p.answer_index == question.answer_index
                store.record_review(
                    question_id, p.annotator, "accept" if same else "answer",
                    {"status": "approved", "answer_index": p.answer_index},
                    origin="argilla", comment=p.comment, created_at=p.answered_at,
                )
                result.applied += 1
            store.save_argilla_response(ArgillaResponseRow(
                question_id, p.annotator, p.status, p.answer_index if valid else None,
                p.comment, p.content_hash, utc_now(),
            ))
        _update_disagreement(store, question_id, result)


def _update_disagreement(store: Store, question_id: int, result: PullResult) -> None:
    decisions: set[tuple[str, int | None]] = set()
    for row in store.argilla_responses([question_id]):
        if row.status == "discarded":
            decisions.add(("discarded", None))
        elif row.answer_index is not None:
            decisions.add(("approved", row.answer_index))
    local = store.latest_local_decision(question_id)
    if local is not None:
        decisions.add((local.status, local.answer_index if local.status == "approved" else None))
    question = store.question(question_id)
    flags = set(question.flags)
    if len(decisions) > 1 and DISAGREEMENT not in flags:
        store.set_question_flags(question_id, sorted(flags | {DISAGREEMENT}))
        result.flagged.append(question_id)
    elif len(decisions) <= 1 and DISAGREEMENT in flags:
        store.set_question_flags(question_id, sorted(flags - {DISAGREEMENT}))
        result.unflagged.append(question_id)
