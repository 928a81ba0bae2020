"""A leaderboard cell's history: every finished run of a model on a task, by snapshot."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from workbench.results.leaderboard import HistoryPoint, pct, settings_summary


class CellHistoryModal(ModalScreen[None]):
    DEFAULT_CSS = """
    CellHistoryModal { align: center middle; }
    CellHistoryModal > Vertical { width: 95%; height: 80%; border: thick $accent;
        background: $panel; padding: 0 1; }
    CellHistoryModal DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,h,q", "app.pop_screen", "Close")]

    def __init__(self, model: str, task: str, points: list[HistoryPoint]) -> None:
        super().__init__()
        self.cell_model, self.cell_task, self.points = model, task, points

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"{self.cell_model} on {self.cell_task}: {len(self.points)} runs, oldest first",
                        classes="title")
            yield DataTable(id="history-table", cursor_type="row")
            yield Label("†: run on an older snapshot than the latest. Escape closes.",
                        classes="muted")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Run", "Snapshot", "Snapshot built", "Run at", "Accuracy", "95% CI",
                          "Settings")
        for p in self.points:
            lo, hi = p.accuracy.interval
            snap = (p.run.snapshot_id or "built-in")[:10] + (" †" if p.stale else "")
            table.add_row(
                str(p.run.id), snap, (p.snapshot_created_at or "")[:16],
                p.run.created_at[:16],
                Text(f"{pct(p.accuracy.value)}±{pct(p.accuracy.best_stderr)}", justify="right"),
                f"[{pct(lo)}, {pct(hi)}]", settings_summary(p.run.settings),
            )
