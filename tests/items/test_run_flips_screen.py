"""The Flips screen (regression tracking) driven with keys, checked against the store."""

from __future__ import annotations

from textual.widgets import DataTable, Select

from screens.app import WorkbenchApp
from screens.run_flips import RunFlipsScreen
from tests.leaderboard.synthetic_runs import DEFAULT_SETTINGS, add_run, make_questions


async def test_flips_screen_lists_broken_and_fixed_questions_and_opens_review(
        settings, store, project):
    qids = make_questions(store, project, 8)
    old = add_run(store, project, "A", "exam", [1, 1, 0, 0, 1, 1, 1, 1], qids)
    new = add_run(store, project, "A", "exam", [1, 0, 1, 0, 1, 1, 1, 0], qids,
                  settings={**DEFAULT_SETTINGS, "fewshot": 3})
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(RunFlipsScreen(project, "A", "exam"))
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#flips-before", Select).value == old
        assert screen.query_one("#flips-after", Select).value == new
        table = screen.query_one("#flips-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
            ("broke", "1", "A", "B"), ("fixed", "2", "B", "A"), ("broke", "7", "A", "B")]
        summary = str(screen.query_one("#flips-summary").render())
        assert "2 broke, 1 fixed" in summary and "fewshot" in summary
        table.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        from screens.review import ReviewScreen

        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.current is not None and app.screen.current.id == qids[2]


async def test_flips_screen_with_one_run_says_what_it_needs(settings, store, project):
    qids = make_questions(store, project, 4)
    add_run(store, project, "A", "exam", [1, 0, 1, 0], qids)
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(RunFlipsScreen(project, "A"))
        await pilot.pause()
        assert "needs two finished runs" in str(app.screen.query_one("#flips-summary").render())
        assert app.screen.query_one("#flips-table", DataTable).row_count == 0


async def test_f_in_compare_opens_the_flips_of_model_a_on_the_selected_task(
        settings, store, project):
    qids = make_questions(store, project, 6)
    add_run(store, project, "A", "exam", [1, 1, 1, 0, 0, 0], qids)
    add_run(store, project, "B", "exam", [1, 0, 1, 0, 1, 0], qids)
    add_run(store, project, "A", "exam", [0, 1, 1, 0, 0, 1], qids)
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_project_screen("compare", project, model_a="A", model_b="B")
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunFlipsScreen) and screen.model == "A"
        table = screen.query_one("#flips-table", DataTable)
        assert [(str(table.get_row_at(i)[0]), str(table.get_row_at(i)[1]))
                for i in range(table.row_count)] == [("broke", "0"), ("fixed", "5")]
