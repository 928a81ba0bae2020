"""The review rules without a screen: validation, decisions, undo, the relevant sentence."""

from __future__ import annotations

import pytest
from review_helpers import PASSAGES, ReviewData

from store import QuestionFilter, Store
from store.records import NewQuestion, Project
from workbench.errors import InvalidInput
from workbench.review import (
    Accept,
    Answer,
    Discard,
    Edit,
    decide,
    parse_answer,
    relevant_sentence,
    undo_last,
)


def test_accept_answer_discard_store_one_review_each_with_previous_values(
    store: Store, review_data: ReviewData
) -> None:
    first, second, third = review_data.question_ids[:3]
    decide(store, first, Accept(), "ann")
    decide(store, second, Answer(3), "ann")
    decide(store, third, Discard("ambiguous", " too vague "), "bob", origin="cli")

    assert store.question(first).status == "approved"
    assert (store.question(second).status, store.question(second).answer_index) == ("approved", 3)
    assert store.question(third).status == "discarded"
    answered = store.question_reviews(second)[-1]
    assert answered.action == "answer" and answered.reviewer == "ann"
    assert answered.changes == {"answer_index": [2, 3], "status": ["pending", "approved"]}
    discarded = store.question_reviews(third)[-1]
    assert (discarded.reason, discarded.comment, discarded.origin) == ("ambiguous", "too vague", "cli")


@pytest.mark.parametrize("options, message", [
    (["Lipids", "Sugars", "", "DNA"], "Option C is empty"),
    (["Lipids", "Sugars", " lipids ", "DNA"], "Options A and C are the same"),
    (["Lipids", "Sugars", "Proteins"], "needs 4 options"),
])
def test_invalid_edits_are_refused_and_change_nothing(
    store: Store, review_data: ReviewData, options: list[str], message: str
) -> None:
    qid = review_data.question_ids[1]
    before = store.question(qid)
    with pytest.raises(InvalidInput, match=message):
        decide(store, qid, Edit(options=options), "ann")
    assert store.question(qid) == before
    assert store.question_reviews(qid) == []


def test_edit_stores_changed_fields_only_and_keeps_the_status(
    store: Store, review_data: ReviewData
) -> None:
    qid = review_data.question_ids[1]
    decide(store, qid, Accept(), "ann")
    q = store.question(qid)
    review = decide(store, qid, Edit(question="  What do ribosomes make? ", options=q.options,
                                     explanation=q.explanation), "ann")
    assert review is not None
    assert review.changes == {"question": ["What do ribosomes build?", "What do ribosomes make?"]}
    assert store.question(qid).status == "approved"
    assert decide(store, qid, Edit(question="What do ribosomes make?"), "ann") is None


def test_empty_question_or_reason_is_refused(store: Store, review_data: ReviewData) -> None:
    qid = review_data.question_ids[0]
    with pytest.raises(InvalidInput, match="question text is empty"):
        decide(store, qid, Edit(question="   "), "ann")
    with pytest.raises(InvalidInput, match="needs a reason"):
        decide(store, qid, Discard("  "), "ann")
    assert store.question_reviews(qid) == []


def test_imported_questions_may_have_two_to_ten_options(store: Store, project: Project) -> None:
    two, eleven = store.add_questions([
        NewQuestion(project.id, "Is water wet?", ["Yes", "No"], 0, source="import"),
        NewQuestion(project.id, "Pick one", [f"o{i}" for i in range(11)], 0, source="import"),
    ])
    decide(store, two, Answer(1), "ann")
    assert store.question(two).status == "approved"
    with pytest.raises(InvalidInput, match="2 to 10 options"):
        decide(store, eleven, Accept(), "ann")
    generated = store.add_questions([NewQuestion(project.id, "Q?", ["a", "b"], 0)])[0]
    with pytest.raises(InvalidInput, match="needs 4 options"):
        decide(store, generated, Accept(), "ann")


def test_parse_answer_accepts_letters_and_numbers() -> None:
    assert [parse_answer(x, 4) for x in ("a", "B", " 3 ", "4")] == [0, 1, 2, 3]
    for bad in ("E", "5", "0", "", "AB"):
        with pytest.raises(InvalidInput):
            parse_answer(bad, 4)


def test_undo_steps_back_through_one_reviewers_decisions_only(
    store: Store, review_data: ReviewData
) -> None:
    a, b, c = review_data.question_ids[:3]
    decide(store, a, Accept(), "ann")
    decide(store, b, Answer(0), "ann")
    decide(store, c, Discard("trivial"), "bob")
    decide(store, b, Edit(question="What do ribosomes make?"), "ann")

    undone = [undo_last(store, review_data.project.id, "ann") for _ in range(3)]
    assert [u.action for u in undone if u] == ["undo", "undo", "undo"]
    assert undo_last(store, review_data.project.id, "ann") is None
    assert store.question(a).status == "pending"
    qb = store.question(b)
    assert (qb.status, qb.answer_index, qb.question) == ("pending", 2, "What do ribosomes build?")
    assert store.question(c).status == "discarded"  # bob's decision stays


def test_undo_refuses_to_overwrite_a_later_change_by_someone_else(
    store: Store, review_data: ReviewData
) -> None:
    qid = review_data.question_ids[0]
    decide(store, qid, Answer(2), "ann")
    decide(store, qid, Answer(3), "bob")
    with pytest.raises(InvalidInput, match="changed after"):
        undo_last(store, review_data.project.id, "ann")
    assert store.question(qid).answer_index == 3


def test_filters_and_keyset_navigation(store: Store, review_data: ReviewData) -> None:
    pid, ids = review_data.project.id, review_data.question_ids
    decide(store, ids[0], Accept(), "ann")
    pending = QuestionFilter(status="pending")
    assert store.first_question_id(pid, pending) == ids[1]
    assert store.neighbour_question_id(pid, pending, ids[1]) == ids[2]
    assert store.neighbour_question_id(pid, pending, ids[1], forward=False) is None
    assert store.neighbour_question_id(pid, QuestionFilter(), ids[1], forward=False) == ids[0]
    flag = QuestionFilter(flag="disagreement")
    assert store.first_question_id(pid, flag) == ids[3]
    assert store.neighbour_question_id(pid, flag, ids[3]) is None
    choices = store.question_filter_choices(pid)
    assert choices["flags"] == [("disagreement", "disagreement"),
                                ("near-duplicate", "near-duplicate")]
    assert [m for m, _ in choices["models"]] == ["other-model", "smollm2"]


def test_relevant_sentence_follows_the_question_and_answer() -> None:
    passage = PASSAGES[0]
    start, end = relevant_sentence(
        passage, "Which organelle produces most of the cell's ATP?", "Mitochondrion") or (0, 0)
    assert passage[start:end] == (
        "The mitochondrion produces most of the cell's ATP through respiration.")
    start, end = relevant_sentence(passage, "What do ribosomes build?", "Proteins") or (0, 0)
    assert passage[start:end].startswith("Ribosomes build proteins")
    assert relevant_sentence(passage, "Who won the 1998 world cup?", "France") is None
