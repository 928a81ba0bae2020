"""The Review screen driven with real keys; every check reads the store afterwards."""

from __future__ import annotations

from review_helpers import ReviewData, review_screen

from screens.modals.help import HelpScreen
from screens.modals.review_discard import DiscardModal
from screens.review import ReviewScreen
from screens.widgets.review_card import QuestionCard
from screens.widgets.review_editor import QuestionEditor
from screens.widgets.review_passage import PassageView
from store import Store
from store.records import ChunkSpan, NewDocument, NewQuestion
from workbench.settings import Settings


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


def _screen(app) -> ReviewScreen:  # type: ignore[no-untyped-def]
    assert isinstance(app.screen, ReviewScreen)
    return app.screen


def _message(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one("#review-message").render())


async def test_accept_and_answer_keys_store_reviews_and_advance(
    settings: Settings, store: Store, review_data: ReviewData
) -> None:
    ids = review_data.question_ids
    async with review_screen(settings, review_data.project) as (app, pilot):
        assert _screen(app).current.id == ids[0]
        await pilot.press("enter")           # accept as is
        assert _screen(app).current.id == ids[1]
        await pilot.press("3")               # option C (already the answer): accept
        await pilot.press("d")               # option D: re-answer and accept
        assert _screen(app).current.id == ids[3]
        await pilot.press("left")            # back to the third question
        assert _screen(app).current.id == ids[2]
        await pilot.press("2")               # answer it again: B
        assert f"#{ids[2]} answered B" in _message(app)

    assert [store.question(i).status for i in ids[:3]] == ["approved"] * 3
    assert [store.question(i).answer_index for i in ids[:3]] == [1, 2, 1]
    history = store.question_reviews(ids[2])
    assert [r.action for r in history] == ["answer", "answer"]
    assert history[0].changes == {"answer_index": [0, 3], "status": ["pending", "approved"]}
    assert history[1].changes == {"answer_index": [3, 1]}
    assert {r.reviewer for r in history} == {"tester"}
    assert store.question(ids[3]).status == "pending"


async def test_discard_with_a_picked_reason_a_note_and_a_typed_reason(
    settings: Settings, store: Store, review_data: ReviewData
) -> None:
    ids = review_data.question_ids
    async with review_screen(settings, review_data.project) as (app, pilot):
        await pilot.press("x")
        assert isinstance(app.screen, DiscardModal)
        await pilot.press("2")                           # "ambiguous", no note
        await pilot.press("x", "down", "down", "tab")    # highlight reason 3, go to the note
        await _type(pilot, "too easy")
        await pilot.press("enter")
        await pilot.press("x", "8")                      # "other" needs the note first
        assert isinstance(app.screen, DiscardModal)
        await _type(pilot, "made up fact")
        await pilot.press("enter")
        await pilot.press("x", "escape")                 # cancelled: nothing stored
        assert _screen(app).current.id == ids[3]

    reviews = [store.question_reviews(i)[-1] for i in ids[:3]]
    assert [(r.reason, r.comment) for r in reviews] == [
        ("ambiguous", None), ("not answerable from the passage", "too easy"),
        ("made up fact", None)]
    assert [store.question(i).status for i in ids[:4]] == ["discarded"] * 3 + ["pending"]


async def test_invalid_edit_is_refused_with_a_message_and_saves_nothing(
    settings: Settings, store: Store, review_data: ReviewData
) -> None:
    qid = review_data.question_ids[0]
    before = store.question(qid)
    async with review_screen(settings, review_data.project) as (app, pilot):
        await pilot.press("e")
        editor = app.screen.query_one(QuestionEditor)
        assert editor.display
        await pilot.press("tab", "tab", "home", "ctrl+k")   # option B: clear it
        await _type(pilot, "nucleus")                        # same as option A
        await pilot.press("enter")
        error = str(editor.query_one("#edit-error").render())
        assert "Options A and B are the same" in error
        assert "Not saved" in _message(app)
        assert store.question(qid) == before and store.question_reviews(qid) == []
        await pilot.press("enter")                           # still refused
        await pilot.press("escape")
        assert not editor.display
        assert store.question(qid) == before and store.question_reviews(qid) == []

        await pilot.press("e", "end")
        await _type(pilot, " now")
        await pilot.press("tab", "tab", "home", "ctrl+k")
        await _type(pilot, "Mitochondria")
        await pilot.press("ctrl+s")
        assert not editor.display
        assert _screen(app).current.id == qid                # an edit does not advance

    after = store.question(qid)
    assert after.question == before.question + " now"
    assert after.options[1] == "Mitochondria" and after.status == "pending"
    [review] = store.question_reviews(qid)
    assert review.action == "edit" and set(review.changes) == {"question", "options"}


