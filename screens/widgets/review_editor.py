"""Inline editor of a question's text, options and explanation.

Posts ``Save`` with the typed values (the screen validates and stores them) or ``Cancel``;
it never writes anything itself. Enter or ctrl+s saves, Escape cancels, Tab moves on.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static

from store.records import Question
from workbench.review import LETTERS


class QuestionEditor(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save edit"),
        Binding("escape", "cancel", "Cancel edit"),
    ]

    class Save(Message):
        def __init__(self, question: str, options: list[str], explanation: str) -> None:
            super().__init__()
            self.question = question
            self.options = options
            self.explanation = explanation

    class Cancel(Message):
        pass

    def compose(self) -> ComposeResult:
        yield Static("", id="edit-error", classes="error-text")
        yield Label("Enter or ctrl+s save · Escape cancel · Tab next field", classes="muted")

    async def load(self, question: Question) -> None:
        """Rebuild the fields for ``question`` (the number of options varies) and focus it."""
        await self.query("Horizontal.edit-row").remove()
        rows = [self._row("Q", "edit-question", question.question)]
        rows += [self._row(LETTERS[i], f"edit-option-{i}", option)
                 for i, option in enumerate(question.options)]
        rows.append(self._row("Why", "edit-explanation", question.explanation))
        await self.mount_all(rows, before=0)
        self.show_error("")
        self.query_one("#edit-question", Input).focus()

    def clear(self) -> None:
        """Drop the fields, so no hidden input keeps (or gets back) the focus."""
        self.query("Horizontal.edit-row").remove()

    @staticmethod
    def _row(label: str, input_id: str, value: str) -> Horizontal:
        return Horizontal(
            Label(label, classes="edit-label"),
            Input(value=value, id=input_id, select_on_focus=False),
            classes="edit-row",
        )

    def show_error(self, message: str) -> None:
        self.query_one("#edit-error", Static).update(message)

    def values(self) -> tuple[str, list[str], str]:
        question = self.query_one("#edit-question", Input).value
        options = [i.value for i in self.query(Input) if (i.id or "").startswith("edit-option-")]
        explanation = self.query_one("#edit-explanation", Input).value
        return question, options, explanation

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        self.post_message(self.Save(*self.values()))

    def action_cancel(self) -> None:
        self.post_message(self.Cancel())
