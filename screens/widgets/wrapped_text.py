"""Read-only text that wraps itself and scrolls without a scrollbar, in one frame.

Built on Textual's Line API for the Review screen, where every key press shows new text:
the widget wraps its ``Content`` at its own width when the text is set, so it knows its
height (and any line it should scroll to) at once, and the whole update lands in the
frame that follows the key. A ``Static`` in a ``VerticalScroll`` learns its height only
from a layout pass, so scrolling it after a change costs a second and a third frame; and
Textual repaints a scrollbar widget a frame late. Subclasses say where they are instead
(``position_changed``), e.g. in a border title.
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class WrappedText(ScrollView, can_focus=False):
    """Call ``set_content``; ``lines`` is the text as wrapped on screen."""

    DEFAULT_CSS = """
    WrappedText {
        /* No scrollbar: Textual toggles it with a layout pass, and repaints it a frame
           late. Scrolling still works (allow_vertical_scroll). */
        overflow-x: hidden;
        overflow-y: hidden;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._content = Content("")
        self._lines: list[Content] = []
        self._strips: dict[int, Strip] = {}
        self._wrapped_at = 0
        self._scroll_pending = False

    # -- for subclasses ------------------------------------------------------------------
    def wrapped(self, lines: list[Content]) -> None:
        """Called after each wrap, before any scroll: e.g. to find a line or set a height."""

    def first_line(self) -> int:
        """The line to show at the top when new content is set."""
        return 0

    def position_changed(self) -> None:
        """Called when the content or the scroll position changed."""

    # -- public --------------------------------------------------------------------------
    @property
    def lines(self) -> list[str]:
        """The text as wrapped on screen, one string per line."""
        return [line.plain for line in self._lines]

    @property
    def visible_height(self) -> int:
        return max(self.scrollable_content_region.height, 0)

    @property
    def overflows(self) -> bool:
        """More lines than the view shows."""
        return 0 < self.visible_height < len(self._lines)

    @property
    def allow_vertical_scroll(self) -> bool:
        """Keys and the mouse wheel scroll text that overflows, scrollbar or not."""
        return self.overflows and not self._check_disabled()

    def set_content(self, content: Content) -> None:
        """Show ``content`` from ``first_line()``."""
        self._content = content
        self._wrapped_at = 0
        self._scroll_pending = True
        self._rewrap()

    # -- wrapping and drawing ------------------------------------------------------------
    def on_resize(self) -> None:
        self._rewrap()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.position_changed()

    def _rewrap(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0:
            return  # not laid out yet: on_resize wraps and scrolls
        if width != self._wrapped_at:
            self._lines = self._content.wrap(width)
            self._strips.clear()
            self._wrapped_at = width
            self.virtual_size = Size(width, len(self._lines))
            self.wrapped(self._lines)
        if self._scroll_pending:
            self._scroll_pending = False
            # force: whether it may scroll is only decided by the next layout
            self.scroll_to(y=self.first_line(), animate=False, immediate=True, force=True)
        self.position_changed()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # a new theme: restyle the lines

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        strip = self._strips.get(index)
        if strip is None:
            segments = self._lines[index].render_segments(self.visual_style)
            strip = Strip(segments).crop_extend(0, width, self.rich_style)
            self._strips[index] = strip
        return strip
