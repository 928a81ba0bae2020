"""The whole path as a user walks it, with keys: create a project, import the demo documents,
generate with the bundled model, review (a generated question is edited and approved), build
a snapshot, evaluate two models, open the leaderboard and the comparison. What the screens
show must equal what the store holds, and the error bars and p-value on the leaderboard must
equal the ones statsmodels and scipy compute from the stored per-question results."""

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
# Generation settings on the Generate screen: with seed 4 the bundled model (llama.cpp)
# writes, on the first chunk, a question that passes validation (found by trying seeds 1-4:
# most outputs are rejected, see STACK.md). Its wording is poor; the reviewer rewrites it.
# llama.cpp's output may differ on another CPU (other SIMD kernels), so the reviewer asks
# again with the next seeds until one question passes, as a user would; never more than
# GEN_SEEDS jobs, and the test fails if none does.
GEN_CHUNKS, GEN_PER_CHUNK = "1", "1"
GEN_SEEDS = ("4", "5", "6", "7", "8", "9")
# What the reviewer types over the generated draft: the question, then the options in
# order with the correct one (where the job placed it) replaced by CORRECT.
EDITED_QUESTION = "What is a bond?"
CORRECT = "A loan from an investor to a company"
WRONG = ["A share of a company", "A bank account", "A tax on income"]


async def _type(pilot, text: str) -> None:
    for ch in text:
        await pilot.press({" ": "space", "/": "slash", ".": "full_stop", "-": "minus",
                           "_": "underscore", "?": "question_mark"}.get(ch, ch))


async def _back_to_dashboard(pilot, app: WorkbenchApp, presses: int = 5) -> None:
    """Escape until the dashboard shows; fail (not loop forever) after a few presses."""
    for _ in range(presses):
        if isinstance(app.screen, DashboardScreen):
            return
        await pilot.press("escape")
    assert isinstance(app.screen, DashboardScreen), f"still on {app.screen!r}"


async def _wait_job(pilot, store: Store, kind: str, limit: float = 600, after: int = 0):
    """The newest job of ``kind`` (with an id above ``after``) once it has ended."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        jobs = [j for j in store.list_jobs() if j.kind == kind and j.id > after]
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


def _cluster_ids(store: Store, samples) -> list[int]:
    """Each question's source passage, read from the question itself (every question on
    this path has one: generated from a chunk, or a demo question tied to its passage)."""
    chunks = [store.question(s.question_id).chunk_id for s in samples]
    assert None not in chunks
    return chunks


def _clustered_se(values: list[float], clusters: list[int]) -> float:
    """Cluster-robust (CR1) standard error of a mean: statsmodels' OLS on a constant."""
    import numpy as np
    import statsmodels.api as sm

    groups = np.unique(clusters, return_inverse=True)[1]
    fit = sm.OLS(np.asarray(values, dtype=float), np.ones(len(values))).fit(
        cov_type="cluster", cov_kwds={"groups": groups})
    return float(fit.bse[0])


def _paired_p(store: Store, a, b) -> float:
    """The p-value of two runs' difference on the same questions, from scipy/statsmodels:
    when clustering widens the paired error (README: Statistics), a z-test on the clustered
    error; otherwise McNemar's test, mid-p below 25 discordant pairs, else chi-square with
    continuity correction."""
    import numpy as np
    from scipy import stats as st
    from statsmodels.stats.contingency_tables import mcnemar

    assert [s.question_id for s in a] == [s.question_id for s in b]
    d = np.array([x.correct - y.correct for x, y in zip(a, b, strict=True)])
    iid = float(d.std(ddof=1) / np.sqrt(len(d)))
    clustered = _clustered_se(list(d), _cluster_ids(store, a))
    if clustered > iid * (1 + 1e-9):
        return float(2 * st.norm.sf(abs(d.mean()) / clustered))
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x.correct and not y.correct)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y.correct and not x.correct)
    m, k = only_a + only_b, min(only_a, only_b)
    if m == 0:
        return 1.0
    if m < 25:
        return min(1.0, float(2 * st.binom.cdf(k, m, 0.5) - st.binom.pmf(k, m, 0.5)))
    both = sum(1 for x, y in zip(a, b, strict=True) if x.correct and y.correct)
    table = [[both, only_a], [only_b, len(a) - both - only_a - only_b]]
    return float(mcnemar(table, exact=False, correction=True).pvalue)


