"""Leaderboard and Compare screens driven with keys (Pilot), checked against the store."""

from __future__ import annotations

import csv
import json

import pytest
from synthetic_runs import DEFAULT_SETTINGS, add_run, make_snapshot
from textual.widgets import DataTable

from screens.app import WorkbenchApp
from screens.widgets.score_grid import ScoreGrid
from workbench.results import compare as cmp
from workbench.results import leaderboard as lb

A = [1] * 20 + [1] * 9 + [0] * 3 + [0] * 8
B = [1] * 20 + [0] * 9 + [1] * 3 + [0] * 8
C = [1] * 10 + [0] * 30


@pytest.fixture
def runs(store, project, questions):
    clusters = [f"p{i // 4}" for i in range(40)]
    add_run(store, project, "alpha", "exam", A, questions, clusters)
    add_run(store, project, "beta", "exam", B, questions, clusters,
            settings={**DEFAULT_SETTINGS, "chat_template": True})
    add_run(store, project, "gamma", "exam", C, questions, clusters)
    add_run(store, project, "alpha", "quiz", B, questions, clusters)
    add_run(store, project, "beta", "quiz", A, questions, clusters)
    return store


def _cell(grid: ScoreGrid, row: int, col: int) -> str:
    """A cell's text, checked to be on the row's rendered line (what the user sees)."""
    text = grid.cell_text(row, col)
    assert text in _shown(grid, row)
    return text


def _shown(grid: ScoreGrid, row: int) -> str:
    """The rendered line of a displayed row (header is line 0; no scrolling here)."""
    return grid.render_line(row + 1 - int(grid.scroll_y)).text


async def _open_leaderboard(app, pilot, project):
    app.open_project_screen("leaderboard", project)
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app.screen


async def _move_to(pilot, grid: ScoreGrid, row: int, column: int) -> None:
    """Move the grid's cursor with arrow keys, as a user would."""
    while grid.cursor_coordinate.row != row:
        await pilot.press("down" if grid.cursor_coordinate.row < row else "up")
    while grid.cursor_coordinate.column != column:
        await pilot.press("right" if grid.cursor_coordinate.column < column else "left")


def _style_of(grid: ScoreGrid, row: int, text: str):
    """The style the grid draws a cell's text with, on a displayed row."""
    line = grid.render_line(row + 1 - int(grid.scroll_y))
    return next(seg.style for seg in line if seg.text.strip() == text)


async def test_leaderboard_shows_the_stores_numbers_sorts_filters_exports(
        settings, runs, project):
    expected = lb.build_leaderboard(lb.load_leaderboard_data(runs, project))
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_leaderboard(app, pilot, project)
        table = screen.query_one("#lb-table", ScoreGrid)
        assert table.has_focus  # keys go to the grid
        assert table.row_count == 3
        # rows in average order, cells as computed from the store's per-sample results
        assert [_cell(table, i, 0).strip() for i in range(3)] == [r.model for r in expected.rows]
        alpha = expected.cell("alpha", "exam")
        col = 2 + expected.tasks.index("exam")
        row = [r.model for r in expected.rows].index("alpha")
        assert _cell(table, row, col) == lb.cell_text(alpha)
        assert "72.5±" in _cell(table, row, col)  # 29 of 40
        assert _style_of(table, row, lb.cell_text(alpha)).bold  # best in its column
        # gamma has no quiz run: the average is over one task and marked
        assert "*" in _cell(table, [r.model for r in expected.rows].index("gamma"), 1)
        # beta ran exam with another chat template than the leader: marked '!'
        beta = [r.model for r in expected.rows].index("beta")
        assert _cell(table, beta, col).endswith("!")
        for r in range(3):  # every number shown is the store's
            for c, t in enumerate(expected.tasks, start=2):
                model = table.row_keys[r]
                cell = expected.cell(model, t)
                assert _cell(table, r, c) == (lb.cell_text(cell) if cell else "–")

        # sort by the exam column: move the cursor there with the arrows, press s
        await _move_to(pilot, table, 0, col)
        await pilot.press("s")
        assert [_cell(table, i, 0).strip() for i in range(3)] == ["alpha", "beta", "gamma"]
        assert "exam ▼" in _shown(table, -1)  # the header says how it is sorted
        await pilot.press("s")  # reversed
        assert [_cell(table, i, 0).strip() for i in range(3)] == ["gamma", "beta", "alpha"]
        assert "exam ▲" in _shown(table, -1)
        # the cursor stays on its model (alpha, now last)
        assert table.cursor_row_key == "alpha" and table.cursor_coordinate.row == 2

        # the detail line shows settings and the settings warning
        detail = str(screen.query_one("#lb-detail").render())
        assert "chat_template" in detail
        # the clusters behind the error, and the warning for fewer than 20
        assert "alpha on exam: 72.5% of 40 from 10 source passages" in detail
        assert "⚠ Few source passages on exam (10), quiz (10)" in detail
        info = str(screen.query_one("#lb-info").render())
        assert "10 source passages per task" in info

        # filter: models containing "a", task quiz (gamma has no quiz run, so it goes)
        await pilot.press("slash")
        for ch in "a task:quiz":
            await pilot.press(ch if ch != " " else "space")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.board.tasks == ["quiz"]
        assert sorted(r.model for r in screen.board.rows) == ["alpha", "beta"]
        assert table.row_count == 2

        # bar chart of the selected task
        await pilot.press("b")
        await pilot.pause()
        title, names, values = screen.chart_series()
        assert title.startswith("quiz") and set(names) == {"alpha", "beta"}
        assert sorted(values) == pytest.approx([57.5, 72.5])  # 23 and 29 of 40
        assert screen.query_one("#lb-chart").display

        # exports land in the exports folder with the same numbers
        for key in ("m", "v", "j"):
            await pilot.press(key)
            await pilot.pause()
        files = sorted(settings.exports_dir.glob("leaderboard-*"))
        assert {f.suffix for f in files} == {".md", ".csv", ".json"}
        exported = json.loads(next(f for f in files if f.suffix == ".json").read_text())
        assert exported["tasks"] == ["quiz"]
        rows = list(csv.DictReader(next(f for f in files if f.suffix == ".csv").open()))
        assert {r["model"] for r in rows} == {"alpha", "beta"}


