"""The discard dialog: pick a reason (number key or arrows + Enter) and optionally add a
note; with "other", the note is the reason. Returns (reason, comment) or None."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from workbench.review import DISCARD_REASONS

OTHER = "other (type it below)"


class DiscardModal(ModalScreen[tuple[str, str] | None]):
    CSS_PATH = "review_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        *[Binding(str(i + 1), f"pick({i})", show=False) for i in range(len(DISCARD_REASONS) + 1)],
    ]

    def __init__(self, question_id: int) -> None:
        super().__init__()
        self.question_id = question_id
        self.choices = [*DISCARD_REASONS, OTHER]

    def compose(self) -> ComposeResult:
        with Vertical(id="discard-box"):
            yield Label(f"Discard question #{self.question_id}: why?", classes="title")
            yield OptionList(
                *[Option(f"{i + 1}  {reason}", id=str(i)) for i, reason in enumerate(self.choices)],
                id="discard-reasons",
            )
            yield Input(placeholder="note (optional; the reason itself for 'other')",
                        id="discard-note")
            yield Static("", id="discard-error", classes="error-text")
            yield Label("1-8 or Enter pick · Tab to the note · Escape cancel", classes="muted")

    def on_mount(self) -> None:
        reasons = self.query_one(OptionList)
        reasons.highlighted = 0
        reasons.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_pick(event.option_index)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        highlighted = self.query_one(OptionList).highlighted
        self.action_pick(len(self.choices) - 1 if highlighted is None else highlighted)

    def action_pick(self, index: int) -> None:
        note = self.query_one("#discard-note", Input).value.strip()
        if self.choices[index] != OTHER:
            self.dismiss((self.choices[index], note))
        elif note:
            self.dismiss((note, ""))
        else:
            self.query_one(OptionList).highlighted = index
            self.query_one("#discard-error", Static).update("Type the reason in the note first.")
            self.query_one("#discard-note", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
