"""The Compare screen: two models side by side per task, then question by question.

Thin: ``workbench.results.compare`` computes everything. Warnings about differing run settings
come first, above any verdict.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Select, Static

from screens.base import WorkbenchScreen
from screens.modals.question_compare import QuestionCompareModal
from store.records import Project
from workbench.errors import WorkbenchError
from workbench.results import compare as cmp
from workbench.results.leaderboard import pct, unparsed_text

HELP = """\
**Compare** two models on the questions both answered. The top table shows, per task, both
accuracies, the difference A−B with its 95% interval, the paired test with its p-value, and
the verdict (`n.s.`: no significant difference at 5%). The test is McNemar's (`mid-p` when
fewer than 25 questions differ, `chi²` otherwise) unless questions from one source passage
move together (design effect > 1); then it is a z-test on the clustered error (`cl-z`). The
interval is always the test's, so it holds 0 exactly when the verdict is `n.s.`. The line
below the table names the clusters; fewer than 20 get a warning. When the two
runs used different settings (chat template, few-shot, seed, dtype...) a warning comes
first: the difference then mixes the models with their settings.

The lower table lists the selected task's questions. `1` both right, `2` only A right,
`3` only B right, `4` neither, `0` all. `Enter` on a question shows both models' choices and
per-option log-probabilities; from there `r` opens the question in Review.

