"""Review marks the supporting quote in the passage (issue 16): the quote as it is written
in the passage, not the whole sentence; questions without a quote keep the best sentence,
and an imported question says it has no passage to be grounded in."""

from __future__ import annotations

from pathlib import Path

from review_helpers import ReviewData, review_screen

from screens.review import ReviewScreen
from screens.widgets.review_passage import PassageView
from store import Store
from store.records import NewQuestion
from workbench.docs import import_paths
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


async def test_the_provenance_line_names_the_pages_of_a_pdf_question(
    settings: Settings, store: Store, review_data: ReviewData, tmp_path: Path
) -> None:
    # A real two-page PDF, imported as a user would (issue 16 part 6): its chunk knows both
    # pages, and Review says so beside the chunk.
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in ("Ribosomes build proteins from amino acids.",
                 "The nucleus stores the genetic material of the cell."):
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(tmp_path / "cells.pdf"))
    report = import_paths(store, review_data.project.id, [tmp_path / "cells.pdf"], settings)
    (doc,) = report.imported
    (chunk,) = store.document_chunks(doc.id)
    (qid,) = store.add_questions([NewQuestion(
        project_id=review_data.project.id, question="What do ribosomes build proteins from?",
        options=["Amino acids", "Lipids", "Sugars", "Water"], answer_index=0,
        document_id=doc.id, chunk_id=chunk.id, quote="Ribosomes build proteins from amino acids")])
    async with review_screen(settings, review_data.project) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        screen.show_question(qid)
        await pilot.pause()
        provenance = str(screen.query_one("#review-provenance").render())
        assert f"chunk {chunk.id} (pp. 1-2)" in provenance
        # a text document's chunk has no pages: nothing is added
        screen.show_question(review_data.question_ids[0])
        await pilot.pause()
        first = store.question(review_data.question_ids[0])
        provenance = str(screen.query_one("#review-provenance").render())
        assert f"chunk {first.chunk_id} ·" in provenance and "p." not in provenance
