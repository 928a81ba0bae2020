"""The source passage of a question, with its most relevant sentence highlighted and
scrolled into view. Long passages scroll (the screen binds the keys)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
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
        self.scroll_home(animate=False)
        if passage is None:
            body.update(Content.styled("No source passage is stored for this question.",
                                       "italic"))
            return
        content = Content(passage)
        if span is not None:
            content = content.stylize(HIGHLIGHT_STYLE, *span)
        body.update(content)
        if span is not None and span[0] > 0:
            line = self._line_of(passage, span[0])
            if line >= self.scrollable_content_region.height - 1:
                # Scrolling needs the new height, known after the next layout.
                self.call_after_refresh(self.scroll_to, y=max(line - 1, 0), animate=False)

    def _line_of(self, passage: str, offset: int) -> int:
        """The wrapped line (0-based) that holds ``offset`` at the current width."""
        width = max(self.scrollable_content_region.width, 10)
        return len(Text(passage[:offset] + "x").wrap(self.app.console, width)) - 1
