"""The source passage of a question, with its most relevant sentence highlighted and
scrolled into view. Long passages scroll."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

HIGHLIGHT_STYLE = "bold reverse"


class PassageView(VerticalScroll, can_focus=False):
    """Call ``show(passage, span)``; ``span`` is the (start, end) of the sentence to mark."""

    highlighted: str | None = None
    """The marked sentence, as shown (None when nothing is marked)."""

    def compose(self) -> ComposeResult:
        yield Static("", id="passage-text")

    def show(self, passage: str | None, span: tuple[int, int] | None = None) -> None:
        body = self.query_one("#passage-text", Static)
        self.highlighted = None if passage is None or span is None else passage[span[0]:span[1]]
        if passage is None:
            body.update(Text("No source passage is stored for this question.", style="italic"))
            self.scroll_home(animate=False)
            return
        text = Text(passage)
        if span is not None:
            text.stylize(HIGHLIGHT_STYLE, *span)
        body.update(text)
        self.scroll_home(animate=False)
        if span is not None and span[0] > 0:
            self.call_after_refresh(self._scroll_to_offset, passage, span[0])

    def _scroll_to_offset(self, passage: str, offset: int) -> None:
        """Bring the line holding ``offset`` near the top, counting wrapped lines."""
        width = max(self.scrollable_content_region.width, 10)
        lines = Text(passage[:offset] + "x").wrap(self.app.console, width)
        self.scroll_to(y=max(len(lines) - 2, 0), animate=False)
