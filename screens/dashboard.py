"""A project's dashboard: its counts, running jobs, and one key per screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Static

from screens.base import JobsChanged, WorkbenchScreen
from screens.navigation import PROJECT_SCREENS
from store.records import Project
from workbench.jobs.supervise import format_progress

HELP = """\
The **dashboard** shows what a project holds and which jobs run for it. Each letter opens a
screen: documents, generate, review, argilla, evaluate, leaderboard, compare, jobs.
Counts refresh as jobs in the background make progress.
"""


class DashboardScreen(WorkbenchScreen):
    DEFAULT_CSS = """
    DashboardScreen #counts { height: auto; padding: 1 1; }
    DashboardScreen #jobs-title { padding: 0 1; margin-top: 1; }
    DashboardScreen #menu { height: auto; padding: 1 1; color: $text-muted; }
    """
    BINDINGS = [
        *[Binding(key, f"open('{name}')", title) for name, (_m, _c, key, title) in PROJECT_SCREENS.items()],
        Binding("escape,backspace", "app.pop_screen", "Back"),
    ]

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static(f"Project {self.project.name}", classes="title", id="dash-title")
            yield Static("", id="counts")
            yield Static("Running jobs", classes="title", id="jobs-title")
            yield DataTable(id="dash-jobs", cursor_type="row")
            with Horizontal(id="menu"):
                entries = [f"[b]{k}[/b] {t}" for _n, (_m, _c, k, t) in PROJECT_SCREENS.items()]
                half = (len(entries) + 1) // 2
                # Two rows: at 80 columns one row wrapped inside an entry ("c" / "Compare").
                yield Static("  ".join(entries[:half]) + "\n" + "  ".join(entries[half:]))
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.project.name
        self.query_one("#dash-jobs", DataTable).add_columns("Job", "Kind", "State", "Progress", "Message")
        self.refresh_counts()

    def on_screen_resume(self) -> None:
        self.refresh_counts()

    def on_jobs_changed(self, message: JobsChanged) -> None:
        self.refresh_counts()

    def refresh_counts(self) -> None:
        store = self.store
        s = store.project_stats(self.project.id)
        q = s.questions_by_status
        self.query_one("#counts", Static).update(
            f"Documents  {s.documents:>7,}    Chunks     {s.chunks:>7,}\n"
            f"Questions  {s.questions - q['rejected']:>7,}    pending {q['pending']:,} · "
            f"approved {q['approved']:,} · discarded {q['discarded']:,} · rejected {q['rejected']:,}\n"
            f"Snapshots  {s.snapshots:>7,}    Eval runs  {s.eval_runs:>7,}    "
            f"Running jobs {s.running_jobs}"
        )
        table = self.query_one("#dash-jobs", DataTable)
        table.clear()
        for job in store.active_jobs(self.project.id):
            table.add_row(str(job.id), job.kind, job.state, format_progress(job), job.message[:72])

    def action_open(self, name: str) -> None:
        self.workbench.open_project_screen(name, self.project)
