"""The Generate screen: unavailable models are refused before a job exists; a started
job shows on the Jobs screen and outlives the app."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.widgets import Input, Select

from screens.app import WorkbenchApp
from screens.generate import GenerateScreen
from screens.jobs import JobRow, JobsScreen
from screens.modals.error_modal import ErrorModal
from store import Store
from store.base import utc_now
from store.records import Project
from workbench.jobs.launch import cancel_and_wait, pid_alive
from workbench.settings import Settings


async def test_unavailable_backend_is_shown_and_refused(
    settings: Settings, store: Store, corpus_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add_model("big-gpu", "vllm", "/models/big")
    # vLLM absent here whatever this machine has (WORKBENCH_VLLM is the switch, in the
    # settings and in the environment). With vLLM present, generation through it is tested
    # in tests/evaluation/test_managed_vllm.py.
    monkeypatch.delenv("WORKBENCH_VLLM", raising=False)
    app = WorkbenchApp(replace(settings, vllm_command=None))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_project_screen("generate", corpus_project)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GenerateScreen)
        assert "available" in str(screen.query_one("#model-status").render())
        screen.query_one("#model", Select).value = "big-gpu"
        await pilot.pause()
        assert "vLLM is not installed" in str(screen.query_one("#model-status").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        assert "vLLM is not installed" in app.screen.error_title
        assert "scripts/vllm-setup" in app.screen.hint and "WORKBENCH_VLLM" in app.screen.hint
    assert store.list_jobs() == []


@pytest.mark.slow
async def test_start_from_the_screen_then_quit_leaves_the_job_running(
    settings: Settings, store: Store, corpus_project: Project, poll: Any, until: Any
) -> None:
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_project_screen("generate", corpus_project)
        await pilot.pause()
        screen = app.screen
        screen.query_one("#limit-chunks", Input).value = "2"
        await pilot.pause()
        assert "2 chunks x 1 = 2 questions" in str(screen.query_one("#plan").render())
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen)
                    and list(app.screen.query(JobRow)), "the started job on the Jobs screen")
        assert isinstance(app.screen, JobsScreen)
        (job,) = store.list_jobs()
        assert [r.job.id for r in app.screen.query(JobRow)] == [job.id]
        assert job.params["model"]["name"] == "smollm2-135m-gguf"
    # The app is gone; the job is not: it claims its work and keeps its heartbeat going.
    after_exit = utc_now()
    running = poll(store, job.id, lambda j: j.state == "running" and j.heartbeat_at > after_exit)
    assert pid_alive(running.pid)
    stopped = cancel_and_wait(store, settings, job.id, grace_seconds=120)
    assert stopped.state == "cancelled"
