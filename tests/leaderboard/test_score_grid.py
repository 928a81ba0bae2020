"""ScoreGrid, the leaderboard's table widget, driven with keys and the mouse (Pilot)."""

from __future__ import annotations

import pytest
from rich.style import Style
from textual.app import App, ComposeResult

from screens.widgets.score_grid import GridCell, GridColumn, ScoreGrid

TASKS = [f"task-{t:02d}" for t in range(12)]


def _columns() -> list[GridColumn]:
    return [GridColumn("model", "Model", "left", 12),
            *(GridColumn(t, t, "right") for t in TASKS)]


def _rows(models: int = 40) -> list[tuple[str, list[GridCell]]]:
    """Model m scores m + t/100 on task t, so every cell's text is unique."""
    return [(f"model-{m:02d}", [GridCell(f"model-{m:02d}"),
                                *(GridCell(f"{m}.{t:02d}", "bold green" if m == 7 else "")
                                  for t in range(len(TASKS)))])
            for m in range(models)]


class GridApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.highlighted: list[tuple[str | None, str | None]] = []

    def compose(self) -> ComposeResult:
        yield ScoreGrid(id="grid")

    def on_score_grid_cell_highlighted(self, event: ScoreGrid.CellHighlighted) -> None:
        self.highlighted.append((event.row_key, event.column_key))


def _line(grid: ScoreGrid, y: int) -> str:
    return grid.render_line(y).text


def _shown_rows(grid: ScoreGrid) -> list[str]:
    """The first word of every rendered row line: the row keys the user sees, in order."""
    height = grid.scrollable_content_region.height
    return [_line(grid, y).split()[0] for y in range(1, height) if _line(grid, y).strip()]


async def _grid(pilot) -> ScoreGrid:  # type: ignore[no-untyped-def]
    grid = pilot.app.query_one(ScoreGrid)
    grid.set_data(_columns(), _rows())
    grid.focus()
    await pilot.pause()
    return grid


async def test_shows_header_and_the_visible_rows_in_order() -> None:
    app = GridApp()
    async with app.run_test(size=(60, 12)) as pilot:
        grid = await _grid(pilot)
        assert grid.row_count == 40
        header = _line(grid, 0)
        assert header.split()[:3] == ["Model", "task-00", "task-01"]
        shown = _shown_rows(grid)
        assert shown == [f"model-{m:02d}" for m in range(len(shown))]
        assert 5 <= len(shown) < 40  # only what fits
        assert _line(grid, 1).split()[1:3] == ["0.00", "0.01"]
        # the cursor starts on the first cell and says so
        assert grid.cursor_coordinate == (0, 0)
        assert app.highlighted[-1] == ("model-00", "model")


async def test_keys_move_the_cursor_and_scroll_it_into_view() -> None:
    app = GridApp()
    async with app.run_test(size=(60, 12)) as pilot:
        grid = await _grid(pilot)
        await pilot.press("down", "down", "right")
        assert grid.cursor_coordinate == (2, 1)
        assert app.highlighted[-1] == ("model-02", "task-00")
        await pilot.press("up", "up", "up", "left", "left")  # clamped at the edges
        assert grid.cursor_coordinate == (0, 0)

        await pilot.press("end")
        await pilot.pause()
        assert grid.cursor_coordinate.row == 39 and grid.scroll_y > 0
        assert _shown_rows(grid)[-1] == "model-39"
        await pilot.press("home")
        await pilot.pause()
        assert grid.cursor_coordinate.row == 0 and grid.scroll_y == 0
        await pilot.press("pagedown")
        assert grid.cursor_coordinate.row > 1

        # far right: the scrolled columns move, the model column stays
        assert "11.11" not in _line(grid, 12)
        for _ in TASKS:
            await pilot.press("right")
        await pilot.pause()
        assert grid.cursor_column_key == "task-11" and grid.scroll_x > 0
        row = grid.cursor_coordinate.row
        line = _line(grid, row + 1 - int(grid.scroll_y))
        assert line.split()[0] == grid.cursor_row_key
        assert line.rstrip().endswith(grid.cell_text(row, 12))
        assert "task-00" not in _line(grid, 0) and "task-11" in _line(grid, 0)


