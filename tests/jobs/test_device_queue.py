"""The device queue with real job processes ('sleep' kind): jobs that run a model on this
machine wait for accelerator slots, in order; a killed holder gives its slots back; jobs
that need no device never wait. ``CUDA_VISIBLE_DEVICES=0,1`` stands in for a two-GPU box
(no CUDA is touched: the 'sleep' job only logs what it was given)."""

from __future__ import annotations

import json
import os
import signal
from typing import Any

import pytest

from screens.app import WorkbenchApp
from screens.jobs import JobRow, JobsScreen
from store import Store
from store.records import Project
from workbench.jobs.launch import pid_alive, start_job
from workbench.jobs.supervise import supervise_jobs, tail_log, wait_for_job
from workbench.settings import load_settings

pytestmark = pytest.mark.timeout(300)


def _log_devices(store: Store, job_id: int) -> str:
    return next((line for line in tail_log(store.job(job_id)) if "CUDA_VISIBLE" in line), "")


def test_jobs_take_free_gpus_in_order_and_a_killed_holder_frees_its_gpu(
        store: Store, project: Project, poll: Any, monkeypatch: pytest.MonkeyPatch,
        cli: Any) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    settings = load_settings()
    long = {"steps": 600, "seconds": 0.1}
    first = start_job(store, settings, "sleep", long, project.id, needs_devices=1)
    poll(store, first.id, lambda j: j.state == "running" and j.progress_done >= 1)
    second = start_job(store, settings, "sleep", long, project.id, needs_devices=1)
    poll(store, second.id, lambda j: j.state == "running" and j.progress_done >= 1)
    assert store.job(first.id).devices == ["0"] and store.job(second.id).devices == ["1"]
    assert "CUDA_VISIBLE_DEVICES=0" in _log_devices(store, first.id)
    assert "CUDA_VISIBLE_DEVICES=1" in _log_devices(store, second.id)

    both = start_job(store, settings, "sleep", {"steps": 2, "seconds": 0.05}, project.id,
                     needs_devices=2)
    third = start_job(store, settings, "sleep", {"steps": 2, "seconds": 0.05}, project.id,
                      needs_devices=1)
    waiting = poll(store, both.id, lambda j: "waits for" in j.message)
    assert waiting.state == "queued"
    assert waiting.message.startswith("queued next: waits for 2 GPUs")
    assert f"0 (job {first.id})" in waiting.message and f"1 (job {second.id})" in waiting.message
    behind = poll(store, third.id, lambda j: "waits for" in j.message)
    assert behind.message.startswith("queued 2nd in line: waits for 1 GPU")

    # A job that runs no model here (an import, a sync, a remote server) never waits.
    light = start_job(store, settings, "sleep", {"steps": 2, "seconds": 0.01}, project.id)
    assert wait_for_job(store, settings, light.id, poll_seconds=0.05).state == "done"
    assert store.job(both.id).state == "queued" and store.job(third.id).state == "queued"

    listed = cli("jobs", "list")
    assert "queued next: waits for 2 GPUs" in listed.stdout
    rows = {r["id"]: r for r in json.loads(cli("jobs", "list", "--json").stdout)}
    assert rows[third.id]["needs_devices"] == 1 and rows[first.id]["devices"] == ["0"]

    # kill -9 the first holder: the supervisor marks it interrupted and its GPU is free,
    # but the 2-GPU job is first in line: the 1-GPU job behind it does not jump the queue.
    os.kill(first.pid or 0, signal.SIGKILL)
    poll(store, first.id, lambda j: not pid_alive(j.pid))
    supervise_jobs(store, settings)
    assert store.job(first.id).state == "interrupted"
    poll(store, third.id, lambda j: j.state == "queued" and j.heartbeat_at is not None)
    assert store.job(both.id).state == "queued" and store.job(third.id).state == "queued"

    os.kill(second.pid or 0, signal.SIGKILL)
    done = wait_for_job(store, settings, both.id, poll_seconds=0.1)
    assert done.state == "done" and done.devices == ["0", "1"]
    assert "CUDA_VISIBLE_DEVICES=0,1" in _log_devices(store, both.id)
    assert wait_for_job(store, settings, third.id, poll_seconds=0.1).state == "done"


def test_a_job_needing_more_gpus_than_the_machine_has_is_refused_at_once(
        store: Store, project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.errors import InvalidInput
    from workbench.jobs.devices import needed_slots

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    with pytest.raises(InvalidInput, match="needs 4 GPUs; this machine has 1") as refused:
        needed_slots(load_settings(), 4)
    assert "tensor_parallel_size" in (refused.value.hint or "")
    monkeypatch.setenv("WORKBENCH_GPU_SLOTS", "0")  # the queue switched off
    assert needed_slots(load_settings(), 4) == 0


async def test_the_jobs_screen_and_dashboard_show_the_wait(
        store: Store, project: Project, poll: Any, until: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_GPU_SLOTS", "1")  # a CPU machine: one model at a time
    settings = load_settings()
    holder = start_job(store, settings, "sleep", {"steps": 600, "seconds": 0.1}, project.id,
                       needs_devices=1)
    poll(store, holder.id, lambda j: j.state == "running")
    waiter = start_job(store, settings, "sleep", {"steps": 1, "seconds": 0.01}, project.id,
                       needs_devices=1)
    poll(store, waiter.id, lambda j: "waits for" in j.message)
    expected = f"queued next: waits for 1 CPU slot; busy: slot0 (job {holder.id})"
    assert store.job(waiter.id).message == expected

    app = WorkbenchApp(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        from textual.widgets import DataTable

        from screens.dashboard import DashboardScreen

        app.push_screen(DashboardScreen(project))

        def dashboard_cells() -> list[str]:
            if not isinstance(app.screen, DashboardScreen):
                return []
            table = app.screen.query_one("#dash-jobs", DataTable)
            return [str(c) for i in range(table.row_count) for c in table.get_row_at(i)]

        await until(pilot, lambda: any(c.startswith("queued next: waits for 1 CPU slot; busy")
                                       for c in dashboard_cells()),
                    "the dashboard shows the waiting job's message")
        app.pop_screen()
        app.open_project_screen("jobs", project)
        await until(pilot, lambda: isinstance(app.screen, JobsScreen), "the Jobs screen opens")
        screen = app.screen
        assert isinstance(screen, JobsScreen)

        def waiter_message() -> str:
            rows = [r for r in screen.query(JobRow) if r.job.id == waiter.id]
            return str(rows[0].query_one(".job-message").render()) if rows else ""

        await until(pilot, lambda: expected in waiter_message(),
                    "the Jobs screen shows the waiting job's message")
        assert [r.job.id for r in screen.query(JobRow)][:2] == [waiter.id, holder.id]
        await pilot.press("home", "down", "c")  # cancel the holder: the waiter goes next
    assert wait_for_job(store, settings, waiter.id, poll_seconds=0.1).state == "done"
    assert store.job(holder.id).state == "cancelled"
