"""The whole path as a user walks it, with keys: create a project, import the demo documents,
generate with the bundled model, review, build a snapshot, evaluate two models, open the
leaderboard and the comparison. What the screens show must equal what the store holds."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from screens.app import WorkbenchApp
from screens.compare import CompareScreen
from screens.dashboard import DashboardScreen
from screens.leaderboard import LeaderboardScreen
from screens.review import ReviewScreen
from store import QuestionFilter, Store
from workbench.demo import add_demo_questions, corpus_dir

# two real jobs (generation, then an evaluation of two models), each bounded by _wait_job
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]
RANDOM_MODEL = "random-2layer"


async def _type(pilot, text: str) -> None:
    for ch in text:
        await pilot.press({" ": "space", "/": "slash", ".": "full_stop", "-": "minus",
                           "_": "underscore"}.get(ch, ch))


async def _back_to_dashboard(pilot, app: WorkbenchApp, presses: int = 5) -> None:
    """Escape until the dashboard shows; fail (not loop forever) after a few presses."""
    for _ in range(presses):
        if isinstance(app.screen, DashboardScreen):
            return
        await pilot.press("escape")
    assert isinstance(app.screen, DashboardScreen), f"still on {app.screen!r}"


async def _wait_job(pilot, store: Store, kind: str, limit: float = 600):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        jobs = [j for j in store.list_jobs() if j.kind == kind]
        if jobs and jobs[0].state not in ("queued", "running"):
            return jobs[0]
        await pilot.pause(1.0)
    pytest.fail(f"the {kind} job did not finish in {limit} s: {store.list_jobs()[:1]}")


def _first_number(text: str) -> float:
    match = re.search(r"-?\d+(\.\d+)?", text)
    assert match, text
    return float(match.group())


def _accuracy_from_samples(store: Store, run_id: int) -> float:
    samples = store.sample_results(run_id)
    return sum(s.correct for s in samples) / len(samples)


async def test_whole_path_through_the_tui(settings, store, random_model_dir: Path):
    store.add_model(RANDOM_MODEL, "transformers", str(random_model_dir))
    app = WorkbenchApp(settings)
    async with app.run_test(size=(100, 32)) as pilot:
        # 1. a project, by keys
        await pilot.press("n")
        await _type(pilot, "e2e")
        await pilot.press("enter")
        project = store.project("e2e")
        await pilot.press("enter")
        assert isinstance(app.screen, DashboardScreen)

        # 2. the demo documents, imported from the Documents screen
        await pilot.press("d")
        await pilot.press("i")
        await _type(pilot, str(corpus_dir()))
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert store.project_stats(project.id).documents == 3
        await pilot.press("escape")

        # 3. generation with the bundled model (a real job process), one chunk
        await pilot.press("g")
        app.screen.query_one("#limit-chunks").value = "1"
        await pilot.press("ctrl+s")
        job = await _wait_job(pilot, store, "generate")
        assert job.state == "done", (job.error, job.hint)
        everything = store.list_questions(project.id, QuestionFilter(include_rejected=True))
        assert everything, "the generation job stored nothing"
        assert all(q.model_name and q.prompt_version and q.job_id == job.id for q in everything)
        assert all(q.rejection_reason for q in everything if q.status == "rejected")
        await _back_to_dashboard(pilot, app)

        # 4. review: the tiny model rarely writes a usable question, so the hand-written
        #    demo set for it (source 'demo') joins the generated ones, all pending
        add_demo_questions(store, project, approve_as_shipped=False)
        pending_before = store.question_status_counts(project.id).get("pending", 0)
        await pilot.press("r")
        assert isinstance(app.screen, ReviewScreen)
        for _ in range(10):
            await pilot.press("enter")  # accept
        await pilot.press("2")  # set the answer to B and accept
        await pilot.press("x")
        await pilot.press("1")  # discard with the first reason
        await pilot.pause()
        counts = store.question_status_counts(project.id)
        assert counts.get("approved", 0) == 11 and counts.get("discarded", 0) == 1
        assert counts.get("pending", 0) == pending_before - 12
        await pilot.press("escape")

        # 5. a snapshot and an evaluation of two models
        await pilot.press("e")
        await pilot.press("ctrl+b")
        await pilot.pause()
        [snapshot] = store.snapshots(project.id)
        assert snapshot.question_count == 11
        models = app.screen.query_one("#models")
        models.focus()
        for index, option in enumerate(models._options):
            if option.value == RANDOM_MODEL:
                models.highlighted = index
        await pilot.press("space")
        assert set(models.selected) == {"smollm2-135m", RANDOM_MODEL}
        await pilot.press("ctrl+s")
        job = await _wait_job(pilot, store, "eval")
        assert job.state == "done", (job.error, job.hint)
        runs = store.eval_runs(project.id, state="done")
        assert {r.model_name for r in runs} == {"smollm2-135m", RANDOM_MODEL}
        await pilot.press("escape")

        # 6. the leaderboard shows the store's numbers
        await pilot.press("l")
        assert isinstance(app.screen, LeaderboardScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        grid = app.screen.query_one("#lb-table")
        columns = app.screen.columns
        shown = {}
        for row, model in enumerate(grid.row_keys):
            for col, task in enumerate(columns[2:], start=2):
                shown[(model, task)] = _first_number(grid.cell_text(row, col))
        assert len(shown) == len(runs)
        for run in runs:
            expected = round(100 * _accuracy_from_samples(store, run.id), 1)
            assert shown[(run.model_name, run.task)] == pytest.approx(expected, abs=0.051), run.task
            lighteval_acc = next(s.value for m, s in run.scores.items() if m.startswith("acc")
                                 and "norm" not in m)
            assert _accuracy_from_samples(store, run.id) == pytest.approx(lighteval_acc, abs=1e-9)

        # 7. the comparison of the two models, from the leaderboard
        await pilot.press("space")  # mark the first model
        await pilot.press("down")
        await pilot.press("space")  # and the second
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        result = app.screen.result
        assert result is not None
        table = app.screen.query_one("#cmp-tasks")
        by_model = {r.model_name: {rr.task: rr for rr in runs if rr.model_name == r.model_name}
                    for r in runs}
        for row_index, tc in enumerate(result.tasks):
            cells = [str(c) for c in table.get_row_at(row_index)]
            run_a = by_model[result.model_a][tc.task]
            run_b = by_model[result.model_b][tc.task]
            assert _first_number(cells[1]) == pytest.approx(
                round(100 * _accuracy_from_samples(store, run_a.id), 1), abs=0.051)
            assert _first_number(cells[2]) == pytest.approx(
                round(100 * _accuracy_from_samples(store, run_b.id), 1), abs=0.051)
            a = {s.sample_index: s.correct for s in store.sample_results(run_a.id)}
            b = {s.sample_index: s.correct for s in store.sample_results(run_b.id)}
            both = sum(1 for k in a if a[k] and b[k])
            neither = sum(1 for k in a if not a[k] and not b[k])
            assert (tc.paired.both, tc.paired.neither) == (both, neither)
        summary = str(app.screen.query_one("#cmp-summary").render())
        first = result.tasks[0].paired
        assert f"both right {first.both}" in summary and f"neither {first.neither}" in summary
