"""Leaderboard speed: build, sort and render 200 models x 30 tasks (goal: < 100 ms).

In one run, on synthetic per-sample results (``--questions`` per task, clustered by
passage) held in memory:

- load: every run's accuracy and clustered error from its per-sample results (what the
  screen does once, off the event loop, when it opens);
- build (cold): averages, best per column, Holm-adjusted ties with each column's leader
  (every paired McNemar test computed);
- build + sort + render (warm): what a key press costs once the paired tests are cached:
  ``build_leaderboard`` sorted by a task column, then the table rendered as text by Rich
  (the CLI);
- the TUI, headless at 80x24 and 200x60: the Leaderboard screen's sort key (pressed with
  Pilot) and a filter change (warm build + refill of its ScoreGrid), each until the screen
  has refreshed; then the same cells in a bare ScoreGrid and in a bare DataTable (the
  baseline: what the screen cost before ScoreGrid), sorted and refilled;
- baseline (CLI): the same 6,000 pre-formatted cells sorted as plain Python lists and
  rendered by Rich: the least work any 200 x 30 table needs.

Prints each figure (median of ``--repeat``) and the ratios against the baselines. Headless
Textual renders every changed line but does not write to a terminal.

    .venv/bin/python bench/leaderboard_render.py [--models 200] [--tasks 30] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console
from rich.table import Table

from store.records import EvalRun, Project, SampleResult
from workbench.results import leaderboard as lb


def synthetic_data(models: int, tasks: int, questions: int, seed: int = 0) -> tuple[
        lb.LeaderboardData, float]:
    """LeaderboardData for models x tasks, and the seconds spent computing run scores."""
    rng = random.Random(seed)
    project = Project(1, "bench", "", "2026-01-01T00:00:00+00:00")
    settings = {"formulation": "mcf", "fewshot": 0, "seed": 1, "chat_template": False,
                "dtype": "float32", "backend": "transformers"}
    raw: list[tuple[EvalRun, list[SampleResult]]] = []
    run_id = 0
    for m in range(models):
        skill = rng.uniform(0.3, 0.9)
        for t in range(tasks):
            run_id += 1
            run = EvalRun(run_id, 1, None, None, f"model-{m:03d}", None, f"task-{t:02d}",
                          settings, "x", "done", None, {}, "2026-01-01", "2026-01-01")
            samples = [SampleResult(i, 1.0 if rng.random() < skill else 0.0,
                                    question_id=t * questions + i, cluster=f"p{t}-{i // 4}")
                       for i in range(questions)]
            raw.append((run, samples))
    start = time.perf_counter()
    cells = {(r.model_name, r.task): lb.run_scores(r, s) for r, s in raw}
    load = time.perf_counter() - start
    runs = {(r.model_name, r.task): [r] for r, _ in raw}
    return lb.LeaderboardData(project, cells, runs, None, {}), load


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def rich_text(board: lb.Leaderboard) -> str:
    console = Console(file=io.StringIO(), width=400, color_system=None)
    console.print(lb.to_rich_table(board))
    return console.file.getvalue()  # type: ignore[attr-defined]


def baseline(rows: list[list[str]], values: list[float]) -> str:
    order = sorted(range(len(rows)), key=lambda i: values[i], reverse=True)
    table = Table()
    for h in ["Model", "Average", *[f"task-{t:02d}" for t in range(len(rows[0]) - 2)]]:
        table.add_column(h)
    for i in order:
        table.add_row(*rows[i])
    console = Console(file=io.StringIO(), width=400, color_system=None)
    console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined]


Rows = list[list[str]]


class Clock:
    """Wall and CPU seconds of repeated operations, by name; medians on demand."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self._start = (0.0, 0.0)

    def start(self) -> None:
        self._start = (time.perf_counter(), time.process_time())

    def stop(self, name: str) -> None:
        wall, cpu = self._start
        self.wall.setdefault(name, []).append(time.perf_counter() - wall)
        self.cpu.setdefault(name, []).append(time.process_time() - cpu)

    def median(self, name: str) -> tuple[float, float]:
        return statistics.median(self.wall[name]), statistics.median(self.cpu[name])


async def painted(pilot: Any) -> None:
    """Handle every pending message, then paint the screen (layout and changed lines), twice
    in case painting posted more. Unlike ``Pilot.pause`` it never sleeps (that waits
    >= 20 ms for the process to look idle), so the time measured is the work."""
    for _ in range(2):
        await pilot._wait_for_screen()
        pilot.app.screen._on_timer_update()


