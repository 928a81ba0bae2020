"""The Leaderboard screen: models x tasks with error bars, sorted, filtered, exported.

Thin: ``workbench.results.leaderboard`` computes everything; this screen loads it off the event
loop, shows it in a ScoreGrid (pre-formatted cells, only the visible ones drawn, so a
sort is a new row order and a filter a new row list) and turns keys into calls.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Header, Static
from textual_plotext import PlotextPlot

from screens.base import WorkbenchScreen
from screens.modals.cell_history import CellHistoryModal
from screens.modals.confirm import InputModal
from screens.widgets.score_grid import GridCell, GridColumn, ScoreGrid
from store.records import Project
from workbench.errors import WorkbenchError
from workbench.results import leaderboard as lb

HELP = """\
The **leaderboard** shows every model's latest finished run on every task: accuracy in
percent ± its standard error, clustered by the questions' source passage (questions from
one passage are not independent). The average column pools the tasks' errors. The detail
line names the clusters behind the error and warns when they are fewer than 20.

- **bold green**: best in the column; `=`: not significantly different from the column's
  leader (paired test on the shared questions: McNemar, or a z-test on the clustered error
  when clustering widens it; Holm-adjusted); `†`: run on an older
  snapshot than the project's latest; `!`: run with other settings than the leader's;
  `*`: average over fewer tasks than shown.
- `s` sorts by the column under the cursor (again to reverse); `/` filters: words match
  model names, `task:WORD` matches tasks.
- `h` shows the history of the selected cell over snapshots; `b` shows a bar chart of the
  selected task across models.
- `space` marks a model; `c` compares the two marked models (or the selected model with
  the leader).
- `m`, `v`, `j` export Markdown, CSV and JSON to the exports folder; `d` switches
  clustering between source passage and document; `r` reloads.
