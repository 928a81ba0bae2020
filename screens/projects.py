"""Projects screen: list, create, rename, delete (with confirmation), open."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from screens.base import WorkbenchScreen
from screens.modals.confirm import ConfirmModal, InputModal
from store.records import Project

HELP = """\
The **Projects** screen lists every project in the store. A project holds documents,
questions, reviews, dataset snapshots, models' runs and scores.

Arrow keys move; **Enter** opens the project's dashboard.
"""


class ProjectsScreen(WorkbenchScreen):
    BINDINGS = [
        Binding("enter", "open", "Open"),
        Binding("n", "new", "New"),
        Binding("r", "rename", "Rename"),
        Binding("delete,x", "delete", "Delete"),
        Binding("q", "app.quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Projects", classes="title")
        yield DataTable(id="projects", cursor_type="row", zebra_stripes=True)
        yield Static("", id="projects-empty", classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Name", "Docs", "Questions", "Pending", "Approved", "Runs", "Jobs")
        self.refresh_projects()

    def on_screen_resume(self) -> None:
        self.refresh_projects()

    def refresh_projects(self, select: str | None = None) -> None:
        store = self.store
        table = self.query_one(DataTable)
        current = select or self._selected_name()
        table.clear()
        for p in store.list_projects():
            s = store.project_stats(p.id)
            q = s.questions_by_status
            table.add_row(p.name, s.documents, s.questions - q["rejected"], q["pending"],
                          q["approved"], s.eval_runs, s.running_jobs or "", key=p.name)
        empty = self.query_one("#projects-empty", Static)
        empty.update("" if table.row_count else "No projects yet: press n to create one.")
        if current and current in {str(k.value) for k in table.rows}:
            table.move_cursor(row=table.get_row_index(current))

    def _selected_name(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value)

    def _selected(self) -> Project | None:
        name = self._selected_name()
        return None if name is None else self.store.project(name)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        project = self._selected()
        if project is not None:
            from screens.dashboard import DashboardScreen

            self.app.push_screen(DashboardScreen(project))

    def action_new(self) -> None:
        def create(name: str | None) -> None:
            if not name:
                return
            project = self.attempt(lambda: self.store.create_project(name))
            if project is None:
                return
            self.refresh_projects(select=project.name)
            self.notify(f"Created project '{project.name}'.")

        self.app.push_screen(InputModal("New project name:", placeholder="e.g. finance-exam"), create)

    def action_rename(self) -> None:
        project = self._selected()
        if project is None:
            return

        def rename(new_name: str | None) -> None:
            if not new_name or new_name == project.name:
                return
            renamed = self.attempt(lambda: self.store.rename_project(project.name, new_name))
            if renamed is None:
                return
            self.refresh_projects(select=renamed.name)

        self.app.push_screen(InputModal(f"Rename '{project.name}' to:", value=project.name), rename)

    def action_delete(self) -> None:
        project = self._selected()
        if project is None:
            return
        stats = self.store.project_stats(project.id)

        def delete(confirmed: bool | None) -> None:
            if confirmed:
                self.store.delete_project(project.name)
                self.refresh_projects()
                self.notify(f"Deleted project '{project.name}'.")

        self.app.push_screen(ConfirmModal(
            f"Delete project '{project.name}' with {stats.documents} documents, "
            f"{stats.questions} questions and {stats.eval_runs} runs? This cannot be undone."
        ), delete)
