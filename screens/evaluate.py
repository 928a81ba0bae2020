"""Evaluate screen: pick a snapshot and/or built-in tasks and models, start the 'eval' job,
watch its progress and see the results as they land. Thin: the store and
``workbench.evaluation.plan`` do the work; nothing heavy is imported here."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    ProgressBar,
    Select,
    SelectionList,
    Static,
)

from screens.base import JobsChanged, WorkbenchScreen
from screens.form_fields import int_field
from screens.widgets.job_progress import show_job_progress
from store.records import Job, Model, Project
from workbench.backends.registry import backend_class, scorable_formulations
from workbench.errors import InvalidInput, WorkbenchError
from workbench.evaluation.plan import (
    RunOptions,
    check_request,
    formulations_from,
    start_evaluation,
)

HELP = """\
The **Evaluate** screen runs lighteval on the chosen models in a background job.
Pick the project snapshot (build one from the approved questions with **ctrl+b**), add
built-in lighteval tasks by name if you like (comma-separated, e.g. `mmlu:anatomy|0`),
tick the models (space; the line below them says which formulations each can run: a
server without prompt log-probabilities runs only generative), choose the formulation
(letters, cloze, both, or generative: the model writes its answer, directly or after
reasoning step by step within 512 tokens; the reasoning is kept and shown in Compare's
question view), few-shot count, limit
and whether to apply the chat template, then press **ctrl+s**. Progress and results show
on the right; an identical finished run is reused instead of recomputed.
"""

NO_SNAPSHOT = "none"
DEFAULT_FORMULATION = "both"
# The formulation choice that is generative with step-by-step reasoning (``--reasoning``).
REASONING_CHOICE = "generative-reasoning"
CHAT_CHOICES = [("as lighteval does (auto)", "auto"), ("on", "on"), ("off", "off")]


def _score(run: Any, metric: str) -> str:
    s = run.scores.get(metric)
    if s is None:
        return "-"
    return f"{s.value:.3f}" + (f" ± {s.stderr:.3f}" if s.stderr is not None else "")


class EvaluateScreen(WorkbenchScreen):
    CSS_PATH = "evaluate.tcss"
    BINDINGS = [
        Binding("ctrl+s", "start", "Start"),
        Binding("ctrl+b", "build_snapshot", "Build snapshot"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project
        self.job_id: int | None = None
        self._seen: tuple[Any, ...] | None = None

    def compose(self) -> ComposeResult:
        models = [m for m in self.store.list_models() if backend_class(m.backend).may_be_scored]
        yield Header()
        yield Static(f"Evaluate models on {self.project.name}", classes="title")
        with Horizontal():
            with VerticalScroll(id="setup-pane"):
                yield Label("Snapshot")
                yield Select(self._snapshot_options(), value=self._default_snapshot(),
                             allow_blank=False, id="snapshot")
                yield Label("Few-shot examples to hold out when building (ctrl+b)")
                yield Input("0", type="integer", id="build-fewshot")
                yield Label("Built-in lighteval tasks (comma-separated)")
                yield Input("", placeholder="e.g. mmlu:anatomy|0", id="builtin")
                yield Label("Models (space toggles)")
                yield SelectionList[str](
                    *[(f"{m.name} ({m.backend})", m.name, self._ticked_at_start(m))
                      for m in models],
                    id="models")
                yield Static("", id="model-formulations", classes="muted")
                yield Label("Formulation")
                yield Select([("letters (MCF) and cloze", "both"), ("letters (MCF)", "mcf"),
                              ("cloze", "cloze"),
                              ("generative (the model writes its answer)", "generative"),
                              ("generative, reasoning first (512 tokens)", REASONING_CHOICE)],
                             value=DEFAULT_FORMULATION, allow_blank=False,
                             id="formulation")
                with Horizontal(classes="row"):
                    with Vertical():
                        yield Label("Few-shot")
                        yield Input("0", type="integer", id="fewshot")
                    with Vertical():
                        yield Label("Limit")
                        yield Input("", type="integer", placeholder="all", id="limit")
                    with Vertical():
                        yield Label("Seed")
                        yield Input("0", type="integer", id="seed")
                yield Label("Chat template")
                yield Select(CHAT_CHOICES, value="auto", allow_blank=False, id="chat")
                yield Button("Start", variant="primary", id="start")
            with Vertical(id="results-pane"):
                yield Static("No evaluation running.", id="job-status")
                yield ProgressBar(total=None, show_eta=False, id="job-progress")
                yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def _ticked_at_start(self, model: Model) -> bool:
        """The built-in models that can run the default formulation start ticked (the
        bundled GGUF writes answers only: ticked, it would refuse letters and cloze).
        Built-in models are local: no server is asked."""
        if not model.builtin:
            return False
        found, _ = scorable_formulations(model, self.settings)
        return set(formulations_from(DEFAULT_FORMULATION)) <= set(found)

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        table.add_columns("run", "model", "task", "state", "acc", "acc_norm", "settings")
        latest = self._latest_eval_job()
        self.job_id = latest.id if latest else None
        self.refresh_view()
        self._probe_formulations()

    @work(thread=True, exclusive=True, group="formulations")
    def _probe_formulations(self) -> None:
        """Off the UI thread (a served model's server is asked once): which formulations
        each listed model can run, so that nobody starts a run it would refuse."""
        from store import Store

        store = Store(self.store.path)  # this thread's own connection
        try:
            models = [m for m in store.list_models() if backend_class(m.backend).may_be_scored]
        finally:
            store.close()
        lines = []
        for model in models:
            found, why = scorable_formulations(model, self.settings)
            lines.append(f"{model.name}: {', '.join(found) if found else 'none (' + why + ')'}")
        self.app.call_from_thread(self._show_formulations, lines)

    def _show_formulations(self, lines: list[str]) -> None:
        self.query_one("#model-formulations", Static).update(
            "Can run: " + "; ".join(lines) if lines else "")

    def on_screen_resume(self) -> None:
        self.refresh_view()

    def on_jobs_changed(self, message: JobsChanged) -> None:
        self.refresh_view()

    # -- reading the store -----------------------------------------------------------------
    def _snapshot_options(self) -> list[tuple[str, str]]:
        snaps = self.store.snapshots(self.project.id)
        options = [(f"{s.id} ({s.question_count}+{s.fewshot_count} shots)", s.id)
                   for s in snaps]
        return [*options, ("no snapshot (built-in tasks only)", NO_SNAPSHOT)]

    def _default_snapshot(self) -> str:
        snaps = self.store.snapshots(self.project.id)
        return snaps[0].id if snaps else NO_SNAPSHOT

    def _latest_eval_job(self) -> Job | None:
        jobs = [j for j in self.store.list_jobs(self.project.id, limit=50) if j.kind == "eval"]
        return jobs[0] if jobs else None

    def refresh_view(self) -> None:
        job = self.store.job(self.job_id) if self.job_id is not None else None
        runs = self.store.eval_runs(self.project.id)
        seen = (None if job is None else (job.state, job.progress_done, job.message),
                len(runs), tuple(r.progress for r in runs[-20:]))
        if seen == self._seen:
            return
        self._seen = seen
        self._show_job(job)
        table = self.query_one("#results", DataTable)
        table.clear()
        for r in reversed(runs):
            s = r.settings
            settings = (f"{s.get('fewshot', 0)}-shot "
                        f"{'chat' if s.get('override_chat_template') else 'plain'}"
                        f"{' reasoning' if s.get('reasoning') else ''}"
                        f"{' limit ' + str(s['limit']) if s.get('limit') else ''}")
            table.add_row(str(r.id), r.model_name, r.task, r.progress, _score(r, "acc"),
                          _score(r, "acc_norm"), settings, key=str(r.id))

    def _show_job(self, job: Job | None) -> None:
        status = self.query_one("#job-status", Static)
        bar = self.query_one("#job-progress", ProgressBar)
        bar.display = job is not None
        show_job_progress(bar, job)
        if job is None:
            status.update("No evaluation running.")
            return
        line = f"Job {job.id}: {job.state}"
        if job.message:
            line += f" - {job.message}"
        if job.error:
            line += f"\n[b red]{job.error}[/] {job.hint or ''}"
        status.update(line)

    # -- actions ---------------------------------------------------------------------------
    def action_build_snapshot(self) -> None:
        from workbench.snapshots import build_snapshot

        result = self.attempt(lambda: build_snapshot(
            self.store, self.project, int_field(self, "build-fewshot", 0) or 0))
        if result is None:
            return
        select = self.query_one("#snapshot", Select)
        select.set_options(self._snapshot_options())
        select.value = result.snapshot.id
        from workbench.results.stats import describe_power
        from workbench.snapshots import snapshot_hygiene

        verb = "Built" if result.created else "Same content as"
        hygiene = snapshot_hygiene(self.store, result.snapshot.id)
        more = (f" Details: workbench dataset hygiene --snapshot {result.snapshot.id}"
                if hygiene.warnings else "")
        self.notify(f"{verb} snapshot {result.snapshot.id} "
                    f"({result.snapshot.question_count} questions). "
                    f"{describe_power(result.snapshot.question_count)}\n"
                    f"{hygiene.summary()}{more}",
                    severity="warning" if hygiene.warnings else "information", timeout=12)

    def options(self) -> RunOptions:
        chat = self.query_one("#chat", Select).value
        formulation = str(self.query_one("#formulation", Select).value)
        reasoning = formulation == REASONING_CHOICE
        return RunOptions(
            formulations=formulations_from("generative" if reasoning else formulation),
            reasoning=reasoning,
            fewshot=int_field(self, "fewshot", 0) or 0, limit=int_field(self, "limit", None),
            seed=int_field(self, "seed", 0) or 0,
            chat_template=None if chat == "auto" else chat == "on",
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()

    def action_start(self) -> None:
        snapshot = str(self.query_one("#snapshot", Select).value)
        builtin = [t.strip() for t in self.query_one("#builtin", Input).value.split(",")
                   if t.strip()]
        models = list(self.query_one("#models", SelectionList).selected)
        try:
            if snapshot == NO_SNAPSHOT and not builtin:
                raise InvalidInput("Nothing to evaluate.",
                                   "Choose a snapshot (build one with ctrl+b) or add built-in tasks.")
            request = check_request(self.store, self.project, models,
                                    None if snapshot == NO_SNAPSHOT else snapshot, builtin,
                                    self.options())
        except WorkbenchError as exc:
            self.show_error(exc)
            return
        self.query_one("#job-status", Static).update("Checking the models...")
        self._start_job(request)

    @work(thread=True, exclusive=True, group="start")
    def _start_job(self, request: Any) -> None:
        """Off the UI thread: a served model's server is asked what it can be scored on."""
        from store import Store

        store = Store(self.store.path)  # this thread's own connection
        try:
            job = start_evaluation(store, self.settings, request)
        except WorkbenchError as exc:
            self.app.call_from_thread(self._start_failed, exc)
            return
        finally:
            store.close()
        self.app.call_from_thread(self._started, job)

    def _start_failed(self, exc: WorkbenchError) -> None:
        self.query_one("#job-status", Static).update("No evaluation running.")
        self.show_error(exc)

    def _started(self, job: Job) -> None:
        self.jobs_started()
        self.job_id = job.id
        self._seen = None
        self.refresh_view()
        self.notify(f"Evaluation job {job.id} started.")
