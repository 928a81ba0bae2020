"""Jobs screen: the project's background jobs with live progress, the selected job's log
tail, cancel and resume. It re-reads the store when the app's job watcher says the jobs
changed, and signals processes; it never waits on a job."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Label, ListItem, ListView, ProgressBar, Static

from screens.base import JobsChanged, WorkbenchScreen
from screens.widgets.job_progress import show_job_progress
from store.records import Job, Project
from workbench.errors import WorkbenchError
from workbench.evaluation.status import job_run_status
from workbench.jobs.launch import cancel_job, resume_job
from workbench.jobs.supervise import format_duration, tail_log

HELP = """\
The **Jobs** screen lists the project's background jobs (generation, evaluation, sync),
newest first, refreshed as they make progress. Jobs run in their own processes: quitting the app
leaves them running. **c** asks the selected job to stop (committed items are kept; press
**C** to kill it at once), **r** resumes a stopped job from its last committed item.
A job whose process died is shown as *interrupted*.
"""

STATE_STYLE = {"running": "bold green", "queued": "yellow", "done": "green", "failed": "bold red",
               "cancelled": "magenta", "interrupted": "bold yellow"}


class JobRow(ListItem):
    """One job: id, kind, state, progress bar, message."""

    def __init__(self, job: Job) -> None:
        super().__init__(id=f"job-{job.id}")
        self.job = job
        self._composed = False

    def compose(self) -> ComposeResult:
        with Horizontal(classes="job-line"):
            yield Label("", classes="job-title")
            yield ProgressBar(total=None, show_eta=False, classes="job-bar")
        yield Label("", classes="job-message muted")

    def on_mount(self) -> None:
        self._composed = True
        self.show(self.job)

    def show(self, job: Job) -> None:
        """Render ``job`` (called on every refresh; before the row is mounted it only keeps
        the job, which ``on_mount`` then renders)."""
        self.job = job
        if not self._composed:
            return
        style = STATE_STYLE.get(job.state, "")
        self.query_one(".job-title", Label).update(
            f"#{job.id} {job.kind} [{style}]{job.state}[/]")
        show_job_progress(self.query_one(ProgressBar), job)
        extra = []
        if job.rate and job.active:
            extra.append(f"{job.rate:.2f}/s")
            if job.eta_seconds is not None:
                extra.append(f"ETA {format_duration(job.eta_seconds)}")
        if job.error:
            extra.append(job.error)
        text = "  ".join([f"{job.progress_done}/{job.progress_total}", job.message, *extra])
        self.query_one(".job-message", Label).update(text)


class JobsScreen(WorkbenchScreen):
    CSS_PATH = "jobs.tcss"
    BINDINGS = [
        Binding("c", "cancel", "Cancel"),
        Binding("C", "kill", "Kill", show=False),
        Binding("r", "resume", "Resume"),
        Binding("escape,backspace", "app.pop_screen", "Back"),
    ]

    def __init__(self, project: Project, job_id: int | None = None) -> None:
        super().__init__()
        self.project = project
        self.focus_job_id = job_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Jobs of {self.project.name}", classes="title")
        with Vertical():
            yield ListView(id="jobs")
            yield Static("No jobs yet: start one from Generate (g) or Evaluate (e).",
                         id="no-jobs", classes="muted")
            yield Static("", id="job-detail")
            yield Static("", id="log-tail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_jobs()

    def on_screen_resume(self) -> None:
        self.refresh_jobs()

    def on_jobs_changed(self, message: JobsChanged) -> None:
        self.refresh_jobs()

    # -- reading ---------------------------------------------------------------------------
    def refresh_jobs(self) -> None:
        """Re-read the project's jobs; update rows in place so the selection stays."""
        store = self.store
        jobs = store.list_jobs(self.project.id)
        view = self.query_one("#jobs", ListView)
        rows = {row.job.id: row for row in view.query(JobRow)}
        new = [j for j in jobs if j.id not in rows]
        for job in jobs:
            if job.id in rows:
                rows[job.id].show(job)
        for job in reversed(new):  # newest first
            view.insert(0, [JobRow(job)])
        self.query_one("#no-jobs").display = not jobs
        if new and self.focus_job_id is not None:
            for index, job in enumerate(jobs):
                if job.id == self.focus_job_id:
                    view.index = index
                    self.focus_job_id = None
        elif view.index is None and jobs:
            view.index = 0
        self.show_selected()

    def selected_job(self) -> Job | None:
        view = self.query_one("#jobs", ListView)
        item = view.highlighted_child
        return item.job if isinstance(item, JobRow) else None

    def show_selected(self) -> None:
        job = self.selected_job()
        detail = self.query_one("#job-detail", Static)
        log = self.query_one("#log-tail", Static)
        if job is None:
            detail.update("")
            log.update("")
            return
        lines = [f"[b]#{job.id} {job.kind}[/b]  attempts {job.attempts}  created {job.created_at[:19]}"]
        lines += [f"  {status.line()}" for status in job_run_status(self.store, job)]
        if job.result and job.kind != "eval":  # an eval job's runs are listed above
            lines.append("result: " + ", ".join(f"{k} {v}" for k, v in job.result.items()))
        if job.hint:
            lines.append(f"[i]{job.hint}[/i]")
        detail.update("\n".join(lines))
        log.update("\n".join(tail_log(job, 8)) or "(no log yet)")

    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        self.show_selected()

    # -- actions ---------------------------------------------------------------------------
    def _act(self, what: str, force: bool = False) -> None:
        job = self.selected_job()
        if job is None:
            return
        store, settings = self.store, self.settings
        try:
            if what == "resume":
                resume_job(store, settings, job.id)
                self.notify(f"Job {job.id} resumed.")
            else:
                cancel_job(store, settings, job.id, force=force)
                self.notify(f"Job {job.id}: {'killed' if force else 'asked to stop'}.")
        except WorkbenchError as exc:
            self.show_error(exc)
        self.jobs_started()
        self.refresh_jobs()

    def action_cancel(self) -> None:
        self._act("cancel")

    def action_kill(self) -> None:
        self._act("cancel", force=True)

    def action_resume(self) -> None:
        self._act("resume")