async def test_only_the_visible_cells_are_formatted() -> None:
    app = GridApp()
    async with app.run_test(size=(40, 8)) as pilot:
        grid = await _grid(pilot)
        texts = " ".join(_line(grid, y) for y in range(8))
        assert "0.00" in texts and "0.11" not in texts and "39.00" not in texts
        formatted = grid._texts  # padded texts are made when a cell is first shown
        assert formatted and {r for r, _ in formatted} < set(range(8))
        assert {c for _, c in formatted} < set(range(len(TASKS) + 1))


async def test_set_order_reorders_without_new_data() -> None:
    app = GridApp()
    async with app.run_test(size=(60, 12)) as pilot:
        grid = await _grid(pilot)
        reverse = list(reversed(grid.row_keys))
        grid.set_order(reverse)
        await pilot.pause()
        assert grid.row_keys == reverse
        shown = _shown_rows(grid)
        assert shown == reverse[:len(shown)]
        assert grid.cell_text(0, 1) == "39.00"
        assert _line(grid, 1).split()[1] == "39.00"
        with pytest.raises(ValueError):
            grid.set_order(reverse[1:])


async def test_labels_widths_cut_names_and_row_updates() -> None:
    app = GridApp()
    async with app.run_test(size=(60, 12)) as pilot:
        grid = await _grid(pilot)
        width = grid.column_width(1)
        grid.set_labels(["Model", "task-00 ▼ (sorted)", *TASKS[1:]])
        await pilot.pause()
        assert grid.column_width(1) > width and "task-00 ▼ (sorted)" in _line(grid, 0)

        long = "a-very-long-model-name-indeed"
        grid.update_row("model-01", [GridCell(long), *(GridCell("x") for _ in TASKS)])
        await pilot.pause()
        assert grid.cell_text(1, 0) == long
        shown = _line(grid, 2)
        assert shown.startswith(" a-very-long… ") and long not in shown  # max_width 12
        assert grid.column_width(0) == 12 + 2


async def test_styles_best_cell_and_cursor() -> None:
    app = GridApp()
    async with app.run_test(size=(60, 12)) as pilot:
        grid = await _grid(pilot)
        grid.cursor_coordinate = (7, 2)
        await pilot.pause()
        segments = [s for s in grid.render_line(8) if s.text.strip()]
        styles = {s.text.strip(): s.style or Style.null() for s in segments}
        assert styles["7.00"].bold and styles["7.00"].color is not None
        assert styles["7.00"].color.name == "green"
        # the cursor cell stands out from its neighbours
        assert styles["7.01"].bgcolor != styles["7.02"].bgcolor
        assert styles["7.00"].bgcolor == styles["7.02"].bgcolor


async def test_click_moves_the_cursor() -> None:
    app = GridApp()
    async with app.run_test(size=(60, 12)) as pilot:
        grid = await _grid(pilot)
        x = grid.column_width(0) + grid.column_width(1) + 2  # inside the second task column
        await pilot.click(ScoreGrid, offset=(x, 3))
        assert grid.cursor_coordinate == (2, 2)
        assert app.highlighted[-1] == ("model-02", "task-01")
        await pilot.click(ScoreGrid, offset=(1, 0))  # the header is not a cell
        assert grid.cursor_coordinate == (2, 2)


async def test_empty_grid_has_no_cursor_target() -> None:
    app = GridApp()
    async with app.run_test(size=(60, 12)) as pilot:
        grid = pilot.app.query_one(ScoreGrid)
        grid.set_data(_columns(), [])
        grid.focus()
        await pilot.press("down", "right", "end")
        assert grid.row_count == 0 and grid.cursor_row_key is None
        assert _line(grid, 1).strip() == ""
