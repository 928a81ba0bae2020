"""Leaderboard speed: build, sort and render 200 models x 30 tasks (goal: < 100 ms).

In one run, on synthetic per-sample results (``--questions`` per task, clustered by
passage) held in memory:

- load: every run's accuracy and clustered error from its per-sample results (what the
  screen does once, off the event loop, when it opens);
- build (cold): averages, best per column, Holm-adjusted ties with each column's leader
  (every paired McNemar test computed);
- build + sort + render (warm): what a key press costs once the paired tests are cached:
  ``build_leaderboard`` sorted by a task column, then the table rendered twice: as text by
  Rich (the CLI) and into the screen's DataTable in a headless Textual app;
- baseline: the same 6,000 pre-formatted cells sorted as plain Python lists and rendered by
  Rich: the least work any 200 x 30 table needs.

Prints each figure (median of ``--repeat``) and the ratio warm / baseline.

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
from workbench import leaderboard as lb


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


async def tui_baseline(rows: list[list[str]], size: tuple[int, int], repeat: int) -> float:
    """Median seconds for a bare DataTable of the same strings to sort by a column and
    refresh: what any Textual table of this size costs."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

    app = Bare()
    times = []
    async with app.run_test(size=size) as pilot:
        table = app.query_one(DataTable)
        for i, h in enumerate(rows[0]):
            table.add_column(f"c{i}", key=f"c{i}", width=max(len(r[i]) for r in rows) + 2)
        table.add_rows(rows)
        await pilot.pause()
        for i in range(repeat):
            start = time.perf_counter()
            table.sort(f"c{2 + i % (len(rows[0]) - 2)}", reverse=bool(i % 2))
            await pilot.pause()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


async def tui_timings(data: lb.LeaderboardData, repeat: int, size: tuple[int, int]
                      ) -> dict[str, float]:
    """Median seconds, on a mounted LeaderboardScreen, until the screen has refreshed:
    'sort' = a sort key press (reorder, no statistics); 'filter' = a filter change
    (warm build + refill of the DataTable)."""
    from textual.app import App

    from screens.leaderboard import LeaderboardScreen

    class Host(App[None]):
        pass

    screen = LeaderboardScreen(Project(1, "bench", "", "2026-01-01"))
    screen.load = lambda: None  # type: ignore[method-assign]  # data is set directly
    app = Host()
    out: dict[str, list[float]] = {"sort": [], "filter": [], "first": []}
    async with app.run_test(size=size) as pilot:
        await app.push_screen(screen)
        await pilot.pause()
        start = time.perf_counter()
        screen._loaded(data, lb.build_leaderboard(data))
        await pilot.pause()
        out["first"].append(time.perf_counter() - start)
        table = screen.query_one("#lb-table")
        for i in range(repeat):
            table.cursor_coordinate = (0, 2 + i % len(data.tasks))  # type: ignore[attr-defined]
            start = time.perf_counter()
            screen.action_sort()
            await pilot.pause()
            out["sort"].append(time.perf_counter() - start)
            screen.filter_text = "" if i % 2 else "model-1"
            start = time.perf_counter()
            screen.rebuild()
            await pilot.pause()
            out["filter"].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=200)
    ap.add_argument("--tasks", type=int, default=30)
    ap.add_argument("--questions", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
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
    for size in ((80, 24), (200, 60)):
        tui = asyncio.run(tui_timings(data, args.repeat, size))
        bare = asyncio.run(tui_baseline(rows, size, args.repeat))
        print(f"TUI at {size[0]}x{size[1]}:")
        print(f"  first fill of the table after loading:              {1000 * tui['first']:8.1f} ms")
        for what, label in (("sort", "sort key (reorder + refresh)"),
                            ("filter", "filter change (build + refill + refresh)")):
            print(f"  {label:<50} {1000 * tui[what]:8.1f} ms "
                  f"(goal < 100 ms: {'met' if tui[what] < 0.1 else 'NOT met'})")
        print(f"  baseline: bare DataTable, same cells, sort + refresh: {1000 * bare:8.1f} ms"
              f"  -> ours / baseline {tui['sort'] / bare:.2f}x")

    values = [r.value(lb.AVERAGE) or 0.0 for r in board.rows]
    base, _ = timed(lambda: baseline(rows, values), args.repeat)
    print(f"baseline (sort plain lists + Rich render, same cells):  {1000 * base:8.1f} ms")
    print(f"ratio CLI build+sort+render / baseline:                 {warm_cli / base:8.2f}x")
    assert len(text) > 0


if __name__ == "__main__":
    main()