`s` swaps A and B; `d` switches clustering between source passage and document; `Tab`
moves between the tables. `f` shows which questions flipped between model A's two latest
runs of the selected task (regression tracking).
"""

FILTER_KEYS = {"0": None, "1": "both", "2": "only_a", "3": "only_b", "4": "neither"}


class CompareScreen(WorkbenchScreen):
    CSS_PATH = "compare.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        *[Binding(k, f"show('{k}')", cmp.CATEGORY_TITLES.get(v or "", "all"),
                  show=k in "0123") for k, v in FILTER_KEYS.items()],
        Binding("s", "swap", "Swap A/B"),
        Binding("d", "toggle_clustering", "Clustering", show=False),
        Binding("f", "flips", "Flips of A", show=False),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, project: Project, model_a: str | None = None,
                 model_b: str | None = None) -> None:
        super().__init__()
        self.project = project
        self.model_a, self.model_b = model_a, model_b
        self.result: cmp.Comparison | None = None
        self.category: str | None = None
        self.cluster_by = "passage"
        self.outcomes: list[cmp.QuestionOutcome] = []
        self.task_names: list[str] = []

    def compose(self) -> ComposeResult:
        models = self._models()
        a = self.model_a if self.model_a in models else Select.NULL
        b = self.model_b if self.model_b in models else Select.NULL
        yield Header()
        with Vertical():
            with Horizontal(id="cmp-pickers"):
                yield Select([(m, m) for m in models], prompt="Model A", id="cmp-a",
                             compact=True, value=a)
                yield Select([(m, m) for m in models], prompt="Model B", id="cmp-b",
                             compact=True, value=b)
            yield Static("", id="cmp-warnings")
            yield DataTable(id="cmp-tasks", cursor_type="row")
            yield Static("", id="cmp-summary")
            yield DataTable(id="cmp-questions", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def _models(self) -> list[str]:
        runs = self.store.eval_runs(self.project.id, state="done")
        return sorted({r.model_name for r in runs}, key=str.casefold)

    def on_mount(self) -> None:
        self.sub_title = f"{self.project.name} · compare"
        self.query_one("#cmp-tasks", DataTable).add_columns(
            "Task", "A", "B", "A−B", "95% CI", "Test", "p", "Verdict")
        self.query_one("#cmp-questions", DataTable).add_columns(
            "#", "Outcome", "A chose", "B chose", "Gold", "Question id")
        self.compute()

    # -- computing ------------------------------------------------------------------------
    def on_select_changed(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else str(event.value)
        if event.select.id == "cmp-a":
            self.model_a = value
        else:
            self.model_b = value
        self.compute()

    def compute(self) -> None:
        self.result = None
        if not self.model_a or not self.model_b:
            self._show_message("Pick two models to compare.")
            return
        if self.model_a == self.model_b:
            self._show_message("Pick two different models.")
            return
        self._show_message("Comparing…")
        self.run_comparison(self.model_a, self.model_b, self.cluster_by)

    @work(thread=True, exclusive=True, group="compare")
    def run_comparison(self, model_a: str, model_b: str, cluster_by: str) -> None:
        """Read both models' per-sample results and compute the paired statistics off the
        event loop; the screen then only fills the tables."""
        try:
            result = cmp.compare_models(self.store, self.project, model_a, model_b,
                                        cluster_by=cluster_by)
        except WorkbenchError as exc:
            message = f"{exc.title} {exc.hint}".strip()
            self.app.call_from_thread(self._failed, (model_a, model_b, cluster_by), message)
            return
        self.app.call_from_thread(self._computed, result)

    def _asked(self) -> tuple[str | None, str | None, str]:
        return (self.model_a, self.model_b, self.cluster_by)

    def _computed(self, result: cmp.Comparison) -> None:
        # A worker for an earlier choice of models may finish after a later one: drop it.
        if (result.model_a, result.model_b, result.cluster_by) != self._asked():
            return
        self.result = result
        self.render_result()

    def _failed(self, asked: tuple[str, str, str], message: str) -> None:
        if asked == self._asked():
            self._show_message(message)

    def _show_message(self, text: str) -> None:
        self.query_one("#cmp-warnings", Static).update(Text(text, style="italic"))
        self.query_one("#cmp-tasks", DataTable).clear()
        self.query_one("#cmp-questions", DataTable).clear()
        self.query_one("#cmp-summary", Static).update("")

    def render_result(self) -> None:
        result = self.result
        assert result is not None
        warnings = result.warning_lines()
        self.query_one("#cmp-warnings", Static).update(
            Text("\n".join(f"⚠ {w}" for w in warnings), style="bold yellow") if warnings
            else Text(f"A = {result.model_a}   B = {result.model_b}", style="bold"))
        table = self.query_one("#cmp-tasks", DataTable)
        table.clear()
        self.task_names = []
        for tc in result.tasks:
            p = tc.paired
            a, b = tc.a.accuracy, tc.b.accuracy
            cells: list[str | Text] = [
                tc.task, f"{pct(a.value)}±{pct(a.best_stderr)}{unparsed_text(tc.a.unparsed)}",
                f"{pct(b.value)}±{pct(b.best_stderr)}{unparsed_text(tc.b.unparsed)}"]
            if p is None:
                cells += ["", "", "", "", tc.verdict]
            else:
                lo, hi = p.interval
                style = "bold" if p.significant else ""
                verdict = {"no significant difference": "n.s."}.get(tc.verdict, tc.verdict)
                verdict += " ⚠" if tc.settings_differ else ""
                cells += [f"{pct(p.difference):>5}", f"[{pct(lo)}, {pct(hi)}]",
                          cmp.short_test_name(p.test.name),
                          f"{p.test.p_value:.3g}", Text(verdict, style=style)]
            table.add_row(*cells, key=tc.task)
            self.task_names.append(tc.task)
        self.render_questions()

    def selected_task(self) -> cmp.TaskComparison | None:
        if self.result is None or not self.task_names:
            return None
        row = self.query_one("#cmp-tasks", DataTable).cursor_row
        return self.result.task(self.task_names[min(max(row, 0), len(self.task_names) - 1)])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "cmp-tasks":
            self.render_questions()

    def render_questions(self) -> None:
        tc = self.selected_task()
        summary = self.query_one("#cmp-summary", Static)
        table = self.query_one("#cmp-questions", DataTable)
        table.clear()
        if tc is None or self.result is None:
            return
        p = tc.paired
        lines = []
        if p is not None:
            corr = "n/a" if p.correlation is None else f"{p.correlation:.2f}"
            lines.append(f"{tc.task}: both right {p.both} · only A {p.only_a} · only B "
                         f"{p.only_b} · neither {p.neither} · n={p.n} · correlation {corr} · "
                         f"{p.test.name} statistic {p.test.statistic:.3g}")
            if p.clusters is not None:
                # (too few clusters is one of the warnings shown above the table)
                lines.append(f"{p.clusters} source {self.result.cluster_by}s · design effect "
                             f"{p.design_effect:.2f}")
        if tc.a.unparsed is not None or tc.b.unparsed is not None:
            lines.append(f"Unparsed replies (no answer read; scored wrong): A "
                         f"{'-' if tc.a.unparsed is None else tc.a.unparsed} · B "
                         f"{'-' if tc.b.unparsed is None else tc.b.unparsed}")
        pw = tc.power
        if pw.detectable is not None:
            text = f"Detectable difference at 80% power: {pct(pw.detectable)} points"
            if pw.needed is not None:
                text += (f"; telling these two apart needs ~{pw.needed} questions"
                         + (f" ({pw.more} more)" if pw.more else " (enough)"))
            lines.append(text)
        shown = cmp.CATEGORY_TITLES.get(self.category or "", "all questions")
        lines.append(f"Showing: {shown} (keys 0-4)")
        summary.update(Text("\n".join(lines)))
        self.outcomes = cmp.question_outcomes(self.result, tc.task, self.category)
        for o in self.outcomes:
            table.add_row(str(o.a.sample_index), cmp.CATEGORY_TITLES[o.category],
                          _letter(o.a.prediction_index), _letter(o.b.prediction_index),
                          _letter(o.a.gold_index), str(o.question_id or ""))

    # -- actions -----------------------------------------------------------------------------
    def action_show(self, key: str) -> None:
        self.category = FILTER_KEYS[key]
        self.render_questions()

    def action_swap(self) -> None:
        self.model_a, self.model_b = self.model_b, self.model_a
        with self.prevent(Select.Changed):
            self.query_one("#cmp-a", Select).value = self.model_a or Select.NULL
            self.query_one("#cmp-b", Select).value = self.model_b or Select.NULL
        self.compute()

    def action_flips(self) -> None:
        from screens.run_flips import RunFlipsScreen

        if self.model_a:
            tc = self.selected_task()
            self.app.push_screen(RunFlipsScreen(self.project, self.model_a,
                                                tc.task if tc is not None else None))

    def action_toggle_clustering(self) -> None:
        self.cluster_by = "document" if self.cluster_by == "passage" else "passage"
        self.notify(f"Errors clustered by source {self.cluster_by}.")
        self.compute()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "cmp-questions" or self.result is None:
            return
        index = event.cursor_row
        if not 0 <= index < len(self.outcomes):
            return
        result, outcome = self.result, self.outcomes[index]
        detail = self.attempt(lambda: cmp.question_detail(self.store, result, outcome))
        if detail is None:
            return
        self.app.push_screen(QuestionCompareModal(detail, result.model_a, result.model_b),
                             self._after_detail)

    def _after_detail(self, question_id: int | None) -> None:
        if question_id is not None:
            self.workbench.open_project_screen(
                "review", self.project, question_id=question_id)


def _letter(index: int | None) -> str:
    return "–" if index is None else "ABCDEFGHIJ"[index] if index < 10 else str(index)
