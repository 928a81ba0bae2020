"""CPU the TUI uses while the user does nothing, per screen, with no job and with one job.

    .venv/bin/python bench/idle_cpu.py [--seconds 15] [--settle 2] [--screens dashboard,review]

Starts the real app headless at 80x24 on a fresh store (the demo project, as a first start
creates it), opens each screen in turn, lets it settle, then measures the app process's CPU
time (``time.process_time``: every thread, the job watcher's included) over a fixed window
of wall time. The share is CPU seconds / wall seconds, in % of one core. Goal: <= 0.5 % with
no job running.

Then it starts one real job process (the job machinery's own 'sleep' kind from
tests/jobs/sleep_job.py, named through WORKBENCH_JOB_KINDS as the job tests do; it reports
progress every ``--step`` seconds) and measures every screen again: the screens that show
jobs redraw on each change, so their share is the cost of following a job.

For each window it also prints what woke the app: Textual timer ticks by owner and interval
(a blinking cursor, a ProgressBar's clock or animation, a screen's own interval) and how
many times the job watcher read the store. No assertions: figures.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from textual.timer import Timer

from screens.app import WorkbenchApp
from screens.dashboard import DashboardScreen
from screens.navigation import PROJECT_SCREENS
from store.records import Project
from workbench.jobs.launch import cancel_and_wait, start_job
from workbench.settings import load_settings

SCREENS = ["projects", "dashboard", *PROJECT_SCREENS]
GOAL_PERCENT = 0.5


class TimerTicks:
    """Counts Textual timer ticks by (owner class, interval) while ``counting``."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.counting = False
        original = Timer._tick
        ticks = self

        async def counted_tick(timer: Timer, *args: Any, **kwargs: Any) -> None:
            if ticks.counting:
                owner = timer._target_repr.split("(")[0]
                ticks.counts[f"{owner} every {timer._interval:g}s"] += 1
            await original(timer, *args, **kwargs)

        Timer._tick = counted_tick  # type: ignore[method-assign]


async def measure(app: WorkbenchApp, pilot: Any, ticks: TimerTicks, settle: float,
                  seconds: float) -> tuple[float, int, str]:
    """(CPU % of one core, watcher looks, top wakers) over ``seconds`` after ``settle``."""
    await pilot.pause()
    await asyncio.sleep(settle)
    ticks.counts.clear()
    looks = app.job_watcher.looks
    ticks.counting = True
    wall0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.sleep(seconds)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    ticks.counting = False
    wakers = ", ".join(f"{name} x{n}" for name, n in ticks.counts.most_common(3)) or "-"
    return 100 * (cpu1 - cpu0) / (wall1 - wall0), app.job_watcher.looks - looks, wakers


def open_screen(app: WorkbenchApp, name: str, project: Project) -> None:
    if name == "dashboard":
        app.push_screen(DashboardScreen(project))
    elif name != "projects":  # the Projects screen is the app's first screen
        app.open_project_screen(name, project)


async def run_all(app: WorkbenchApp, screens: list[str], settle: float, seconds: float,
                  ticks: TimerTicks) -> list[tuple[str, float, int, str]]:
    rows = []
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.store is not None
        project = app.store.list_projects()[0]  # the demo project
        for name in screens:
            open_screen(app, name, project)
            percent, looks, wakers = await measure(app, pilot, ticks, settle, seconds)
            rows.append((name, percent, looks, wakers))
            print(f"  {name:<12} {percent:6.2f} %  watcher looks {looks:>3}  wakers: {wakers}",
                  flush=True)
            if name != "projects":
                app.pop_screen()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="measured window per screen")
    parser.add_argument("--settle", type=float, default=2.0, help="wait after opening a screen")
    parser.add_argument("--step", type=float, default=1.0, help="the job's seconds per step")
    parser.add_argument("--screens", default=",".join(SCREENS))
    args = parser.parse_args()
    screens = [s for s in args.screens.split(",") if s]

    home = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    # Named for this process and inherited by the job process, as tests/jobs/conftest.py does.
    os.environ["WORKBENCH_HOME"] = str(home)
    os.environ["WORKBENCH_JOB_KINDS"] = "sleep=sleep_job:run_sleep_job"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "tests" / "jobs"), os.environ.get("PYTHONPATH")) if p)
    settings = load_settings()
    ticks = TimerTicks()
    print(f"app process CPU, % of one core, {args.seconds:g} s per screen, 80x24, headless; "
          f"goal <= {GOAL_PERCENT} % idle")

    print("no job running:")
    idle = asyncio.run(run_all(WorkbenchApp(settings), screens, args.settle, args.seconds, ticks))

    from store import Store

    store = Store(settings.store_path)
    project = store.list_projects()[0]
    steps = int((len(screens) * (args.seconds + args.settle + 2) + 30) / args.step)
    job = start_job(store, settings, "sleep", {"steps": steps, "seconds": args.step}, project.id)
    print(f"one job running (job {job.id}, 'sleep', a step every {args.step:g} s):")
    try:
        busy = asyncio.run(run_all(WorkbenchApp(settings), screens, args.settle, args.seconds,
                                   ticks))
    finally:
        cancel_and_wait(store, settings, job.id, grace_seconds=5)
        store.close()

    print("\nscreen        no job   one job")
    for (name, a, _l, _w), (_n, b, _l2, _w2) in zip(idle, busy, strict=True):
        mark = "" if a <= GOAL_PERCENT else "  (above goal)"
        print(f"{name:<12} {a:6.2f} %  {b:6.2f} %{mark}")
    print(f"max idle {max(r[1] for r in idle):.2f} %, max with a job {max(r[1] for r in busy):.2f} %")


if __name__ == "__main__":
    main()
