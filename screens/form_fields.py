"""Reading form fields the same way on every screen."""

from __future__ import annotations

from typing import overload

from textual.dom import DOMNode
from textual.widgets import Input

from workbench.errors import InvalidInput


@overload
def int_field(screen: DOMNode, widget_id: str, default: int) -> int: ...
@overload
def int_field(screen: DOMNode, widget_id: str, default: None) -> int | None: ...


def int_field(screen: DOMNode, widget_id: str, default: int | None) -> int | None:
    """The whole number typed in ``#widget_id``; ``default`` when empty; InvalidInput if not
    a number."""
    text = screen.query_one(f"#{widget_id}", Input).value.strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"'{text}' is not a whole number.") from None
