"""The adjudication queue (QuestionFilter.adjudication) over a real store, without Argilla:
questions flagged 'disagreement' whose latest decision came from Argilla. A decision here
takes a question out; undoing it, or an edit (not a decision), does not."""

from __future__ import annotations

from review_helpers import ReviewData

from store import QuestionFilter, Store
from workbench.review import (
    Answer,
    Edit,
    annotator_answers,
    decide,
    landing_question_id,
    next_question_id,
    undo_last,
)

QUEUE = QuestionFilter(adjudication=True)


def _pulled(store: Store, question_id: int, annotator: str, answer: int) -> None:
    """What a pull stores for one annotator's submitted answer."""
    store.record_review(question_id, annotator, "answer",
                        {"status": "approved", "answer_index": answer}, origin="argilla")


def test_queue_holds_disagreements_until_decided_here(store: Store,
                                                      review_data: ReviewData) -> None:
    ids, project_id = review_data.question_ids, review_data.project.id
    for qid in ids[:3]:
        _pulled(store, qid, "ann", 0)
        _pulled(store, qid, "bob", 1)
    for qid in ids[:2]:
        store.set_question_flags(qid, ["disagreement"])
    store.set_question_flags(ids[4], ["disagreement"])  # flagged, but no Argilla decision
    assert store.question_ids(project_id, QUEUE) == ids[:2]
    assert store.count_questions(project_id, QUEUE) == 2
    # the queue is visited whatever the status (pulled questions are approved already)
    assert landing_question_id(store, project_id, QUEUE) == ids[0]
    assert next_question_id(store, project_id, QUEUE, ids[0]) == ids[1]

    decide(store, ids[0], Edit(None, None, "clearer"), "tester")  # an edit decides nothing
    assert store.question_ids(project_id, QUEUE) == ids[:2]
    decide(store, ids[0], Answer(2), "tester")
    assert store.question_ids(project_id, QUEUE) == [ids[1]]
    undo_last(store, project_id, "tester")  # the decision undone: back in the queue
    assert store.question_ids(project_id, QUEUE) == ids[:2]
    decide(store, ids[0], Answer(2), "tester")
    _pulled(store, ids[0], "bob", 3)  # an annotator answers again, later
    assert store.question_ids(project_id, QUEUE) == ids[:2]


def test_annotator_answers_side_by_side(store: Store, review_data: ReviewData) -> None:
    from store.argilla import ArgillaResponseRow

    qid = review_data.question_ids[0]
    assert annotator_answers(store, qid) is None
    for annotator, status, answer, comment in (("ann", "submitted", 1, "see line 2"),
                                               ("bob", "discarded", None, None),
                                               ("cy", "submitted", 0, None)):
        store.save_argilla_response(ArgillaResponseRow(qid, annotator, status, answer, comment,
                                                       "hash", "2026-12-07T00:00:00+00:00"))
    assert annotator_answers(store, qid) == 'ann: B "see line 2" · bob: discarded · cy: A'
