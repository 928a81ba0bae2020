"""Where the reviewer goes and what the Review screen counts, without a screen: the tally,
the work filter, the landing question and the advance policy (workbench.review) over a
real store. review_data: six pending questions; models smollm2 (0, 1, 3, 5) and
other-model (2, 4)."""

from __future__ import annotations

import dataclasses

from review_helpers import ReviewData

from store import QuestionFilter, Store
from store.records import NewQuestion
from workbench.review import (
    Accept,
    Discard,
    ReviewTally,
    decide,
    landing_question_id,
    next_question_id,
    undo_last,
    work_filter,
)


def _add_rejected(store: Store, data: ReviewData) -> None:
    store.add_questions([NewQuestion(
        project_id=data.project.id, question="Malformed?", options=["a", "b", "c", "d"],
        answer_index=0, explanation="", document_id=data.document_id, chunk_id=None,
        model_name="smollm2", backend="transformers", prompt_version="v1", seed=99,
        status="rejected", rejection_reason="not json")])


def test_tally_counts_what_a_reviewer_sees(store: Store, review_data: ReviewData) -> None:
    ids, project_id = review_data.question_ids, review_data.project.id
    _add_rejected(store, review_data)
    decide(store, ids[0], Accept(), "ann")
    decide(store, ids[1], Accept(), "ann")
    decide(store, ids[2], Discard("ambiguous"), "ann")

    tally = ReviewTally.read(store, project_id, QuestionFilter())
    # 7 questions, one rejected by the validator: 6 visible, 3 of them decided.
    assert (tally.total, tally.reviewed) == (6, 3)
    assert [tally.count(s) for s in ("pending", "approved", "discarded", "rejected")] == [3, 2, 1, 1]
    assert tally.view_total == 6  # the default view leaves the rejected one out
    approved_view = ReviewTally.read(store, project_id, QuestionFilter(status="approved"))
    assert approved_view.view_total == 2


def test_tally_moved_matches_a_recount(store: Store, review_data: ReviewData) -> None:
    ids, project_id = review_data.question_ids, review_data.project.id
    for filt in (QuestionFilter(), QuestionFilter(status="pending"),
                 QuestionFilter(status="approved"), QuestionFilter(status="discarded")):
        before = ReviewTally.read(store, project_id, filt)
        question = store.question(ids[3])
        review = decide(store, ids[3], Accept(), "ann")
        assert review is not None
        moved = before.moved(question.status, review.status_after, filt)
        assert moved == ReviewTally.read(store, project_id, filt)
        decide(store, ids[3], Discard("trivial"), "ann")  # approved -> discarded
        moved = moved.moved("approved", "discarded", filt)
        assert moved == ReviewTally.read(store, project_id, filt)
        undo_last(store, project_id, "ann")
        undo_last(store, project_id, "ann")  # pending again for the next view
        assert store.question(ids[3]).status == "pending"
    same = ReviewTally({"pending": 1}, 1)
    assert same.moved("pending", "pending", QuestionFilter(status="pending")) is same


def test_work_filter_visits_pending_unless_the_view_asks_for_another_status() -> None:
    narrowed = QuestionFilter(document_id=7, model_name="m", text="cell")
    assert work_filter(narrowed) == dataclasses.replace(narrowed, status="pending")
    assert work_filter(QuestionFilter(status="pending")) == QuestionFilter(status="pending")
    approved = QuestionFilter(status="approved", flag="near-duplicate")
    assert work_filter(approved) == approved


def test_landing_question(store: Store, review_data: ReviewData) -> None:
    ids, project_id = review_data.question_ids, review_data.project.id
    assert landing_question_id(store, project_id, QuestionFilter()) == ids[0]
    decide(store, ids[0], Accept(), "ann")
    assert landing_question_id(store, project_id, QuestionFilter()) == ids[1]
    other = QuestionFilter(model_name="other-model")
    assert landing_question_id(store, project_id, other) == ids[2]
    decide(store, ids[2], Accept(), "ann")
    decide(store, ids[4], Accept(), "ann")
    # No pending question left in the view: its first question.
    assert landing_question_id(store, project_id, other) == ids[2]
    assert landing_question_id(store, project_id, QuestionFilter(status="approved")) == ids[0]
    assert landing_question_id(store, project_id, QuestionFilter(text="no such words")) is None


def test_next_question_wraps_and_stops_when_nothing_else_is_left(
    store: Store, review_data: ReviewData
) -> None:
    ids, project_id = review_data.question_ids, review_data.project.id
    view = QuestionFilter()
    assert next_question_id(store, project_id, view, ids[0]) == ids[1]
    assert next_question_id(store, project_id, view, ids[5]) == ids[0]  # wraps around
    for i in (1, 2, 4):
        decide(store, ids[i], Accept(), "ann")
    # Decided questions are stepped over: pending are 0, 3 and 5.
    assert next_question_id(store, project_id, view, ids[0]) == ids[3]
    assert next_question_id(store, project_id, view, ids[1]) == ids[3]  # from a decided one
    for i in (0, 5):
        decide(store, ids[i], Accept(), "ann")
    assert next_question_id(store, project_id, view, ids[3]) is None  # the only pending one
    assert next_question_id(store, project_id, view, ids[2]) == ids[3]
    # A view narrowed to a status on purpose visits all of it.
    approved = QuestionFilter(status="approved")
    assert next_question_id(store, project_id, approved, ids[2]) == ids[4]
    assert next_question_id(store, project_id, approved, ids[5]) == ids[0]
