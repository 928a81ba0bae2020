"""ScoreGrid: a read-only table of short, pre-formatted cells drawn with Textual's Line API.

Built for the leaderboard (200 models x 30 tasks must sort and refilter in well under
100 ms). Unlike ``DataTable`` it never renders a cell through Rich: each cell is a plain
string with one style; column widths come from the strings' lengths once per
``set_data``; ``render_line`` makes Segments for the visible columns of the visible row
only, from padded texts cached by (row, column) and styles cached by (stripe, fixed
column, cell style, cursor). Sorting is a new order of row indices (``set_order``) and a
refresh: nothing is re-measured or re-padded.

Layout: a header line, then one line per row; the first ``fixed_columns`` columns stay
put while the others scroll horizontally. A cell cursor (arrow keys, page keys, home/end,
mouse click) posts ``CellHighlighted`` whenever it moves.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import ClassVar, Literal, NamedTuple

from rich.cells import cell_len, get_character_cell_size, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Justify = Literal["left", "right"]
PADDING = 1  # blank cells on each side of a cell's text
# Characters one cell wide, so that most cells are measured with len(): Latin, Greek,
# Cyrillic, box drawing and shapes, and the marks scores use. Others go to Rich.
_NARROW = frozenset(ch for ch in (
    *map(chr, range(0x20, 0x7F)), *map(chr, range(0xA0, 0x2FF)),
    *map(chr, range(0x370, 0x483)), *map(chr, range(0x2500, 0x25FD)), *"†‡–—…")
    if get_character_cell_size(ch) == 1)


def text_width(text: str) -> int:
    """Cells a text takes in the terminal (Rich's measure, quicker for common text)."""
    return len(text) if _NARROW.issuperset(text) else cell_len(text)


class GridColumn(NamedTuple):
    key: str
    label: str
    justify: Justify = "left"
    max_width: int | None = None  # longer texts are cut with an ellipsis


class GridCell(NamedTuple):
    text: str
    style: str = ""  # a Rich style string for the whole cell, e.g. "bold green"


class ScoreGrid(ScrollView, can_focus=True):
    """Rows of pre-formatted cells under a header, with a cell cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "score-grid--header", "score-grid--cursor", "score-grid--even-row",
        "score-grid--odd-row", "score-grid--fixed",
    }
    DEFAULT_CSS = """
    ScoreGrid {
        background: $surface;
        color: $foreground;
        height: 1fr;
        &:focus {
            background-tint: $foreground 5%;
            & > .score-grid--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .score-grid--header { text-style: bold; background: $panel; color: $foreground; }
        & > .score-grid--fixed { background: $secondary-muted; }
        & > .score-grid--odd-row { }
        & > .score-grid--even-row { background: $surface-lighten-1 50%; }
        & > .score-grid--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1, 0)", "Up", show=False),
        Binding("down", "cursor(1, 0)", "Down", show=False),
        Binding("left", "cursor(0, -1)", "Left", show=False),
        Binding("right", "cursor(0, 1)", "Right", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(-1)", "First row", show=False),
        Binding("end", "edge(1)", "Last row", show=False),
    ]

    class CellHighlighted(Message):
        """The cursor moved to another cell (or the data under it changed)."""

        def __init__(self, grid: ScoreGrid, coordinate: Coordinate, row_key: str | None,
                     column_key: str | None) -> None:
            super().__init__()
            self.grid = grid
            self.coordinate = coordinate
            self.row_key = row_key
            self.column_key = column_key

        @property
        def control(self) -> ScoreGrid:
            return self.grid

    def __init__(self, *, fixed_columns: int = 1, zebra_stripes: bool = True,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.fixed_columns = fixed_columns
        self.zebra_stripes = zebra_stripes
        self._columns: list[GridColumn] = []
        self._keys: list[str] = []  # row keys, in the order given to set_data
        self._cells: list[Sequence[GridCell]] = []
        self._index: dict[str, int] = {}  # row key -> position in _keys
        self._order: list[int] = []  # displayed row i shows _keys[_order[i]]
        self._content_widths: list[int] = []  # widest cell text per column
        self._widths: list[int] = []  # rendered column widths, padding included
        self._offsets: list[int] = []  # x of each scrollable column, from 0
        self._fixed_width = 0
        # Padded cell texts by (row, column), made when first shown, kept across sorts.
        self._texts: dict[tuple[int, int], str] = {}
        self._parsed: dict[str, Style] = {}  # a cell's style string, parsed
        # Final cell styles by (odd row, fixed column, style string, cursor), for _frame.
        self._cell_styles: dict[tuple[bool, bool, str, bool], Style] = {}
        self._frame: tuple[Style, ...] = ()  # component styles of the frame being drawn
        self._cursor = Coordinate(0, 0)

    # -- data in -------------------------------------------------------------------------
    def set_data(self, columns: Sequence[GridColumn], rows: Sequence[tuple[str, Sequence[GridCell]]]
                 ) -> None:
        """Replace every column and row; rows are (key, cells), shown in the given order.
        The cursor stays where it was, clamped to the new size."""
        self._columns = list(columns)
        self._keys = [key for key, _ in rows]
        self._cells = [cells for _, cells in rows]
        self._index = {key: i for i, key in enumerate(self._keys)}
        self._order = list(range(len(self._keys)))
        self._texts.clear()
        self._content_widths = [max([0, *(text_width(cells[c].text) for cells in self._cells)])
                                for c in range(len(self._columns))]
        self._layout()
        self.move_cursor(self._cursor.row, self._cursor.column, always_post=True)

    def set_order(self, keys: Sequence[str]) -> None:
        """Show the rows in this order (every row key once); nothing is re-measured."""
        order = [self._index[k] for k in keys]
        if sorted(order) != list(range(len(self._keys))):
            raise ValueError("set_order needs every row key exactly once")
        self._order = order
        self.refresh()

    def set_labels(self, labels: Sequence[str]) -> None:
        """New header labels (e.g. a sort arrow); widths are adjusted from cached figures."""
        self._columns = [c._replace(label=label) for c, label in zip(self._columns, labels,
                                                                     strict=True)]
        self._layout()

    def update_row(self, key: str, cells: Sequence[GridCell]) -> None:
        """New cells for one row (same columns); widths grow if needed, never shrink."""
        i = self._index[key]
        self._cells[i] = cells
        widths = [max(w, text_width(cell.text)) for w, cell in zip(self._content_widths, cells,
                                                                   strict=True)]
        if widths != self._content_widths:
            self._content_widths = widths
            self._layout()
        else:
            self._texts = {k: v for k, v in self._texts.items() if k[0] != i}
            self.refresh()

    def _layout(self) -> None:
        widths = []
        for column, content in zip(self._columns, self._content_widths, strict=True):
            width = max(content, cell_len(column.label))
            if column.max_width is not None:
                width = min(width, column.max_width)
            widths.append(width + 2 * PADDING)
        if widths != self._widths:
            self._texts.clear()  # padded to the old widths
        self._widths = widths
        fixed = min(self.fixed_columns, len(widths))
        self._fixed_width = sum(widths[:fixed])
        self._offsets = []
        x = 0
        for w in widths[fixed:]:
            self._offsets.append(x)
            x += w
        self.virtual_size = Size(self._fixed_width + x, len(self._keys) + 1)
        self.refresh()

    # -- data out ------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def column_keys(self) -> list[str]:
        return [c.key for c in self._columns]

    @property
    def row_keys(self) -> list[str]:
        """Row keys in the displayed order."""
        return [self._keys[i] for i in self._order]

    def cell_text(self, row: int, column: int) -> str:
        """The text of the cell at a displayed position (before padding and cutting)."""
        return self._cells[self._order[row]][column].text

    def column_width(self, column: int) -> int:
        """Cells the column takes on screen, padding included."""
        return self._widths[column]

    # -- cursor --------------------------------------------------------------------------
    @property
    def cursor_coordinate(self) -> Coordinate:
        return self._cursor

    @cursor_coordinate.setter
    def cursor_coordinate(self, value: tuple[int, int]) -> None:
        self.move_cursor(*value)

    @property
    def cursor_row_key(self) -> str | None:
        return self._keys[self._order[self._cursor.row]] if self._keys else None

    @property
    def cursor_column_key(self) -> str | None:
        return self._columns[self._cursor.column].key if self._columns else None

    def move_cursor(self, row: int, column: int, always_post: bool = False) -> None:
        """Put the cursor on a displayed cell (clamped), scroll it into view, and post
        ``CellHighlighted`` if it moved."""
        row = max(0, min(row, len(self._keys) - 1))
        column = max(0, min(column, len(self._columns) - 1))
        new = Coordinate(row, column)
        old, self._cursor = self._cursor, new
        if new == old and not always_post:
            return
        self._refresh_row(old.row)
        self._refresh_row(new.row)
        self._scroll_cursor_into_view()
        self.post_message(self.CellHighlighted(self, new, self.cursor_row_key,
                                               self.cursor_column_key))

    def _refresh_row(self, row: int) -> None:
        self.refresh_line(row + 1)

    def _scroll_cursor_into_view(self) -> None:
        """Scroll the least that shows the cursor's cell, starting at a column's edge."""
        if not self._keys or not self._columns:
            return
        row, column = self._cursor
        view = self.scrollable_content_region.size
        x, y = int(self.scroll_x), int(self.scroll_y)
        rows = max(1, view.height - 1)  # under the header
        if row < y:
            y = row
        elif row >= y + rows:
            y = row - rows + 1
        k = column - min(self.fixed_columns, len(self._columns))
        if k >= 0:
            avail = max(1, view.width - self._fixed_width)
            left, right = self._offsets[k], self._offsets[k] + self._widths[column]
            if left < x or right - left > avail:
                x = left
            elif right > x + avail:
                x = next((o for o in self._offsets if o >= right - avail), right - avail)
        if (x, y) != (int(self.scroll_x), int(self.scroll_y)):
            self.scroll_to(x, y, animate=False, force=True)

    def action_cursor(self, rows: int, columns: int) -> None:
        self.move_cursor(self._cursor.row + rows, self._cursor.column + columns)

    def action_page(self, direction: int) -> None:
        page = max(1, self.scrollable_content_region.height - 2)
        self.move_cursor(self._cursor.row + direction * page, self._cursor.column)

    def action_edge(self, direction: int) -> None:
        self.move_cursor(0 if direction < 0 else len(self._keys) - 1, self._cursor.column)

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        hit = None if offset is None else self.cell_at(offset.x, offset.y)
        if hit is not None:
            self.move_cursor(*hit)

    def cell_at(self, x: int, y: int) -> tuple[int, int] | None:
        """Displayed (row, column) under a point of the widget, or None."""
        row = y - 1 + int(self.scroll_y)
        if y < 1 or not 0 <= row < len(self._keys):
            return None
        fixed = min(self.fixed_columns, len(self._columns))
        if x < self._fixed_width:
            edge = 0
            for c in range(fixed):
                edge += self._widths[c]
                if x < edge:
                    return row, c
        sx = x - self._fixed_width + int(self.scroll_x)
        c = bisect_right(self._offsets, sx) - 1
        if 0 <= c and sx < self._offsets[c] + self._widths[fixed + c]:
            return row, fixed + c
        return None

    # -- rendering ------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._frame = ()

    def _pad(self, column: int, text: str) -> str:
        width = self._widths[column] - 2 * PADDING
        length = cell_len(text)
        if length > width:
            text, length = set_cell_size(text, width - 1) + "…", width
        gap = " " * (width - length)
        inner = gap + text if self._columns[column].justify == "right" else text + gap
        return " " * PADDING + inner + " " * PADDING

    def _text(self, row: int, column: int) -> str:
        text = self._texts.get((row, column))
        if text is None:
            text = self._texts[(row, column)] = self._pad(column, self._cells[row][column].text)
        return text

    def _cell_style(self, odd: bool, fixed: bool, style: str, cursor: bool) -> Style:
        key = (odd, fixed, style, cursor)
        final = self._cell_styles.get(key)
        if final is None:
            base, even_row, odd_row, fixed_style, cursor_style = self._frame[:5]
            final = base + (odd_row if odd else even_row)
            if fixed:
                final += fixed_style
            parsed = self._parsed.get(style)
            if parsed is None:
                parsed = self._parsed[style] = Style.parse(style) if style else Style.null()
            final += parsed
            if cursor:
                final += cursor_style
            self._cell_styles[key] = final
        return final

    def render_lines(self, crop: Region) -> list[Strip]:
        # Component styles once per frame, not once per line; cell styles follow them.
        get = self.get_component_rich_style
        zebra = self.zebra_stripes
        frame = (self.rich_style,
                 get("score-grid--even-row") if zebra else Style.null(),
                 get("score-grid--odd-row") if zebra else Style.null(),
                 get("score-grid--fixed"), get("score-grid--cursor"),
                 get("score-grid--header"))
        if frame != self._frame:
            self._frame = frame
            self._cell_styles.clear()
        return super().render_lines(crop)

    def _visible_columns(self, width: int) -> tuple[range, int, int]:
        """Scrollable columns that show at least one cell, and the cells to cut from the
        first of them and to keep in all."""
        fixed = min(self.fixed_columns, len(self._columns))
        left = int(self.scroll_x)
        avail = max(0, width - self._fixed_width)
        first = max(0, bisect_right(self._offsets, left) - 1)
        last = bisect_right(self._offsets, left + avail - 1) if avail else first
        cut = left - self._offsets[first] if self._offsets else 0
        return range(fixed + first, fixed + last), cut, avail

    def _line(self, segments: list[Segment], fixed: int, cut: int, avail: int, width: int,
              fill: Style) -> Strip:
        """Fixed cells, the visible part of the scrolled ones, then blank to the width."""
        parts = list(Segment.divide(segments[fixed:], [cut, cut + avail]))
        line = [*segments[:fixed], *(parts[1] if len(parts) > 1 else [])]
        length = sum(cell_len(text) for text, _, _ in line)
        if length < width:
            line.append(Segment(" " * (width - length), fill))
        elif length > width:
            return Strip(line, length).crop(0, width)
        return Strip(line, width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if not self._frame:  # drawn outside render_lines (e.g. a test reading a line)
            self.render_lines(Region(0, 0, 0, 0))
        base = self._frame[0]
        fixed = min(self.fixed_columns, len(self._columns))
        scrolled, cut, avail = self._visible_columns(width)
        if y == 0:
            header = self._frame[5]
            return self._line([Segment(self._pad(c, self._columns[c].label), header)
                               for c in (*range(fixed), *scrolled)],
                              fixed, cut, avail, width, header)
        row = y - 1 + int(self.scroll_y)
        if not 0 <= row < len(self._order):
            return Strip.blank(width, base)
        index = self._order[row]
        odd = row % 2 == 1
        cursor = self._cursor.column if row == self._cursor.row else -1
        cells = self._cells[index]
        segments = [Segment(self._text(index, c),
                            self._cell_style(odd, c < fixed, cells[c].style, c == cursor))
                    for c in (*range(fixed), *scrolled)]
        return self._line(segments, fixed, cut, avail, width,
                          base + (self._frame[2] if odd else self._frame[1]))