async def test_history_and_compare_from_the_leaderboard(settings, runs, project):
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_leaderboard(app, pilot, project)
        table = screen.query_one("#lb-table", ScoreGrid)
        order = [r.model for r in screen.board.rows]
        await _move_to(pilot, table, order.index("alpha"), 2 + screen.board.tasks.index("exam"))
        await pilot.press("h")
        await pilot.pause()
        history = app.screen.query_one("#history-table", DataTable)
        assert history.row_count == 1
        await pilot.press("escape")

        # mark alpha and gamma, compare them
        await pilot.press("space")
        assert _cell(table, order.index("alpha"), 0) == "◆ alpha"
        await _move_to(pilot, table, order.index("gamma"), 0)
        await pilot.press("space")
        assert _cell(table, order.index("gamma"), 0) == "◆ gamma"
        await pilot.press("c")
        await pilot.pause()
        from screens.compare import CompareScreen

        assert isinstance(app.screen, CompareScreen)
        assert (app.screen.model_a, app.screen.model_b) == ("alpha", "gamma")


async def test_stale_cells_marked_and_history_over_snapshots(settings, store, project,
                                                               questions):
    old = make_snapshot(store, project, questions[:20], "old")
    add_run(store, project, "m", "exam", [1] * 10 + [0] * 10, questions[:20], snapshot_id=old)
    add_run(store, project, "other", "exam", [1] * 15 + [0] * 5, questions[:20],
            snapshot_id=old)
    new = make_snapshot(store, project, questions[:30], "new")
    add_run(store, project, "m", "exam", [1] * 24 + [0] * 6, questions[:30], snapshot_id=new)
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_leaderboard(app, pilot, project)
        grid = screen.query_one("#lb-table", ScoreGrid)
        order = grid.row_keys
        assert "†" in _cell(grid, order.index("other"), 2)  # run on the older snapshot
        assert _cell(grid, order.index("m"), 2).startswith("80.0±")  # 24 of 30, the latest
        assert "†" not in _cell(grid, order.index("m"), 2)
        await _move_to(pilot, grid, order.index("m"), 2)
        await pilot.press("h")
        await pilot.pause()
        history = app.screen.query_one("#history-table", DataTable)
        assert history.row_count == 2
        assert "†" in str(history.get_cell_at((0, 1)))
        assert str(history.get_cell_at((1, 4))).startswith("80.0±")


async def test_compare_screen_warns_breaks_down_and_drills_in(settings, runs, project,
                                                              questions):
    expected = cmp.compare_models(runs, project, "alpha", "beta")
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_project_screen("compare", project, model_a="alpha", model_b="beta")
        await pilot.pause()
        await app.workers.wait_for_complete()  # the statistics are computed in a worker
        await pilot.pause()
        screen = app.screen
        warnings = str(screen.query_one("#cmp-warnings").render())
        assert "settings differ" in warnings and "chat_template" in warnings
        tasks = screen.query_one("#cmp-tasks", DataTable)
        assert tasks.row_count == 2
        exam = expected.task("exam").paired
        assert str(tasks.get_cell_at((0, 6))) == f"{exam.test.p_value:.3g}"
        assert "⚠" in str(tasks.get_cell_at((0, 7)))  # verdict flagged: settings differ
        questions_table = screen.query_one("#cmp-questions", DataTable)
        assert questions_table.row_count == 40
        await pilot.press("3")  # only B right
        assert questions_table.row_count == 3
        summary = str(screen.query_one("#cmp-summary").render())
        assert "only A 9" in summary and "only B 3" in summary
        # the clusters behind the clustered errors, and the warning for fewer than 20
        assert "10 source passages · design effect 3.16" in summary  # 0.0225 / (11.1/1560)
        assert "exam: only 10 source clusters" in warnings

        questions_table.focus()
        await pilot.press("enter")
        await pilot.pause()
        from screens.modals.question_compare import QuestionCompareModal

        modal = app.screen
        assert isinstance(modal, QuestionCompareModal)
        assert modal.detail.outcome.question_id == questions[29]
        options = modal.query_one("#qc-options").render()
        assert options is not None
        await pilot.press("escape")
        assert app.screen is screen

        await pilot.press("s")  # swap A and B
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert (screen.model_a, screen.model_b) == ("beta", "alpha")
        assert screen.result.task("exam").paired.only_a == 3


async def test_compare_screen_without_models_asks_for_them(settings, runs, project):
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_project_screen("compare", project)
        await pilot.pause()
        assert "Pick two models" in str(app.screen.query_one("#cmp-warnings").render())
        assert app.screen.query_one("#cmp-tasks", DataTable).row_count == 0


async def test_empty_leaderboard_says_what_to_do(settings, store, project):
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_leaderboard(app, pilot, project)
        assert "No finished evaluations" in str(screen.query_one("#lb-info").render())
        await pilot.press("s", "h", "c", "b")  # nothing to act on: no crash, no modal error
        await pilot.pause()
        assert app.screen is screen
