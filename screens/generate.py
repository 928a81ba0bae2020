"""Generate screen: choose documents, model, questions per chunk; start the job; see it.

The model's availability is checked as soon as it is chosen and again on start, so an
unavailable backend is an error here, before any job exists."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button,
    Footer,
    Header,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
)

from screens.base import WorkbenchScreen
from screens.form_fields import int_field
from store.records import Project
from workbench.backends.registry import check_model
from workbench.errors import InvalidInput, WorkbenchError
from workbench.generation.launch import GenerationRequest, default_model, start_generation

HELP = """\
The **Generate** screen starts a background job that writes multiple-choice questions
from the project's chunks with the chosen model. Pick the documents (space toggles), the
model, the questions per chunk and optionally a chunk limit and seed, then press
**ctrl+s** (or the Start button). The job keeps running if you leave this screen or quit;
you are taken to the Jobs screen to follow it. Small models (like the bundled one) get
many outputs rejected: that is expected, rejections are kept with their reasons.
"""


class GenerateScreen(WorkbenchScreen):
    CSS_PATH = "generate.tcss"
    BINDINGS = [
        Binding("ctrl+s", "start", "Start"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project

    def compose(self) -> ComposeResult:
        store = self.store
        docs = store.list_documents(self.project.id)
        models = store.list_models()
        try:
            chosen: Any = default_model(store).name
        except WorkbenchError:
            chosen = Select.BLANK
        yield Header()
        yield Static(f"Generate questions for {self.project.name}", classes="title")
        with Horizontal():
            with Vertical(id="documents-pane"):
                yield Label("Documents (space toggles)")
                yield SelectionList[int](
                    *[(f"{d.title[:36]} ({d.chunk_count} chunks)", d.id, True) for d in docs],
                    id="documents",
                )
            with VerticalScroll(id="settings-pane"):
                yield Label("Model")
                yield Select([(f"{m.name} ({m.backend})", m.name) for m in models],
                             value=chosen, allow_blank=True, id="model")
                yield Static("", id="model-status")
                yield Label("Questions per chunk")
                yield Input("1", type="integer", id="per-chunk")
                yield Label("Limit chunks (empty: all)")
                yield Input("", type="integer", id="limit-chunks")
                yield Label("Seed")
                yield Input("0", type="integer", id="seed")
                yield Static("", id="plan", classes="muted")
                yield Button("Start", variant="primary", id="start")
        yield Footer()

    def on_mount(self) -> None:
        self.check_selected_model()
        self.update_plan()

    # -- live feedback ---------------------------------------------------------------------
    def check_selected_model(self) -> None:
        status = self.query_one("#model-status", Static)
        name = self.query_one("#model", Select).value
        if name is Select.BLANK:
            status.update("[b red]Choose a model.[/]")
            return
        try:
            check_model(self.store.model(str(name)), self.settings)
        except WorkbenchError as exc:
            status.update(f"[b red]{exc.title}[/]\n{exc.hint}")
            return
        status.update("[green]available[/]")

    def update_plan(self) -> None:
        docs = self.query_one("#documents", SelectionList)
        store = self.store
        chosen = list(docs.selected)
        chunks = len(store.project_chunks(self.project.id, chosen)) if chosen else 0
        try:
            limit = int_field(self, "limit-chunks", None)
            per = int_field(self, "per-chunk", 1)
        except InvalidInput:
            return
        if limit is not None:
            chunks = min(chunks, limit)
        self.query_one("#plan", Static).update(f"{chunks} chunks x {per} = {chunks * per} questions")

    def on_select_changed(self, event: Select.Changed) -> None:
        self.check_selected_model()

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[int]) -> None:
        self.update_plan()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.update_plan()

    # -- starting --------------------------------------------------------------------------
    def request(self) -> GenerationRequest:
        """The form as a request (InvalidInput for a bad field)."""
        model = self.query_one("#model", Select).value
        chosen = list(self.query_one("#documents", SelectionList).selected)
        if not chosen:
            raise InvalidInput("No document is selected.", "Select at least one with space.")
        return GenerationRequest(
            project=self.project.name,
            model=None if model is Select.BLANK else str(model),
            per_chunk=int_field(self, "per-chunk", 1) or 1,
            limit_chunks=int_field(self, "limit-chunks", None),
            seed=int_field(self, "seed", 0) or 0,
            document_ids=chosen,
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()

    def action_start(self) -> None:
        job = self.attempt(lambda: start_generation(self.store, self.settings, self.request()))
        if job is None:
            return
        self.jobs_started()
        self.notify(f"Generation job {job.id} started.")
        self.app.pop_screen()
        self.workbench.open_project_screen("jobs", self.project, job_id=job.id)
