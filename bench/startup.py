"""Cold start of the TUI to its first screen with 100k questions in the store, against a
bare Textual app started the same way (a fresh Python process each time).

    .venv/bin/python bench/startup.py [--questions 100000] [--runs 7]

Prints the median and spread of both and their ratio. Goal: ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BARE = textwrap.dedent("""
    from textual.app import App
    from textual.widgets import DataTable, Footer, Header
    class Bare(App):
        def compose(self):
            yield Header(); yield DataTable(); yield Footer()
        def on_mount(self):
            self.query_one(DataTable).add_columns("Name", "Docs")
            self.call_after_refresh(self.exit)
    Bare().run(headless=True)
""")

OURS = textwrap.dedent("""
    from screens.app import WorkbenchApp
    from workbench.settings import load_settings
    class Timed(WorkbenchApp):
        def on_mount(self):
            super().on_mount()  # opens the store and pushes the Projects screen
            self.call_after_refresh(self.exit)
    Timed(load_settings()).run(headless=True)
""")


def fill_store(home: Path, questions: int) -> None:
    from store import Store
    from store.records import NewQuestion
    from workbench.bundled_model import register_bundled_models
    from workbench.demo import create_demo_project
    from workbench.settings import load_settings

    settings = load_settings({"WORKBENCH_HOME": str(home)})
    store = Store(settings.store_path)
    register_bundled_models(store)
    project = create_demo_project(store, settings)
    statuses = ["pending", "approved", "discarded", "rejected"]
    batch = [
        NewQuestion(project.id, f"Generated question number {i}?", [f"option {j}" for j in range(4)],
                    i % 4, status=statuses[i % 4], model_name="bench")
        for i in range(questions)
    ]
    store.add_questions(batch)
    store.close()


def time_process(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=REPO,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        t0 = time.perf_counter()
        fill_store(home, args.questions)
        print(f"store with {args.questions:,} questions built in {time.perf_counter() - t0:.1f} s")
        env = {**os.environ, "WORKBENCH_HOME": str(home), "PYTHONPATH": str(REPO)}
        time_process(BARE, env)  # warm the page cache once for both
        time_process(OURS, env)
        bare, ours = [], []
        for _ in range(args.runs):  # interleaved, so machine noise hits both alike
            bare.append(time_process(BARE, env))
            ours.append(time_process(OURS, env))
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"bare Textual app : median {b * 1000:7.0f} ms  (min {min(bare) * 1000:.0f}, max {max(bare) * 1000:.0f})")
    print(f"workbench        : median {o * 1000:7.0f} ms  (min {min(ours) * 1000:.0f}, max {max(ours) * 1000:.0f})")
    print(f"ratio workbench / bare: {o / b:.2f}  (goal <= 1.5)")


if __name__ == "__main__":
    main()
