"""The source passage of a question, with its supporting quote (else its most relevant
sentence) highlighted and scrolled into view in the same frame. Long passages scroll (the screen binds the keys);
the border title says which lines are shown."""

from __future__ import annotations

from textual.content import Content

from screens.widgets.wrapped_text import WrappedText

HIGHLIGHT_STYLE = "bold reverse"
NO_PASSAGE = Content.styled(
    "No source passage is stored for this question. An imported question has none: it is "
    "not grounded, the quote check does not apply.", "italic")


class PassageView(WrappedText):
    """Call ``show(passage, span)``; ``span`` is the (start, end) to mark: the question's
    supporting quote, or the most relevant sentence (``workbench.review.supporting_span``)."""

    highlighted: str | None = None
    """The marked quote or sentence, as shown (None when nothing is marked)."""

    def __init__(self, label: str = "Source passage", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label = label
        self.border_title = label
        self.highlight_line: int | None = None
        """The first wrapped line of the marked sentence (None when nothing is marked)."""

    def show(self, passage: str | None, span: tuple[int, int] | None = None) -> None:
        if passage is None:
            self.highlighted = None
            self.set_content(NO_PASSAGE)
            return
        content = Content(passage)
        self.highlighted = None
        if span is not None and span[1] > span[0]:
            content = content.stylize(HIGHLIGHT_STYLE, *span)
            self.highlighted = passage[span[0]:span[1]]
        self.set_content(content)

    def wrapped(self, lines: list[Content]) -> None:
        self.highlight_line = None
        if self.highlighted is None:
            return
        for y, line in enumerate(lines):
            if any(span.style == HIGHLIGHT_STYLE for span in line.spans):
                self.highlight_line = y
                return

    def first_line(self) -> int:
        """The top of the passage, unless the marked line would be out of view: then one
        line above it."""
        line = self.highlight_line
        if line is None or line < self.visible_height - 1:
            return 0
        return line - 1

    def position_changed(self) -> None:
        total, height = len(self._lines), self.visible_height
        if not self.overflows:
            title = self.label
        else:
            top = round(self.scroll_y)
            title = f"{self.label} · lines {top + 1}-{min(top + height, total)} of {total} (↑↓)"
        if self.border_title != title:
            self.border_title = title
