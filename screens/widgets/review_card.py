"""The question being reviewed: its text, the options with the correct one marked, and the
explanation. Read-only; the Review screen calls ``show``.

Built as Textual ``Content`` and drawn line by line (``WrappedText``). Its height is fixed
by the screen's stylesheet, not fitted to each question: then a key press changes no
widget's size, and what it shows lands in one frame. A question longer than the card
scrolls (the screen binds the keys) and the card's last line says how much is below.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.content import Content
from textual.strip import Strip

from screens.widgets.wrapped_text import WrappedText
from store.records import Question
from workbench.review import LETTERS

MORE_STYLE = Style.parse("italic reverse")  # the "more below" line
EMPTY = Content.styled("No question in this view.", "italic")
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


class QuestionCard(WrappedText):
    """Shows one question; ``None`` shows an empty-state line."""

    def show(self, question: Question | None) -> None:
        self.set_content(EMPTY if question is None else card_content(question))

    def position_changed(self) -> None:
        self.refresh()  # the last line tells what is below

    def render_line(self, y: int) -> Strip:
        height = self.visible_height
        below = len(self._lines) - (self.scroll_offset.y + height)
        if y == height - 1 and below > 0:
            width = self.scrollable_content_region.width
            text = f" ▼ {below + 1} more line{'s' if below else ''}: shift+↓ "
            return Strip([Segment(text, self.rich_style + MORE_STYLE)]).crop_extend(0, width, self.rich_style)
        return super().render_line(y)
