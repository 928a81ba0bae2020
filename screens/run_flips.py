"""Regression tracking: the questions whose outcome changed between two runs of one model.

Thin: ``workbench.results.items.run_flips`` computes everything. Opened from Compare (`f`,
model A on the selected task).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Select, Static

from screens.base import WorkbenchScreen
from store.records import EvalRun, Project
from workbench.errors import NotFound, WorkbenchError
from workbench.results import items as it
from workbench.results.leaderboard import pct

HELP = """\
**Flips** between two runs of one model: the questions it got right in the earlier run
and wrong in the later one (`broke`), and the other way (`fixed`), with the change in
accuracy and its paired test. Pick the runs at the top; `Enter` on a question opens it in
Review. A warning says when the runs' settings differ (then the flips mix the model with
its settings).
"""
LETTERS = "ABCDEFGHIJ"


def _run_label(run: EvalRun) -> str:
    return f"run {run.id} · {run.task} · {run.created_at[:16].replace('T', ' ')}"


class RunFlipsScreen(WorkbenchScreen):
    CSS_PATH = "run_flips.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, project: Project, model: str, task: str | None = None) -> None:
        super().__init__()
        self.project, self.model, self.task_name = project, model, task
        self.runs: list[EvalRun] = []
        self.result: it.RunFlips | None = None

    def compose(self) -> ComposeResult:
        self.runs = it.runs_of_model(self.store, self.project, self.model, self.task_name)
        options = [(_run_label(r), r.id) for r in self.runs]
        after = self.runs[0].id if self.runs else Select.NULL
        before = self.runs[1].id if len(self.runs) > 1 else Select.NULL
        yield Header()
        with Vertical():
            with Horizontal(id="flips-pickers"):
                yield Select(options, prompt="Earlier run", id="flips-before", compact=True,
                             value=before)
                yield Select(options, prompt="Later run", id="flips-after", compact=True,
                             value=after)
            yield Static("", id="flips-summary")
            yield DataTable(id="flips-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.project.name} · flips of {self.model}"
        self.query_one("#flips-table", DataTable).add_columns(
            "Change", "#", "Before", "After", "Key", "Question")
        self.compute()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.compute()

    def _picked(self, widget_id: str) -> int | None:
        value = self.query_one(widget_id, Select).value
        return None if value is Select.NULL else int(str(value))

    def compute(self) -> None:
        self.result = None
        table = self.query_one("#flips-table", DataTable)
        table.clear()
        before, after = self._picked("#flips-before"), self._picked("#flips-after")
        summary = self.query_one("#flips-summary", Static)
        if before is None or after is None:
            summary.update(Text(f"{self.model} needs two finished runs"
                                + (f" of {self.task_name}" if self.task_name else "")
                                + " to show flips.", style="italic"))
            return
        try:
            self.result = it.run_flips(self.store, before, after)
        except WorkbenchError as exc:
            summary.update(Text(f"{exc.title} {exc.hint}".strip(), style="italic"))
            return
        f = self.result
        lines = [f"{f.shared} shared questions: {len(f.broke)} broke, {len(f.fixed)} fixed"]
        if f.paired is not None:
            p = f.paired
            lines[0] += (f"; later − earlier {pct(p.difference)} points, "
                         f"{p.test.name} p = {p.test.p_value:.3g}")
        text = Text("\n".join(lines))
        for w in f.warnings:
            text.append(f"\n⚠ {w}", style="bold yellow")
        summary.update(text)
        for x in f.flips:
            table.add_row(x.direction, str(x.position), _letter(x.before.prediction_index),
                          _letter(x.after.prediction_index), _letter(x.before.gold_index),
                          self._question_text(x.question_id))

    def _question_text(self, question_id: int | None) -> str:
        if question_id is None:
            return ""
        try:
            text = self.store.question(question_id).question
        except NotFound:
            return f"(question {question_id} is gone)"
        return text if len(text) <= 70 else text[:69] + "…"

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if self.result is None or not 0 <= event.cursor_row < len(self.result.flips):
            return
        qid = self.result.flips[event.cursor_row].question_id
        if qid is not None:
            self.workbench.open_project_screen("review", self.project, question_id=qid)


def _letter(index: int | None) -> str:
    return "–" if index is None else LETTERS[index] if index < len(LETTERS) else str(index)
