"""The Jobs screen driven with real keys, over real job processes ('sleep' kind)."""

from __future__ import annotations

import os
import signal
from typing import Any

from textual.widgets import ProgressBar

from screens.app import WorkbenchApp
from screens.jobs import JobRow, JobsScreen
from store import Store
from store.records import Project
from workbench.jobs.launch import pid_alive, start_job
from workbench.jobs.supervise import wait_for_job
from workbench.settings import Settings


async def test_jobs_screen_lists_progress_cancels_and_resumes(
    settings: Settings, store: Store, project: Project, poll: Any, until: Any
) -> None:
    finished = start_job(store, settings, "sleep", {"steps": 2, "seconds": 0.01}, project.id)
    wait_for_job(store, settings, finished.id, poll_seconds=0.05)
    running = start_job(store, settings, "sleep", {"steps": 600, "seconds": 0.1}, project.id)
    poll(store, running.id, lambda j: j.progress_done >= 1)

    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_project_screen("jobs", project)
        await until(pilot, lambda: isinstance(app.screen, JobsScreen), "the Jobs screen opens")
        screen = app.screen
        assert isinstance(screen, JobsScreen)

        def titles() -> list[str]:
            return [str(r.query_one(".job-title").render()) for r in screen.query(JobRow)]

        await until(pilot, lambda: [t.rsplit(" ", 1)[-1] for t in titles()] == ["running", "done"],
                    "both jobs' rows drawn, the running one first")
        await until(pilot, lambda: "started" in str(screen.query_one("#log-tail").render()),
                    "the running job's log tail shows")
        rows = list(screen.query(JobRow))
        assert [r.job.id for r in rows] == [running.id, finished.id]
        done_bar = rows[1].query_one(ProgressBar)
        assert (done_bar.total, done_bar.progress) == (2, 2)
        live = rows[0].query_one(ProgressBar)
        assert live.total == 600 and live.progress >= 1

        await pilot.press("c")  # the newest (running) job is selected
        stopped = poll(store, running.id, lambda j: not j.active)
        assert stopped.state == "cancelled"
        # the watcher's JobsChanged redraws the row
        await until(pilot, lambda: "cancelled" in str(rows[0].query_one(".job-title").render()),
                    "the cancelled job's row says so")

        await pilot.press("r")
        resumed = poll(store, running.id, lambda j: j.state == "running" and j.attempts == 2)
        await pilot.press("C")  # kill it for good
        assert store.job(running.id).state == "cancelled"
        poll(store, running.id, lambda j: not pid_alive(resumed.pid))

        await pilot.press("down")
        await pilot.press("r")  # a done job cannot resume: one error modal
        await pilot.pause()
        assert "nothing to resume" in app.screen.error_title  # type: ignore[attr-defined]


async def test_jobs_survive_the_app_closing_and_a_hangup(
    settings: Settings, store: Store, project: Project, poll: Any
) -> None:
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        job = start_job(app.store, settings, "sleep", {"steps": 60, "seconds": 0.1}, project.id)
        app.open_project_screen("jobs", project)
        await pilot.pause()
    # The app is closed; the job goes on, even through a hangup of its terminal session.
    assert pid_alive(job.pid)
    os.killpg(job.pid or 0, signal.SIGHUP)
    done = wait_for_job(store, settings, job.id, poll_seconds=0.1)
    assert done.state == "done" and done.progress_done == 60
