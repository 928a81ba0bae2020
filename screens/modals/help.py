"""`?`: the keys of the screen underneath, and what the screen is for."""

from __future__ import annotations

import sys
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown


def help_markdown(screen: Screen[Any]) -> str:
    """The screen's module HELP text plus a table of its active key bindings."""
    module = sys.modules.get(type(screen).__module__)
    intro = getattr(module, "HELP", "") if module else ""
    lines = [f"# {type(screen).__name__.removesuffix('Screen') or 'Help'}", "", intro.strip(), "",
             "| Key | Action |", "|---|---|"]
    seen = set()
    for key, active in screen.active_bindings.items():
        b = active.binding
        if not b.description or (b.description, key) in seen:
            continue
        seen.add((b.description, key))
        lines.append(f"| `{b.key_display or key}` | {b.description} |")
    lines += ["", "`ctrl+p` opens the command palette; `ctrl+q` quits; `escape` goes back."]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; height: 90%; border: thick $accent;
        background: $panel; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "app.pop_screen", "Close")]

    def __init__(self, target: Screen[Any]) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(help_markdown(self.target))
