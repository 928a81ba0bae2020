"""The one error dialog: what happened, what to do; Enter or Escape closes it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ErrorModal(ModalScreen[None]):
    DEFAULT_CSS = """
    ErrorModal { align: center middle; }
    ErrorModal > Vertical {
        width: 70; max-width: 95%; height: auto; border: thick $error; background: $panel;
        padding: 1 2;
    }
    ErrorModal #error-title { text-style: bold; color: $error; }
    ErrorModal #error-hint { margin-top: 1; }
    ErrorModal Button { margin-top: 1; }
    """
    BINDINGS = [Binding("escape,enter", "close", "Close")]

    def __init__(self, title: str, hint: str = "", fatal: bool = False) -> None:
        super().__init__()
        self.error_title = title
        self.hint = hint
        self.fatal = fatal

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.error_title, id="error-title", markup=False)
            if self.hint:
                yield Static(self.hint, id="error-hint", markup=False)
            yield Button("Quit" if self.fatal else "OK", variant="error", id="close")

    def on_button_pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        if self.fatal:
            self.app.exit(return_code=1)
        else:
            self.dismiss()
