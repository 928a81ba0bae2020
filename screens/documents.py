"""Documents screen: list, import a path, view a document with its chunks, delete."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from screens.base import WorkbenchScreen
from screens.modals.confirm import ConfirmModal, InputModal
from store import Store
from store.records import Document, Project
from workbench.docs import ImportReport, import_paths

HELP = """\
The **Documents** screen lists the project's documents. **i** imports a file or a folder
(recursively; text: .txt .md .markdown .rst .text; converted to Markdown: .pdf .docx .pptx
.html .htm .xlsx). Skipped files are listed with the reason (empty, binary, undecodable, too
large, scanned PDF without a text layer, unreadable, already imported). **Enter** shows a
document with its chunks and the pages (PDF) or slides (PPTX) each chunk came from.
"""


class DocumentsScreen(WorkbenchScreen):
    BINDINGS = [
        Binding("i", "import_path", "Import"),
        Binding("enter", "view", "View"),
        Binding("x,delete", "delete", "Delete"),
        Binding("escape,backspace", "app.pop_screen", "Back"),
    ]

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Documents of {self.project.name}", classes="title")
        yield DataTable(id="documents", cursor_type="row", zebra_stripes=True)
        yield Static("", id="import-report", classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("ID", "Title", "Chunks", "Size", "Enc", "Lang")
        self.refresh_documents()

    def refresh_documents(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for d in self.store.list_documents(self.project.id):
            table.add_row(str(d.id), d.title[:40], d.chunk_count, f"{d.size_bytes:,}", d.encoding,
                          d.language, key=str(d.id))
        if not table.row_count:
            self.query_one("#import-report", Static).update("No documents: press i to import.")

    def _selected_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return int(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    def action_import_path(self) -> None:
        def start(path: str | None) -> None:
            if path:
                self.query_one("#import-report", Static).update(f"Importing {path} ...")
                self.run_import(path.strip())

        self.app.push_screen(InputModal("Import a file or folder:", placeholder="~/docs"), start)

    @work(thread=True, exclusive=True)
    def run_import(self, path: str) -> None:
        # A thread gets its own connection; the UI thread's stays free.
        with Store(self.store.path) as store:
            report = import_paths(store, self.project.id, [path], self.settings)
        self.app.call_from_thread(self.show_report, report)

    def show_report(self, report: ImportReport) -> None:
        lines = [f"{len(report.imported)} imported, {len(report.skipped)} skipped."]
        lines += [f"skipped {p}: {why}" for p, why in report.skipped[:8]]
        if len(report.skipped) > 8:
            lines.append(f"... and {len(report.skipped) - 8} more (see 'workbench docs import').")
        self.query_one("#import-report", Static).update("\n".join(lines))
        self.refresh_documents()
        self.notify(lines[0], severity="warning" if report.skipped else "information")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_view()

    def action_view(self) -> None:
        doc_id = self._selected_id()
        if doc_id is not None:
            self.app.push_screen(DocumentViewScreen(self.store.document(doc_id)))

    def action_delete(self) -> None:
        doc_id = self._selected_id()
        if doc_id is None:
            return
        doc = self.store.document(doc_id)

        def delete(ok: bool | None) -> None:
            if ok:
                self.store.delete_document(doc_id)
                self.refresh_documents()

        self.app.push_screen(ConfirmModal(
            f"Delete '{doc.title}' and its {doc.chunk_count} chunks? Its questions stay."), delete)


class DocumentViewScreen(WorkbenchScreen):
    """One document: its chunks on the left, the selected chunk's text on the right."""

    DEFAULT_CSS = """
    DocumentViewScreen #chunks { width: 34; }
    DocumentViewScreen #chunk-text { padding: 0 1; }
    """
    BINDINGS = [Binding("escape,backspace", "app.pop_screen", "Back")]

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.document.title}  ({self.document.path})", classes="title", markup=False)
        with Horizontal():
            yield DataTable(id="chunks", cursor_type="row")
            with VerticalScroll():
                yield Static("", id="chunk-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.chunks = self.store.document_chunks(self.document.id)
        table = self.query_one(DataTable)
        table.add_columns("#", "Offsets", "Pages")
        for c in self.chunks:
            table.add_row(str(c.ordinal), f"{c.start}-{c.end}", c.pages or "")
        if self.chunks:
            self.show_chunk(0)

    def show_chunk(self, index: int) -> None:
        self.query_one("#chunk-text", Static).update(self.chunks[index].text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.chunks):
            self.show_chunk(event.cursor_row)