async def _select_cell(pilot, grid, row: int, column: int) -> None:
    """Move the leaderboard's cursor with the arrow keys (a bounded number of presses)."""
    for _ in range(20):
        here = grid.cursor_coordinate
        if (here.row, here.column) == (row, column):
            return
        key = ("down" if here.row < row else "up") if here.row != row else (
            "right" if here.column < column else "left")
        await pilot.press(key)
    assert (grid.cursor_coordinate.row, grid.cursor_coordinate.column) == (row, column)


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
        rejected: list[str | None] = []
        job = None
        for seed in GEN_SEEDS:
            await pilot.press("g")
            app.screen.query_one("#limit-chunks").value = GEN_CHUNKS
            app.screen.query_one("#per-chunk").value = GEN_PER_CHUNK
            app.screen.query_one("#seed").value = seed
            await pilot.press("ctrl+s")
            job = await _wait_job(pilot, store, "generate", after=job.id if job else 0)
            assert job.state == "done", (job.error, job.hint)
            everything = [q for q in store.list_questions(
                project.id, QuestionFilter(include_rejected=True)) if q.job_id == job.id]
            assert everything, "the generation job stored nothing"
            assert all(q.model_name and q.prompt_version and q.seed is not None
                       for q in everything)
            assert all(q.rejection_reason for q in everything if q.status == "rejected")
            generated = [q for q in everything if q.status == "pending"]
            await _back_to_dashboard(pilot, app)
            if generated:
                break
            rejected += [q.rejection_reason for q in everything]
        assert generated, f"no generated question passed validation: {rejected}"

        # 4. review: the tiny model rarely writes a usable question, so the hand-written
        #    demo set for it (source 'demo') joins the generated ones, all pending. The
        #    generated question is rewritten, as a reviewer fixes a draft, and approved
        #    (any other generated one is discarded)
        add_demo_questions(store, project, approve_as_shipped=False)
        pending_before = store.question_status_counts(project.id).get("pending", 0)
        await pilot.press("r")
        assert isinstance(app.screen, ReviewScreen)
        mine = generated[0]
        assert app.screen.current is not None and app.screen.current.id == mine.id
        await pilot.press("e")  # the editor: question, options A-D, explanation
        wrong = iter(WRONG)
        texts = [EDITED_QUESTION] + [CORRECT if i == mine.answer_index else next(wrong)
                                     for i in range(len(mine.options))]
        for index, text in enumerate(texts):
            if index:
                await pilot.press("tab")
            await pilot.press("home", "ctrl+k")  # clear the field
            await _type(pilot, text)
        await pilot.press("enter")  # save the edit
        await pilot.press("enter")  # accept
        for _ in generated[1:]:
            await pilot.press("x")
            await pilot.press("1")  # discard with the first reason
        for _ in range(9):
            await pilot.press("enter")  # accept
        await pilot.press("2")  # set the answer to B and accept
        await pilot.press("x")
        await pilot.press("1")  # discard with the first reason
        await pilot.pause()
        counts = store.question_status_counts(project.id)
        assert counts.get("approved", 0) == 11
        assert counts.get("discarded", 0) == len(generated)
        assert counts.get("pending", 0) == pending_before - 11 - len(generated)
        edited = store.question(mine.id)
        assert (edited.status, edited.question, edited.answer_index) == (
            "approved", EDITED_QUESTION, mine.answer_index)
        assert edited.options[mine.answer_index] == CORRECT
        assert sorted(edited.options) == sorted([CORRECT, *WRONG])
        # still the model's question: its provenance is kept
        assert (edited.source, edited.job_id, edited.model_name, edited.chunk_id, edited.seed) \
            == ("generated", job.id, mine.model_name, mine.chunk_id, mine.seed)
        assert [r.action for r in store.question_reviews(mine.id)] == ["edit", "accept"]
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
            # the edited generated question is among the questions every model answered
            assert mine.id in {s.question_id for s in store.sample_results(run.id)}

        # the error bars: ± the clustered standard error (by source passage), in points
        samples = {(r.model_name, r.task): store.sample_results(r.id) for r in runs}
        for row, model in enumerate(grid.row_keys):
            for col, task in enumerate(columns[2:], start=2):
                cell = grid.cell_text(row, col)
                match = re.fullmatch(r"(\d+\.\d)±(\d+\.\d)[=†!]*", cell)
                assert match, cell
                these = samples[(model, task)]
                se = _clustered_se([s.correct for s in these], _cluster_ids(store, these))
                assert float(match.group(2)) == pytest.approx(100 * se, abs=0.051), (model, task)

        # the p-value of the model below a column's leader, in the detail line of its cell
        checked = 0
        for col, task in enumerate(columns[2:], start=2):
            for row, model in enumerate(grid.row_keys):
                await _select_cell(pilot, grid, row, col)
                await pilot.pause()
                detail = str(app.screen.query_one("#lb-detail").render())
                found = re.search(r"(?:tied with|below) the leader \(p=([0-9.e+-]+)\)", detail)
                if not found:
                    continue
                (leader,) = [m for m in grid.row_keys if m != model]
                expected_p = _paired_p(store, samples[(leader, task)], samples[(model, task)])
                assert float(found.group(1)) == pytest.approx(expected_p, rel=6e-3, abs=1e-12), (
                    model, task, detail)
                assert (("tied with" in found.group()) == (expected_p >= 0.05)), detail
                checked += 1
        assert checked == len(columns) - 2, "every task column has a p-value against its leader"
        await _select_cell(pilot, grid, 0, 0)

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
