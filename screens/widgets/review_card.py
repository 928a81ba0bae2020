"""The question being reviewed: its text, the options with the correct one marked, and the
explanation. Read-only; the Review screen sets ``question``.

Built as Textual ``Content`` rather than Rich ``Text``: it renders without a conversion
step, which matters when every key press redraws the card.
"""

from __future__ import annotations

from textual.content import Content
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


def card_content(question: Question) -> Content:
    """The card's text and styles."""
    parts: list[str | tuple[str, str]] = [
        (question.question.strip() or "(no question text)", "bold"), "\n"]
    for i, option in enumerate(question.options):
        if i == question.answer_index:
            parts += [(f"\n ✓ {LETTERS[i]}  ", "bold green"), (option, "bold green")]
        else:
            parts += [(f"\n   {LETTERS[i]}  ", "dim"), option]
    if question.answer_index is None:
        parts.append(("\n   (no correct option marked)", "italic yellow"))
    if question.explanation.strip():
        parts += [("\n\nWhy: ", "dim bold"), (question.explanation.strip(), "dim italic")]
    return Content.assemble(*parts)


class QuestionCard(Static):
    """Shows one question; ``None`` shows an empty-state line."""

    question: reactive[Question | None] = reactive(None, layout=True)

    def watch_question(self, question: Question | None) -> None:
        if question is None:
            self.update(Content.styled("No question in this view.", "italic"))
        else:
            self.update(card_content(question))
