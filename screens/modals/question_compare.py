"""One question as two models answered it: both choices and per-option log-probabilities,
and what each wrote (generative formulation).

Dismisses with the question id when the user asks to open it in Review (key r)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from workbench.results.compare import CATEGORY_TITLES, QuestionDetail


class QuestionCompareModal(ModalScreen[int | None]):
    DEFAULT_CSS = """
    QuestionCompareModal { align: center middle; }
    QuestionCompareModal > VerticalScroll { width: 95%; height: 90%; border: thick $accent;
        background: $panel; padding: 0 1; }
    QuestionCompareModal #qc-question { margin-bottom: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "review", "Open in Review"),
        Binding("escape,q", "close", "Close"),
    ]

    def __init__(self, detail: QuestionDetail, model_a: str, model_b: str) -> None:
        super().__init__()
        self.detail, self.model_a, self.model_b = detail, model_a, model_b

    def compose(self) -> ComposeResult:
        d, o = self.detail, self.detail.outcome
        with VerticalScroll():
            yield Label(f"{o.task} · sample {o.a.sample_index} · {CATEGORY_TITLES[o.category]}",
                        classes="title")
            yield Static(Text(d.question), id="qc-question")
            yield Label(f"A = {self.model_a}   B = {self.model_b}   ✓ gold   ▶ chosen")
            yield Static(self._options_table(), id="qc-options")
            if o.a.reply is not None or o.b.reply is not None:
                yield Static(self._replies(), id="qc-replies")
            hint = ("r opens it in Review · " if o.question_id is not None else "") + "Escape closes"
            yield Label(hint, classes="muted")

    def _options_table(self) -> Table:
        d, o = self.detail, self.detail.outcome
        table = Table(expand=True)
        table.add_column("", width=3, no_wrap=True)
        table.add_column("Option", ratio=1)
        for name in ("A logprob (p)", "B logprob (p)"):
            table.add_column(name, justify="right", no_wrap=True, min_width=14)
        probs_a, probs_b = d.probabilities(o.a.logprobs), d.probabilities(o.b.logprobs)
        count = max(len(d.options), len(o.a.logprobs), len(o.b.logprobs))
        for i in range(count):
            letter = "ABCDEFGHIJ"[i] if i < 10 else str(i)
            mark = ("✓" if i == d.gold_index else " ")
            text = d.options[i] if i < len(d.options) else ""
            cells: list[str | Text] = [f"{mark}{letter}", text]
            for sample, probs in ((o.a, probs_a), (o.b, probs_b)):
                if i < len(sample.logprobs):
                    chosen = i == sample.prediction_index
                    cells.append(Text(f"{'▶ ' if chosen else ''}{sample.logprobs[i]:.2f} "
                                      f"({probs[i]:.2f})", style="bold" if chosen else ""))
                else:
                    cells.append(Text("▶" if i == sample.prediction_index else ""))
            table.add_row(*cells)
        return table

    def _replies(self) -> Text:
        o = self.detail.outcome
        text = Text()
        for name, sample in (("A", o.a), ("B", o.b)):
            if sample.reply is None:
                continue
            text.append(f"{name} wrote" + (" (unparsed: no answer read)" if sample.unparsed
                                           else "") + ":\n", style="bold")
            text.append(sample.reply.strip() + "\n")
        return text

    def action_review(self) -> None:
        qid = self.detail.outcome.question_id
        if qid is None:
            self.notify("This sample is not linked to a stored question.", severity="warning")
            return
        self.dismiss(qid)

    def action_close(self) -> None:
        self.dismiss(None)