"""

CHART_MODELS = 20
MODEL_COLUMN_MAX = 40  # longer model names are cut (the detail line shows them whole)
MISSING = GridCell("–", "dim")  # no finished run of the model on the task


class LeaderboardScreen(WorkbenchScreen):
    CSS_PATH = "leaderboard.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "sort", "Sort"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("h", "history", "History"),
        Binding("b", "chart", "Chart"),
        Binding("space", "mark", "Pick"),
        Binding("c", "compare", "Compare"),
        Binding("m", "export('md')", "Export md"),
        Binding("v", "export('csv')", "Export CSV", show=False),
        Binding("j", "export('json')", "Export JSON", show=False),
        Binding("d", "toggle_clustering", "Clustering", show=False),
        Binding("r", "reload", "Reload", show=False),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project
        self.data: lb.LeaderboardData | None = None
        self.board: lb.Leaderboard | None = None
        self.filter_text = ""
        self.sort_by = lb.AVERAGE
        self.descending = True
        self.cluster_by = "passage"
        self.marked: list[str] = []
        self.columns: list[str] = []
        self._detail_height = -1

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static("Loading…", id="lb-info", classes="muted")
            yield ScoreGrid(id="lb-table", fixed_columns=1, zebra_stripes=True)
            yield Static("", id="lb-detail")
            yield PlotextPlot(id="lb-chart")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.project.name} · leaderboard"
        self.load()

    # -- data -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="leaderboard-load")
    def load(self) -> None:
        """Read the runs and compute every statistic (paired tests included) off the event
        loop; the screen then only fills the table."""
        try:
            data = lb.load_leaderboard_data(self.store, self.project,
                                            cluster_by=self.cluster_by)
            board = self._build(data)
        except WorkbenchError as exc:
            self.app.call_from_thread(self.show_error, exc)
            return
        self.app.call_from_thread(self._loaded, data, board)

    def _loaded(self, data: lb.LeaderboardData, board: lb.Leaderboard) -> None:
        self.data, self.board = data, board
        self.render_table()

    def _build(self, data: lb.LeaderboardData) -> lb.Leaderboard:
        models, tasks = lb.parse_filter(self.filter_text)
        if self.sort_by not in (lb.AVERAGE, lb.MODEL, *data.tasks):
            self.sort_by = lb.AVERAGE
        return lb.build_leaderboard(data, models, tasks, self.sort_by, self.descending)

    def rebuild(self) -> None:
        """After a filter change: statistics come from the data's caches."""
        if self.data is None:
            return
        self.board = self._build(self.data)
        self.render_table()

    def render_table(self) -> None:
        """Fill the grid from ``self.board`` (after loading or filtering)."""
        board = self.board
        assert board is not None
        self.columns = [lb.MODEL, lb.AVERAGE, *board.tasks]
        columns = [GridColumn(key, self._label(key), "left" if key == lb.MODEL else "right",
                              MODEL_COLUMN_MAX if key == lb.MODEL else None)
                   for key in self.columns]
        grid = self.query_one("#lb-table", ScoreGrid)
        grid.set_data(columns, [(row.model, self._row_cells(row)) for row in board.rows])
        # with layout: at 80 columns the line wraps, and its height follows the text
        self.query_one("#lb-info", Static).update(self.info_text())
        self.show_detail()
        self.draw_chart()

    def _label(self, key: str) -> str:
        board = self.board
        label = key.capitalize() if key in (lb.MODEL, lb.AVERAGE) else key
        if board is not None and key == board.sort_by:
            label += " ▼" if board.descending else " ▲"
        return label

    def _row_cells(self, row: lb.Row) -> list[GridCell]:
        mark = "◆ " if row.model in self.marked else ""
        lead = "bold" if row.leader else ""
        cells = [GridCell(mark + row.model, lead), GridCell(lb.average_text(row), lead)]
        get, text = row.cells.get, lb.cell_text  # once per cell on every refill: kept lean
        for t in self.board.tasks if self.board else []:
            c = get(t)
            if c is None:
                cells.append(MISSING)
            else:
                cells.append(GridCell(text(c), "bold green" if c.best else
                                      ("dim" if c.stale else "")))
        return cells

    def apply_order(self) -> None:
        """Show ``self.board``'s row order: a new index list, nothing re-measured."""
        board = self.board
        assert board is not None
        grid = self.query_one("#lb-table", ScoreGrid)
        model, _ = self.selected()
        grid.set_order([r.model for r in board.rows])
        grid.set_labels([self._label(key) for key in self.columns])
        if model is not None:
            grid.move_cursor(grid.row_keys.index(model), grid.cursor_coordinate.column)

    def info_text(self) -> str:
        board = self.board
        assert board is not None and self.data is not None
        if not self.data.cells:
            return ("No finished evaluations yet. Run some from the Evaluate screen "
                    "(key e on the dashboard).")
        clusters = board.clusters_text()
        parts = [f"{len(board.rows)} models × {len(board.tasks)} tasks",
                 f"errors clustered by {board.cluster_by}"
                 + (f", {clusters}" if clusters else "")]
        if board.latest_snapshot:
            parts.append(f"latest snapshot {board.latest_snapshot[:10]}")
        if self.filter_text:
            parts.append(f"filter '{self.filter_text}'")
        return " · ".join(parts)

    # -- selection --------------------------------------------------------------------------
    def selected(self) -> tuple[str | None, str | None]:
        """(model, column) under the cursor."""
        if self.board is None or not self.board.rows:
            return None, None
        grid = self.query_one("#lb-table", ScoreGrid)
        return grid.cursor_row_key, grid.cursor_column_key

    def on_score_grid_cell_highlighted(self, event: ScoreGrid.CellHighlighted) -> None:
        self.show_detail()
        self.draw_chart()

    def show_detail(self) -> None:
        detail = self.query_one("#lb-detail", Static)
        board = self.board
        model, column = self.selected()
        lines: list[str] = []
        if board is not None:
            lines = lb.detail_lines(board, model or "", column or "")
        text = Text("\n".join(lines))
        # A layout pass costs more than redrawing the grid: only when the height changes.
        width = detail.content_size.width
        height = len(text.wrap(self.app.console, width)) if width else -1
        detail.update(text, layout=height != self._detail_height or height < 0)
        self._detail_height = height

    # -- actions --------------------------------------------------------------------------------
    def action_sort(self) -> None:
        _model, column = self.selected()
        if column is None or self.board is None:
            return
        if column == self.sort_by:
            self.descending = not self.descending
        else:
            self.sort_by, self.descending = column, column != lb.MODEL
        self.board = lb.resort(self.board, self.sort_by, self.descending)
        self.apply_order()
        self.show_detail()

    def action_filter(self) -> None:
        def apply(text: str | None) -> None:
            if text is not None:
                self.filter_text = text.strip()
                self.rebuild()

        self.app.push_screen(InputModal("Filter: words match models, task:WORD matches tasks",
                                        self.filter_text, "e.g. llama task:exam"), apply)

    def action_history(self) -> None:
        model, column = self.selected()
        if self.data is None or model is None or column in (None, lb.MODEL, lb.AVERAGE):
            self.notify("Select a task cell to see its history.", severity="warning")
            return
        assert column is not None
        data = self.data
        points = self.attempt(lambda: lb.cell_history(self.store, data, model, column))
        if points is None:
            return
        self.app.push_screen(CellHistoryModal(model, column, points))

    def action_chart(self) -> None:
        chart = self.query_one("#lb-chart", PlotextPlot)
        chart.display = not chart.display
        self.draw_chart()

    def chart_task(self) -> str | None:
        _model, column = self.selected()
        board = self.board
        if board is None or not board.tasks:
            return None
        return column if column in board.tasks else (
            lb.AVERAGE if column == lb.AVERAGE else board.tasks[0])

    def chart_series(self) -> tuple[str, list[str], list[float]]:
        """Title, model names and percentages of the bar chart (top models of the column)."""
        board = self.board
        task = self.chart_task()
        if board is None or task is None:
            return "", [], []
        rows = [r for r in board.rows if r.value(task) is not None]
        rows.sort(key=lambda r: r.value(task) or 0.0, reverse=True)
        shown = rows[:CHART_MODELS]
        title = f"{task}: accuracy %" + (f" (top {CHART_MODELS} of {len(rows)})"
                                         if len(rows) > CHART_MODELS else "")
        return title, [r.model for r in shown], [100 * (r.value(task) or 0.0) for r in shown]

    def draw_chart(self) -> None:
        plot = self.query_one("#lb-chart", PlotextPlot)
        if not plot.display:
            return
        title, names, values = self.chart_series()
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        if names:
            plt.bar(list(reversed(names)), list(reversed(values)), orientation="horizontal",
                    width=0.4)
            plt.xlim(0, 100)
        plt.title(title)
        plot.refresh()

    def action_mark(self) -> None:
        model, _ = self.selected()
        if model is None:
            return
        before = set(self.marked)
        if model in self.marked:
            self.marked.remove(model)
        else:
            self.marked = (self.marked + [model])[-2:]
        board = self.board
        assert board is not None
        grid = self.query_one("#lb-table", ScoreGrid)
        for row in board.rows:
            if row.model in before ^ set(self.marked):
                grid.update_row(row.model, self._row_cells(row))

    def action_compare(self) -> None:
        board = self.board
        model, _ = self.selected()
        if board is None or model is None:
            return
        a: str | None
        if len(self.marked) == 2:
            a, b = self.marked
        else:
            leader = next((r.model for r in board.rows if r.leader), None)
            a = self.marked[0] if self.marked else leader
            b = model
            if a is None or a == b:
                self.notify("Mark two models with space, then press c.", severity="warning")
                return
        self.workbench.open_project_screen("compare", self.project, model_a=a, model_b=b)

    def action_export(self, fmt: str) -> None:
        board = self.board
        if board is None:
            return
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = self.attempt(lambda: lb.write_export(board, fmt, self.settings.exports_dir, stamp))
        if path is None:
            return
        self.last_export = path
        self.notify(f"Exported to {path}")

    def action_toggle_clustering(self) -> None:
        self.cluster_by = "document" if self.cluster_by == "passage" else "passage"
        self.load()

    def action_reload(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self.data is not None:
            self.load()
