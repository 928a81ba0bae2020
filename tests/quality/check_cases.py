"""Hand-made questions for the model checks, with a known verdict each.

The judge in the tests is the bundled 135M model, which is weak: these cases were chosen
after checking empirically (seed 0, two rounds, cloze) that it decides them, and each
expected verdict is also what a person sees at a glance: the passage states the answer, a
wrong key contradicts it, and a give-away option is absurdly longer and more specific than
the others. Inserted in this order into a fresh store, so the ids (which seed each
question's shuffles) are the same on every run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from store import Store
from store.records import ChunkSpan, NewDocument, NewQuestion, Project

PASSAGES = {
    "water": "At sea level, pure water boils at 100 degrees Celsius and freezes at 0 degrees "
             "Celsius.",
    "nile": "The Nile is the longest river in Africa. It flows north into the Mediterranean "
            "Sea.",
    "honey": "Honey bees make honey from the nectar of flowers, which they store in wax "
             "combs.",
}
WATER = ["100 degrees Celsius", "50 degrees Celsius", "0 degrees Celsius", "200 degrees Celsius"]
HONEY = ["the nectar of flowers", "tree bark", "sea water", "sand"]


@dataclass(frozen=True)
class Case:
    name: str
    passage: str | None
    question: str
    options: list[str]
    key: int
    disputed: bool | None  # expected open-book verdict (None: no passage, not checked)
    guessable: bool | None  # expected options-only verdict (None: not asserted)
    judge_choice: int | None = None  # the option a disputing judge picks


CASES = [
    Case("water-good", "water", "At what temperature does pure water boil at sea level?",
         WATER, 0, disputed=False, guessable=False),
    Case("water-wrong-key", "water", "At what temperature does pure water boil at sea level?",
         WATER, 1, disputed=True, guessable=None, judge_choice=0),
    Case("nile-good", "nile", "Which is the longest river in Africa?",
         ["The Nile", "The Congo", "The Niger", "The Zambezi"], 0, disputed=False,
         guessable=False),
    Case("honey-good", "honey", "What do honey bees make honey from?", HONEY, 0,
         disputed=False, guessable=None),
    Case("honey-wrong-key", "honey", "What do honey bees make honey from?", HONEY, 1,
         disputed=True, guessable=None, judge_choice=0),
    Case("giveaway-first", None, "Which organelle makes most of a cell's ATP?",
         ["The mitochondrion, the organelle that produces most of the cell's energy as ATP "
          "through cellular respiration", "Blue", "Seven", "Tuesday"], 0,
         disputed=None, guessable=True),
    Case("giveaway-third", None, "What does the heart do?",
         ["Blue", "Seven", "It pumps blood through the arteries and veins of the whole body "
          "to deliver oxygen", "Tuesday"], 2, disputed=None, guessable=True),
    Case("capitals", None, "What is the capital city of Australia?",
         ["Canberra", "Sydney", "Melbourne", "Perth"], 0, disputed=None, guessable=False),
]


def make_check_project(store: Store, name: str = "checks") -> tuple[Project, dict[str, int]]:
    """A project with one document (one chunk per passage) and the CASES as pending
    questions; returns the project and {case name: question id}."""
    project = store.create_project(name)
    text, spans, offset = "", [], 0
    for i, passage in enumerate(PASSAGES.values()):
        spans.append(ChunkSpan(i, offset, offset + len(passage), passage))
        text += passage + "\n\n"
        offset = len(text)
    doc = store.add_document(project.id, NewDocument(
        path="facts.txt", title="Facts", content_hash=hashlib.sha256(text.encode()).hexdigest(),
        encoding="utf-8", size_bytes=len(text.encode()), text=text), spans)
    assert doc is not None
    chunk_ids = {c.text: c.id for c in store.document_chunks(doc.id)}
    ids = store.add_questions([
        NewQuestion(project_id=project.id, question=c.question, options=list(c.options),
                    answer_index=c.key, document_id=doc.id if c.passage else None,
                    chunk_id=chunk_ids[PASSAGES[c.passage]] if c.passage else None,
                    source="generated" if c.passage else "import")
        for c in CASES])
    return project, {c.name: qid for c, qid in zip(CASES, ids, strict=True)}