async def test_accepting_a_question_unfit_to_approve_is_refused(
    settings: Settings, store: Store, review_data: ReviewData
) -> None:
    [bad] = store.add_questions([NewQuestion(
        review_data.project.id, "Which is it?", ["Same", "same", "Other", "More"], 0)])
    async with review_screen(settings, review_data.project, question_id=bad) as (app, pilot):
        await pilot.press("enter")
        assert "Options A and B are the same" in _message(app)
        assert _screen(app).current.id == bad
    assert store.question(bad).status == "pending" and store.question_reviews(bad) == []


async def test_undo_walks_back_across_three_decisions(
    settings: Settings, store: Store, review_data: ReviewData
) -> None:
    ids = review_data.question_ids
    async with review_screen(settings, review_data.project) as (app, pilot):
        await pilot.press("enter", "1")
        await pilot.press("x", "1")
        assert [store.question(i).status for i in ids[:3]] == ["approved", "approved", "discarded"]
        await pilot.press("u")
        assert _screen(app).current.id == ids[2]
        assert store.question(ids[2]).status == "pending"
        await pilot.press("backspace")
        assert _screen(app).current.id == ids[1]
        assert (store.question(ids[1]).status, store.question(ids[1]).answer_index) == (
            "pending", 2)
        await pilot.press("ctrl+z")
        assert store.question(ids[0]).status == "pending"
        await pilot.press("u")
        assert "Nothing left to undo" in _message(app)

    actions = [r.action for i in ids[:3] for r in store.question_reviews(i)]
    assert sorted(actions) == ["accept", "answer", "discard", "undo", "undo", "undo"]


async def test_filters_and_search_narrow_the_view(
    settings: Settings, store: Store, review_data: ReviewData
) -> None:
    ids = review_data.question_ids
    async with review_screen(settings, review_data.project) as (app, pilot):
        await pilot.press("enter")                         # approve the first
        await pilot.press("f", "tab", "tab", "tab")        # status, document, model, flag
        await pilot.press("enter", "down", "enter")        # flag: disagreement
        await pilot.press("ctrl+s")
        screen = _screen(app)
        assert (screen.current.id, screen.view_total) == (ids[3], 1)
        await pilot.press("right")
        assert "Last question of this view" in _message(app)

        await pilot.press("f", "ctrl+r")                   # clear all
        await pilot.press("f", "tab", "tab")               # model
        await pilot.press("enter", "down", "enter", "ctrl+s")   # other-model
        assert (screen.current.id, screen.view_total) == (ids[2], 2)
        await pilot.press("space")
        assert screen.current.id == ids[4]

        await pilot.press("f", "ctrl+r")
        await pilot.press("f", "enter", "down", "down", "enter", "ctrl+s")  # approved
        assert (screen.current.id, screen.view_total) == (ids[0], 1)

        await pilot.press("f", "ctrl+r", "slash")
        await _type(pilot, "membrane")
        await pilot.press("enter")
        assert (screen.current.id, screen.view_total) == (ids[4], 1)
        await pilot.press("slash", "ctrl+a", "ctrl+k")
        await _type(pilot, "ribosomes build")
        await pilot.press("enter")
        assert (screen.current.id, screen.view_total) == (ids[1], 1)
        status = str(app.screen.query_one("#review-status").render())
        assert "'ribosomes build'" in status


async def test_a_restarted_app_resumes_at_the_next_pending_question(
    settings: Settings, store: Store, review_data: ReviewData
) -> None:
    ids = review_data.question_ids
    async with review_screen(settings, review_data.project) as (app, pilot):
        await pilot.press("enter", "2", "space")   # two decisions, then skip the third
        assert _screen(app).current.id == ids[3]
    async with review_screen(settings, review_data.project) as (app, pilot):
        assert _screen(app).current.id == ids[2]
        await pilot.press("g")
        assert _screen(app).current.id == ids[2]


