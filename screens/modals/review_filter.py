"""The filter dialog of the Review screen: status, document, model, flag and text.
Returns a QuestionFilter (an empty one clears every filter) or None when cancelled."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from store import QuestionFilter
from store.records import QUESTION_STATUSES


class FilterModal(ModalScreen[QuestionFilter | None]):
    CSS_PATH = "review_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "apply", "Apply"),
        Binding("ctrl+r", "clear", "Clear all"),
    ]

    def __init__(self, current: QuestionFilter, choices: dict[str, list[tuple[str, str]]]) -> None:
        super().__init__()
        self.current = current
        self.choices = choices

    def compose(self) -> ComposeResult:
        c = self.current
        with Vertical(id="filter-box"):
            yield Label("Show questions where", classes="title")
            yield self._row("Status", Select(
                [(s, s) for s in QUESTION_STATUSES], prompt="any (not rejected)",
                value=c.status or Select.NULL, id="filter-status"))
            yield self._row("Document", Select(
                [(title, int(doc_id)) for doc_id, title in self.choices["documents"]],
                prompt="any", value=Select.NULL if c.document_id is None else c.document_id,
                id="filter-document"))
            yield self._row("Model", Select(
                self.choices["models"], prompt="any", value=c.model_name or Select.NULL,
                id="filter-model"))
            yield self._row("Flag", Select(
                self.choices["flags"], prompt="any", value=c.flag or Select.NULL,
                id="filter-flag"))
            yield self._row("Text", Input(value=c.text or "", placeholder="words in question,"
                                          " options or explanation", id="filter-text"))
            with Horizontal(id="filter-buttons"):
                yield Button("Apply (ctrl+s)", variant="primary", id="filter-apply")
                yield Button("Clear all (ctrl+r)", id="filter-clear")
                yield Button("Cancel (esc)", id="filter-cancel")

    @staticmethod
    def _row(label: str, widget: Any) -> Horizontal:
        return Horizontal(Label(label, classes="filter-label"), widget, classes="filter-row")

    def on_mount(self) -> None:
        self.query_one("#filter-status", Select).focus()

    def _value(self, selector: str) -> Any:
        value = self.query_one(selector, Select).value
        return None if value is Select.NULL else value

    def result(self) -> QuestionFilter:
        text = self.query_one("#filter-text", Input).value.strip()
        return QuestionFilter(
            status=self._value("#filter-status"), document_id=self._value("#filter-document"),
            model_name=self._value("#filter-model"), flag=self._value("#filter-flag"),
            text=text or None,
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"filter-apply": self.action_apply, "filter-clear": self.action_clear,
         "filter-cancel": self.action_cancel}[event.button.id or "filter-cancel"]()

    def on_input_submitted(self) -> None:
        self.action_apply()

    def action_apply(self) -> None:
        self.dismiss(self.result())

    def action_clear(self) -> None:
        self.dismiss(QuestionFilter())

    def action_cancel(self) -> None:
        self.dismiss(None)
