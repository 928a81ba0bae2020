"""Test data for the review tests: one document, two passages, six questions; and the
app opened on the Review screen."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from screens.app import WorkbenchApp
from store import Store
from store.records import ChunkSpan, NewDocument, NewQuestion, Project
from workbench.settings import Settings

PASSAGES = [
    ("Cells are the basic units of life. The mitochondrion produces most of the cell's ATP "
     "through respiration. Ribosomes build proteins from amino acids."),
    ("The nucleus stores the genetic material of the cell. Chloroplasts capture light energy "
     "in plant cells. The cell membrane controls what enters and leaves the cell."),
]

# (question, options, answer, model, flags, chunk)
QUESTIONS = [
    ("Which organelle produces most of the cell's ATP?",
     ["Nucleus", "Mitochondrion", "Ribosome", "Golgi body"], 1, "smollm2", [], 0),
    ("What do ribosomes build?", ["Lipids", "Sugars", "Proteins", "DNA"], 2, "smollm2",
     ["near-duplicate"], 0),
    ("Where is the genetic material stored?",
     ["Nucleus", "Vacuole", "Cell wall", "Lysosome"], 0, "other-model", [], 1),
    ("What captures light energy in plant cells?",
     ["Mitochondria", "Chloroplasts", "Ribosomes", "Centrioles"], 1, "smollm2",
     ["disagreement"], 1),
    ("What controls what enters and leaves the cell?",
     ["Cell membrane", "Nucleolus", "Cytoplasm", "Vesicle"], 0, "other-model", [], 1),
    ("What are the basic units of life?", ["Atoms", "Cells", "Organs", "Tissues"], 1,
     "smollm2", [], 0),
]


@dataclass
class ReviewData:
    project: Project
    document_id: int
    question_ids: list[int]


def add_review_data(store: Store, project: Project) -> ReviewData:
    text = "\n\n".join(PASSAGES)
    spans, start = [], 0
    for i, passage in enumerate(PASSAGES):
        spans.append(ChunkSpan(i, start, start + len(passage), passage))
        start += len(passage) + 2
    doc = store.add_document(project.id, NewDocument(
        path="cells.txt", title="Cells", content_hash=hashlib.sha256(text.encode()).hexdigest(),
        encoding="utf-8", size_bytes=len(text), text=text,
    ), spans)
    assert doc is not None
    chunk_ids = [c.id for c in store.document_chunks(doc.id)]
    ids = store.add_questions([
        NewQuestion(project_id=project.id, question=q, options=opts, answer_index=ans,
                    explanation=f"The passage says so ({i}).", document_id=doc.id,
                    chunk_id=chunk_ids[chunk], model_name=model, backend="transformers",
                    prompt_version="v1", seed=i, flags=flags)
        for i, (q, opts, ans, model, flags, chunk) in enumerate(QUESTIONS)
    ])
    return ReviewData(project, doc.id, ids)


@asynccontextmanager
async def review_screen(settings: Settings, project: Project, **kwargs: object
                        ) -> AsyncIterator[tuple[WorkbenchApp, object]]:
    """The app at 80x24 with the Review screen of ``project`` open."""
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_project_screen("review", project, **kwargs)
        await pilot.pause()
        yield app, pilot