async def test_screen_shows_passage_highlight_provenance_and_help(
    settings: Settings, review_data: ReviewData
) -> None:
    async with review_screen(settings, review_data.project) as (app, pilot):
        screen = _screen(app)
        card = "\n".join(screen.query_one(QuestionCard).lines)
        assert "✓ B  Mitochondrion" in card
        passage = screen.query_one(PassageView)
        assert passage.highlighted == (
            "The mitochondrion produces most of the cell's ATP through respiration.")
        provenance = str(screen.query_one("#review-provenance").render())
        assert "doc 'Cells'" in provenance and "smollm2 (transformers)" in provenance
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ReviewScreen)


async def test_long_passage_scrolls_its_marked_sentence_into_view(
    settings: Settings, store: Store
) -> None:
    """A passage longer than the view opens scrolled so that the supporting sentence (here
    the last one) is on screen; the arrow keys still scroll the passage."""
    filler = "Ribosomes build proteins from amino acids carried by transfer RNA. " * 20
    marked = "The mitochondrion produces most of the cell's ATP through respiration."
    project = store.create_project("long passages")
    doc = store.add_document(project.id, NewDocument(
        "long.txt", "Long", "long-hash", "utf-8", len(filler + marked), filler + marked),
        [ChunkSpan(0, 0, len(filler + marked), filler + marked)])
    assert doc is not None
    chunk = store.document_chunks(doc.id)[0]
    store.add_questions([NewQuestion(
        project_id=project.id, question="Which organelle produces most of the cell's ATP?",
        options=["Nucleus", "Mitochondrion", "Ribosome", "Golgi body"], answer_index=1,
        explanation="", document_id=doc.id, chunk_id=chunk.id, model_name="m",
        backend="transformers", prompt_version="v1", seed=0)])
    async with review_screen(settings, project) as (app, pilot):
        view = _screen(app).query_one(PassageView)
        assert view.highlighted == marked
        height = view.scrollable_content_region.height
        assert len(view.lines) > height                      # it does overflow
        assert view.highlight_line is not None and view.highlight_line > height
        top = view.scroll_offset.y
        assert top <= view.highlight_line < top + height     # the marked line is shown
        assert "mitochondrion" in " ".join(view.lines[top:top + height])
        total = len(view.lines)
        assert view.border_title == (
            f"Source passage · lines {top + 1}-{top + height} of {total} (↑↓)")
        await pilot.press("up")
        assert view.scroll_offset.y == top - 1
        assert view.border_title == f"Source passage · lines {top}-{top + height - 1} of {total} (↑↓)"


async def test_long_question_card_scrolls_with_shift_arrows(
    settings: Settings, store: Store, review_data: ReviewData
) -> None:
    """A card longer than its share of the screen says what is below on its last line and
    scrolls with shift+down / shift+up; moving on shows the next card from its top."""
    long_why = " ".join(f"Reason {i} is spelled out at length in this sentence." for i in range(12))
    first = store.question(review_data.question_ids[0])
    [long_id] = store.add_questions([NewQuestion(
        project_id=first.project_id, question="Which organelle makes ATP?",
        options=["Nucleus", "Mitochondrion", "Ribosome", "Golgi body"], answer_index=1,
        explanation=long_why, document_id=first.document_id, chunk_id=first.chunk_id,
        model_name="m", backend="transformers", prompt_version="v1", seed=99)])
    async with review_screen(settings, review_data.project, question_id=long_id) as (
            app, pilot):
        card = _screen(app).query_one(QuestionCard)
        assert card.overflows and card.scroll_offset.y == 0
        last_row = card.render_line(card.visible_height - 1).text
        assert "more line" in last_row and "shift+↓" in last_row
        await pilot.press("shift+down", "shift+down")
        assert card.scroll_offset.y == 2
        await pilot.press("shift+up")
        assert card.scroll_offset.y == 1
        await pilot.press("space")                  # skip to the next, short question
        assert card.scroll_offset.y == 0 and not card.overflows
        assert "more line" not in card.render_line(card.visible_height - 1).text
