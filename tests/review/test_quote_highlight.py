"""Review marks the supporting quote in the passage (issue 16): the quote as it is written
in the passage, not the whole sentence; questions without a quote keep the best sentence,
and an imported question says it has no passage to be grounded in."""

from __future__ import annotations

from review_helpers import ReviewData, review_screen

from screens.review import ReviewScreen
from screens.widgets.review_passage import PassageView
from store import Store
from store.records import NewQuestion
from workbench.settings import Settings


async def test_the_quote_is_marked_rather_than_its_sentence(
    settings: Settings, store: Store, review_data: ReviewData
) -> None:
    chunk_id = store.question(review_data.question_ids[0]).chunk_id
    quoted, imported = store.add_questions([
        NewQuestion(project_id=review_data.project.id,
                    question="What do ribosomes build proteins from?",
                    options=["Amino acids", "Lipids", "Sugars", "Water"], answer_index=0,
                    document_id=review_data.document_id, chunk_id=chunk_id,
                    quote="ribosomes build proteins from amino acids"),  # case differs
        NewQuestion(project_id=review_data.project.id, question="What is 2 + 2?",
                    options=["3", "4", "5"], answer_index=1, source="import"),
    ])
    async with review_screen(settings, review_data.project) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        view = screen.query_one(PassageView)
        # the first question has no quote: its best sentence is marked, as before
        assert view.highlighted == (
            "The mitochondrion produces most of the cell's ATP through respiration.")
        screen.show_question(quoted)
        await pilot.pause()
        assert view.highlighted == "Ribosomes build proteins from amino acids"
        screen.show_question(imported)
        await pilot.pause()
        assert view.highlighted is None
        assert "not grounded" in "\n".join(view.lines)
        provenance = str(screen.query_one("#review-provenance").render())
        assert "not grounded: imported" in provenance
