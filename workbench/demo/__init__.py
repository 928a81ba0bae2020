"""The demo project: a small bundled corpus and a question set written for it.

The bundled model is too small to write good questions, so the demo also ships
hand-written questions (source 'demo') so that every screen can be tried on a CPU machine.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from store import Store
from store.records import NewQuestion, Project
from workbench.docs import import_paths
from workbench.settings import Settings

DEMO_PROJECT = "demo"
DEMO_SOURCE = "demo"
DEMO_AUTHOR = "workbench demo set (hand-written)"


def corpus_dir() -> Path:
    """The folder of bundled demo documents."""
    return Path(str(resources.files("workbench.demo") / "corpus"))


def demo_questions() -> list[dict[str, object]]:
    text = (resources.files("workbench.demo") / "questions.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def create_demo_project(store: Store, settings: Settings, name: str = DEMO_PROJECT) -> Project:
    """Create the demo project with its documents and hand-written questions."""
    project = store.create_project(
        name, "Demo: bundled documents and a hand-written question set (source 'demo').")
    import_paths(store, project.id, [corpus_dir()], settings)
    add_demo_questions(store, project, approve_as_shipped=True)
    return project


def add_demo_questions(store: Store, project: Project, approve_as_shipped: bool) -> list[int]:
    """Add the hand-written demo questions to a project that holds the demo documents,
    linked to their documents and passages. Pending unless ``approve_as_shipped``, which
    approves those the set marks approved (as reviews by 'demo')."""
    docs = {Path(d.path).name: d for d in store.list_documents(project.id)}
    chunks = {d.id: store.document_chunks(d.id) for d in docs.values()}
    new: list[NewQuestion] = []
    approved: list[int] = []
    for i, row in enumerate(demo_questions()):
        doc = docs.get(str(row["document"]))
        chunk = None if doc is None else next(
            (c for c in chunks[doc.id] if str(row["passage"]) in c.text), None)
        new.append(NewQuestion(
            project_id=project.id, question=str(row["question"]),
            options=[str(o) for o in row["options"]],  # type: ignore[attr-defined]
            answer_index=int(row["answer"]),  # type: ignore[call-overload]
            explanation=str(row.get("explanation", "")), source=DEMO_SOURCE,
            document_id=doc.id if doc else None, chunk_id=chunk.id if chunk else None,
            model_name=DEMO_AUTHOR, item_key=f"demo-{i}", quote=str(row["passage"]),
        ))
        if approve_as_shipped and row.get("status") == "approved":
            approved.append(i)
    ids = store.add_questions(new)
    with store.transaction():
        for i in approved:
            store.record_review(ids[i], "demo", "accept", {"status": "approved"}, origin="import",
                                comment="approved in the shipped demo set")
    return ids
