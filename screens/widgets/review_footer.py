"""A footer on two rows: the Review screen has more keys than one 80-column row holds, and
every key should be visible without opening the help."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.widgets import Footer


class TwoRowFooter(Footer):
    DEFAULT_CSS = """
    TwoRowFooter {
        layout: grid;
        height: 2;
        grid-rows: 1;
        grid-columns: auto;
        grid-gutter: 0 1;
        FooterKey { margin: 0; }
    }
    """

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        # Spread the keys over two rows, before they are mounted (no second layout).
        self.styles.grid_size_columns = max(1, math.ceil(len(keys) / 2))
        yield from keys
