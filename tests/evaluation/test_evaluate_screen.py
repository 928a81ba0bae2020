"""The Evaluate screen driven with keys: build a snapshot, refuse an empty request, start a
real evaluation job and see its result land in the table."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Select, SelectionList

from screens.app import WorkbenchApp
from screens.evaluate import NO_SNAPSHOT, EvaluateScreen
from screens.modals.error_modal import ErrorModal
from store import Store
from store.records import Project
from workbench.settings import Settings


async def _open(app: WorkbenchApp, pilot, project: Project) -> EvaluateScreen:  # type: ignore[no-untyped-def]
    await pilot.pause()
    app.open_project_screen("evaluate", project)
    await pilot.pause()
    assert isinstance(app.screen, EvaluateScreen)
    return app.screen


async def test_build_a_snapshot_and_refuse_an_empty_request(
        settings: Settings, store: Store, exam_project: Project):
    app = WorkbenchApp(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, exam_project)
        assert screen.query_one("#snapshot", Select).value == NO_SNAPSHOT
        screen.query_one("#build-fewshot", Input).value = "2"
        await pilot.press("ctrl+b")
        await pilot.pause()
        snaps = store.snapshots(exam_project.id)
        assert len(snaps) == 1 and snaps[0].fewshot_count == 2
        assert screen.query_one("#snapshot", Select).value == snaps[0].id
        await pilot.press("ctrl+b")  # same content: no second snapshot
        await pilot.pause()
        assert len(store.snapshots(exam_project.id)) == 1

        screen.query_one("#snapshot", Select).value = NO_SNAPSHOT
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        assert "Nothing to evaluate" in app.screen.error_title
        await pilot.press("escape")
        screen.query_one("#snapshot", Select).value = snaps[0].id
        screen.query_one("#fewshot", Input).value = "5"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        assert "held-out" in app.screen.error_title
        assert store.list_jobs(exam_project.id) == []


@pytest.mark.slow
async def test_start_an_evaluation_and_watch_it_finish(
        settings: Settings, store: Store, exam_project: Project, exam_snapshot, bundled_dir,
        until):
    app = WorkbenchApp(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, exam_project)
        assert screen.query_one("#snapshot", Select).value == exam_snapshot.id
        assert list(screen.query_one("#models", SelectionList).selected) == ["smollm2-135m"]
        screen.query_one("#formulation", Select).value = "mcf"
        screen.query_one("#limit", Input).value = "6"
        screen.query_one("#chat", Select).value = "off"
        await pilot.press("ctrl+s")
        await pilot.pause()
        jobs = store.list_jobs(exam_project.id)
        assert len(jobs) == 1 and jobs[0].kind == "eval"
        await until(pilot, lambda: not store.job(jobs[0].id).active, "the evaluation job ends",
                    timeout=540)
        job = store.job(jobs[0].id)
        assert job.state == "done", (job.error, job.hint)
        table = screen.query_one("#results", DataTable)
        # the watcher's JobsChanged brings the finished run into the table
        await until(pilot, lambda: table.row_count == 1 and table.get_row_at(0)[3] == "done",
                    "the finished run in the results table")
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert len(rows) == 1
        run = store.eval_runs(exam_project.id)[0]
        assert rows[0][:4] == [str(run.id), "smollm2-135m", "project:mcf", "done"]
        assert rows[0][4].startswith(f"{run.scores['acc'].value:.3f}")
        assert run.settings["limit"] == 6 and run.settings["override_chat_template"] is False


async def test_generative_with_reasoning_is_chosen_with_keys_and_recorded(
        settings: Settings, store: Store, exam_project: Project, exam_snapshot, until):
    """The formulation list offers generative with reasoning; picked with the keyboard, the
    job asks for the reasoning task (its own task, 512 tokens), as ``eval run --reasoning``."""
    from screens.evaluate import REASONING_CHOICE
    from workbench.evaluation.plan import EvalRequest, project_tasks
    from workbench.jobs.launch import cancel_and_wait

    app = WorkbenchApp(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, exam_project)
        formulation = screen.query_one("#formulation", Select)
        formulation.focus()
        await pilot.press("enter")  # open the list
        for _ in range(4):  # both, mcf, cloze, generative, generative with reasoning
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert formulation.value == REASONING_CHOICE
        screen.query_one("#limit", Input).value = "1"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: store.list_jobs(exam_project.id) != [], "the job is created")
        [job] = store.list_jobs(exam_project.id)
        try:
            request = EvalRequest.from_params(job.params)
            assert request.options.formulations == ("generative",)
            assert request.options.reasoning is True
            assert [t.task for t in project_tasks(exam_snapshot.id, request.options)
                    ] == ["project:generative-reasoning"]
        finally:
            cancel_and_wait(store, settings, job.id, grace_seconds=30)
    # Plain generative stays without reasoning.
    app = WorkbenchApp(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, exam_project)
        screen.query_one("#formulation", Select).value = "generative"
        assert screen.options().reasoning is False
        assert screen.options().formulations == ("generative",)
