"""Argilla screen: is the server reachable with our key, what is where (local, pushed,
annotated, waiting to be pulled), when the last syncs ran and how they ended; push and pull
start jobs whose progress shows here.

The server is asked with plain HTTP in a thread (``workbench.argilla_sync.probe``): this
process never imports the Argilla SDK."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Header, ProgressBar, Static

from screens.base import JobsChanged, WorkbenchScreen
from screens.widgets.job_progress import show_job_progress
from store.records import Project
from workbench.argilla_sync.launch import start_sync
from workbench.argilla_sync.overview import LocalView, RemoteView, local_view, remote_view

HELP = """\
The **Argilla** screen syncs this project with an Argilla server, where a team can annotate
in Argilla's web UI. **p** pushes new and changed questions (one dataset per project,
records keyed by question, so pushing twice creates nothing new). **l** pulls submitted and
discarded responses into reviews (drafts are ignored; the latest decision wins; questions
with disagreeing answers get the *disagreement* flag and wait in the Review screen's
adjudication queue, key **j**). A push asks for as many annotators per record as
`workbench argilla push --annotators N` last said (Argilla's task distribution); each pull
computes the agreement between annotators (Cohen's kappa for two, Krippendorff's alpha for
more, with a 95% bootstrap interval over records), shown here.
**r** asks the server again. The server comes from ARGILLA_API_URL, ARGILLA_API_KEY and
ARGILLA_WORKSPACE; for a local one run `scripts/argilla-dev start`.
"""


def _when(stamp: str | None) -> str:
    return stamp.replace("T", " ")[:19] + " UTC" if stamp else "never"


class ArgillaScreen(WorkbenchScreen):
    CSS_PATH = "argilla.tcss"
    BINDINGS = [
        Binding("p", "push", "Push"),
        Binding("l", "pull", "Pull"),
        Binding("r", "refresh_remote", "Refresh"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project
        self.local: LocalView | None = None
        self.remote: RemoteView | None = None
        self._was_running = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Argilla sync for {self.project.name}", classes="title")
        with Vertical(id="argilla-body"):
            yield Static("Checking the server...", id="connection", markup=False)
            yield Static("", id="counts", markup=False)
            yield Static("", id="last-sync", markup=False)
            yield Static("", id="last-error", markup=False)
            yield Static("", id="job-line", markup=False)
            yield ProgressBar(id="progress", show_eta=True)
            with Horizontal(id="actions"):
                yield Button("Push (p)", id="push", variant="primary")
                yield Button("Pull (l)", id="pull")
                yield Button("Refresh (r)", id="refresh")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_local()
        self.action_refresh_remote()

    def on_screen_resume(self) -> None:
        self.refresh_local()

    def on_jobs_changed(self, message: JobsChanged) -> None:
        self.refresh_local()

    # -- reading -----------------------------------------------------------------------
    def refresh_local(self) -> None:
        store = self.store
        self.local = local_view(store, self.project)
        running = self.local.running is not None
        if self._was_running and not running:
            self.action_refresh_remote()  # a sync just ended: the server side changed
        self._was_running = running
        self.render_view()

    def action_refresh_remote(self) -> None:
        if self.local is not None:
            self.check_server(self.local.dataset)

    @work(thread=True, exclusive=True, group="argilla-probe")
    def check_server(self, dataset: str) -> None:
        remote = remote_view(self.settings, dataset)
        self.app.call_from_thread(self._set_remote, remote)

    def _set_remote(self, remote: RemoteView) -> None:
        self.remote = remote
        self.render_view()

    def render_view(self) -> None:
        local, remote = self.local, self.remote
        if local is None:
            return
        connection = self.query_one("#connection", Static)
        if remote is None:
            connection.update("Checking the server...")
        elif remote.server is not None:
            s = remote.server
            connection.update(f"Connected to {s.url} as {s.username} ({s.role}),"
                              f" workspace {s.workspace}")
            connection.set_class(False, "error")
        elif remote.error is not None:
            connection.update(f"{remote.error.title}\n{remote.error.hint}")
            connection.set_class(True, "error")
        c = local.counts
        on_server = "?"
        pending = None
        if remote is not None and remote.server is not None:
            on_server = ("not created yet" if remote.dataset is None else
                         f"{remote.dataset.records} records, {remote.dataset.annotated} annotated")
            pending = remote.pending_pull(local)
        self.query_one("#counts", Static).update(
            f"Dataset     {local.dataset} ({on_server})\n"
            f"Local       {c.local} questions\n"
            f"Pushed      {c.pushed}   to push: {c.pending_push}\n"
            f"Annotated   {c.annotated} questions pulled ({c.responses} responses)"
            + (f"   to pull: {pending}" if pending is not None else "")
            + "".join(f"\n{label.capitalize():<11} {text}"
                      for label, text in local.agreement_lines())
        )
        self.query_one("#last-sync", Static).update(
            f"Last push   {_when(local.last_push_at)}\nLast pull   {_when(local.last_pull_at)}")
        failed = local.last_failed
        self.query_one("#last-error", Static).update(
            "" if failed is None else
            f"Last sync failed (job {failed.id}): {failed.error}\n{failed.hint or ''}".rstrip())
        job = local.running
        bar = self.query_one("#progress", ProgressBar)
        bar.display = job is not None
        show_job_progress(bar, job)
        if job is None:
            self.query_one("#job-line", Static).update("")
        else:
            kind = job.kind.removeprefix("argilla_")
            self.query_one("#job-line", Static).update(
                f"{kind.capitalize()} running (job {job.id}): {job.message}")
        for button_id in ("push", "pull"):
            self.query_one(f"#{button_id}", Button).disabled = job is not None

    # -- actions -----------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"push": self.action_push, "pull": self.action_pull,
                   "refresh": self.action_refresh_remote}
        if event.button.id in actions:
            actions[event.button.id]()

    def action_push(self) -> None:
        self._start("push")

    def action_pull(self) -> None:
        self._start("pull")

    def _start(self, direction: str) -> None:
        job = self.attempt(lambda: start_sync(self.store, self.settings, self.project, direction))
        if job is None:
            return
        self.jobs_started()
        self.notify(f"{direction.capitalize()} started (job {job.id}).")
        self.refresh_local()