async def bare_widgets(full: Rows, filtered: Rows, size: tuple[int, int], repeat: int
                       ) -> Clock:
    """The same strings in a bare DataTable (the baseline: what the screen used before;
    column widths given, as it did) and in a bare ScoreGrid: 'sort' = reorder by a column
    + paint, 'filter' = refill with the other row set + paint."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from screens.widgets.score_grid import GridCell, GridColumn, ScoreGrid

    class Bare(App[None]):
        def __init__(self, widget: DataTable[str] | ScoreGrid) -> None:
            super().__init__()
            self.widget = widget

        def compose(self) -> ComposeResult:
            yield self.widget

    def fill_table(table: DataTable[str], rows: Rows) -> None:
        table.clear(columns=True)
        for i in range(len(rows[0])):
            table.add_column(f"c{i}", key=f"c{i}", width=max(len(r[i]) for r in rows) + 2)
        table.add_rows(rows)

    def fill_grid(grid: ScoreGrid, rows: Rows) -> None:
        columns = [GridColumn(f"c{i}", f"c{i}", "left" if i == 0 else "right")
                   for i in range(len(rows[0]))]
        grid.set_data(columns, [(r[0], [GridCell(t) for t in r]) for r in rows])

    def sort_table(table: DataTable[str], column: int, reverse: bool) -> None:
        table.sort(f"c{column}", reverse=reverse)

    def sort_grid(grid: ScoreGrid, column: int, reverse: bool) -> None:
        keys = grid.row_keys
        order = sorted(range(len(keys)), key=lambda r: grid.cell_text(r, column),
                       reverse=reverse)
        grid.set_order([keys[r] for r in order])

    clock = Clock()
    for name, widget, fill, sort in (("DataTable", DataTable(), fill_table, sort_table),
                                     ("ScoreGrid", ScoreGrid(), fill_grid, sort_grid)):
        async with Bare(widget).run_test(size=size) as pilot:  # type: ignore[arg-type]
            fill(widget, full)  # type: ignore[arg-type]
            await pilot.pause()
            for i in range(repeat):
                clock.start()
                sort(widget, 2 + i % (len(full[0]) - 2), bool(i % 2))  # type: ignore[arg-type]
                await painted(pilot)
                clock.stop(f"{name} sort")
                clock.start()
                fill(widget, filtered if i % 2 == 0 else full)  # type: ignore[arg-type]
                await painted(pilot)
                clock.stop(f"{name} filter")
    return clock


async def screen_timings(data: lb.LeaderboardData, repeat: int, size: tuple[int, int],
                         text: str) -> Clock:
    """On a mounted LeaderboardScreen, until the screen is painted: 'first' = the grid
    filled after loading; 'sort' = what the sort key runs (reorder, no statistics);
    'filter' = what a filter change runs (``rebuild``: a warm build of the board, of which
    'build', then the grid refilled). 'press s' / 'press x' = Pilot.press + Pilot.pause of
    the sort key and of a key bound to nothing, for reference (they include Pilot's sleeps).
    """
    from textual.app import App

    from screens.leaderboard import LeaderboardScreen

    screen = LeaderboardScreen(Project(1, "bench", "", "2026-01-01"))
    screen.load = lambda: None  # type: ignore[method-assign]  # data is set directly
    app: App[None] = App()
    clock = Clock()
    async with app.run_test(size=size) as pilot:
        await app.push_screen(screen)
        await pilot.pause()
        board = lb.build_leaderboard(data)
        clock.start()
        screen._loaded(data, board)
        await painted(pilot)
        clock.stop("first")
        grid = screen.query_one("#lb-table")
        grid.focus()
        for i in range(repeat):
            grid.cursor_coordinate = (0, 2 + i % len(data.tasks))  # type: ignore[attr-defined]
            await pilot.pause()
            clock.start()
            screen.action_sort()
            await painted(pilot)
            clock.stop("sort")
            screen.filter_text = "" if i % 2 else text
            clock.start()
            screen.board = screen._build(data)
            clock.stop("build")
            clock.start()
            screen.rebuild()
            await painted(pilot)
            clock.stop("filter")
            await pilot.pause()
            for key in ("s", "x"):
                clock.start()
                await pilot.press(key)
                await pilot.pause()
                clock.stop(f"press {key}")
    return clock


def ms(seconds: float) -> str:
    return f"{1000 * seconds:8.1f} ms"


def report_tui(data: lb.LeaderboardData, rows: Rows, filtered: Rows, size: tuple[int, int],
               args: argparse.Namespace) -> None:
    tui = asyncio.run(screen_timings(data, args.repeat, size, args.filter))
    bare = asyncio.run(bare_widgets(rows, filtered, size, args.repeat))

    def fig(clock: Clock, name: str) -> str:
        wall, cpu = clock.median(name)
        return f"{ms(wall)} (CPU {ms(cpu).strip()})"

    print(f"TUI at {size[0]}x{size[1]}, Leaderboard screen (ScoreGrid), until painted:")
    print(f"  first fill of the grid after loading:         {fig(tui, 'first')}")
    for what, label in (("sort", "sort key (reorder + paint):"),
                        ("filter", "filter change (build + refill + paint):")):
        wall, _ = tui.median(what)
        print(f"  {label:<45} {fig(tui, what)}  goal < 100 ms: "
              f"{'met' if wall < 0.1 else 'NOT met'}")
    print(f"    of which build_leaderboard, warm:           {fig(tui, 'build')}")
    print("  same cells in bare widgets   ScoreGrid     DataTable (baseline)   ratio (wall)")
    for what, label in (("sort", "sort + paint"), ("filter", "refill + paint")):
        grid, table = bare.median(f"ScoreGrid {what}")[0], bare.median(f"DataTable {what}")[0]
        print(f"    {label:<24} {ms(grid)}   {ms(table)}            {grid / table:6.3f}x")
    print(f"  screen sort key / bare DataTable sort:        {tui.median('sort')[0] / bare.median('DataTable sort')[0]:8.3f}x")
    refill = tui.median("filter")[0] - tui.median("build")[0]
    print(f"  screen refill / bare DataTable refill:        {refill / bare.median('DataTable filter')[0]:8.3f}x")
    print(f"  with Pilot (press + pause, incl. its idle sleeps): s {fig(tui, 'press s')}; "
          f"an unbound key {fig(tui, 'press x')}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=200)
    ap.add_argument("--tasks", type=int, default=30)
    ap.add_argument("--questions", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--filter", default="model-1",
                    help="the filter the TUI figures alternate with no filter")
    args = ap.parse_args()

    data, load = synthetic_data(args.models, args.tasks, args.questions)
    cells = args.models * args.tasks
    print(f"{args.models} models x {args.tasks} tasks x {args.questions} questions "
          f"({cells:,} cells, {cells * args.questions:,} per-sample results)")
    print(f"load (run scores with clustered errors, once per open): {1000 * load:8.1f} ms")

    start = time.perf_counter()
    lb.build_leaderboard(data)
    cold = time.perf_counter() - start
    print(f"build, cold (all paired tests vs leaders):              {1000 * cold:8.1f} ms")

    task = data.tasks[len(data.tasks) // 2]
    build_sort, board = timed(lambda: lb.build_leaderboard(data, sort_by=task), args.repeat)
    sort_only, _ = timed(lambda: lb.sort_rows(board.rows, lb.AVERAGE, True), args.repeat)
    text_render, text = timed(lambda: rich_text(board), args.repeat)
    warm_cli = build_sort + text_render
    print(f"build + sort, warm (a filter change):                   {1000 * build_sort:8.1f} ms")
    print(f"re-sort only:                                           {1000 * sort_only:8.1f} ms")
    print(f"render as text (Rich, CLI):                             {1000 * text_render:8.1f} ms")
    print(f"build + sort + render, CLI:                             {1000 * warm_cli:8.1f} ms")
    rows = list(lb.table_rows(board))
    models, tasks = lb.parse_filter(args.filter)
    filtered = list(lb.table_rows(lb.build_leaderboard(data, models, tasks, sort_by=task)))
    if not filtered:
        sys.exit(f"--filter {args.filter!r} leaves no rows: pick one that keeps some models")
    for size in ((80, 24), (200, 60)):
        report_tui(data, rows, filtered, size, args)

    values = [r.value(lb.AVERAGE) or 0.0 for r in board.rows]
    base, _ = timed(lambda: baseline(rows, values), args.repeat)
    print(f"baseline (sort plain lists + Rich render, same cells):  {1000 * base:8.1f} ms")
    print(f"ratio CLI build+sort+render / baseline:                 {warm_cli / base:8.2f}x")
    assert len(text) > 0


if __name__ == "__main__":
    main()
