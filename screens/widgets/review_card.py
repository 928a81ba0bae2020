"""The question being reviewed: its text, the options with the correct one marked, and the
explanation. Read-only; the Review screen sets ``question``."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from store.records import Question
from workbench.review import LETTERS

STATUS_STYLES = {
    "pending": "bold yellow",
    "approved": "bold green",
    "discarded": "bold red",
    "rejected": "bold magenta",
}


def card_text(question: Question) -> Text:
    """The card as Rich text (kept separate so tests and the bench can build it)."""
    text = Text()
    text.append(question.question.strip() or "(no question text)", style="bold")
    text.append("\n")
    for i, option in enumerate(question.options):
        correct = i == question.answer_index
        marker = "✓" if correct else " "
        style = "bold green" if correct else ""
        text.append(f"\n {marker} {LETTERS[i]}  ", style=style or "dim")
        text.append(option, style=style)
    if question.answer_index is None:
        text.append("\n   (no correct option marked)", style="italic yellow")
    if question.explanation.strip():
        text.append("\n\nWhy: ", style="dim bold")
        text.append(question.explanation.strip(), style="dim italic")
    return text


class QuestionCard(Static):
    """Shows one question; ``None`` shows an empty-state line."""

    question: reactive[Question | None] = reactive(None, layout=True)

    def watch_question(self, question: Question | None) -> None:
        if question is None:
            self.update(Text("No question in this view.", style="italic"))
        else:
            self.update(card_text(question))
