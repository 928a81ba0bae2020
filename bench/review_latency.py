"""Review screen latency with 100k questions in the store.

    .venv/bin/python bench/review_latency.py [--questions 100000] [--steps 200]

Opens the Review screen headless at 80x24 and presses real keys through Textual's Pilot.
For each key it measures the latency a reviewer feels: from the key press to the end of the
frame that shows the result (key handling, store write and reads, layout and render, and
Textual's frame timer), for accept, answer, next, previous, skip and undo. It also times the
decision handler alone (no render).

Baseline, measured in the same run: a bare Textual screen (Header, one Static, Footer) whose
key only changes the Static's text, timed the same way. Each p95 is printed with its ratio to
the baseline's p95. Goal: p95 < 50 ms per decision and per move. No assertions: figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from screens.app import WorkbenchApp
from store import Store
from store.records import ChunkSpan, NewDocument, NewQuestion, Project
from workbench.settings import load_settings

SENTENCES = [
    "The mitochondrion produces most of the cell's ATP through respiration.",
    "Ribosomes build proteins from amino acids carried by transfer RNA.",
    "The nucleus stores the genetic material and controls gene expression.",
    "Chloroplasts capture light energy and fix carbon in plant cells.",
    "The cell membrane controls what enters and leaves the cell.",
]


# Every third card is too tall for its share of an 80x24 screen and scrolls.
EXPLANATIONS = [
    "The passage says so.",
    "The passage names the mitochondrion as the site of respiration.",
    " ".join(SENTENCES) + " " + " ".join(SENTENCES),
]


def fill_store(path: Path, questions: int, chunks: int = 1000) -> Project:
    """One project, one document of ``chunks`` passages, ``questions`` pending questions."""
    store = Store(path)
    project = store.create_project("bench")
    # Half the passages are short; the other half are long (about 1,500 characters) with
    # the sentence that supports the answer at the end, so showing them means scrolling.
    passages = [
        " ".join(SENTENCES[(i + k) % 5] for k in range(8)) if i % 2 == 0
        else " ".join(SENTENCES[1 + (i + k) % 4] for k in range(20)) + " " + SENTENCES[0]
        for i in range(chunks)
    ]
    text = "\n\n".join(passages)
    spans, start = [], 0
    for i, passage in enumerate(passages):
        spans.append(ChunkSpan(i, start, start + len(passage), passage))
        start += len(passage) + 2
    doc = store.add_document(project.id, NewDocument(
        "bench.txt", "Bench corpus", "bench-hash", "utf-8", len(text), text), spans)
    assert doc is not None
    chunk_ids = [c.id for c in store.document_chunks(doc.id)]
    store.add_questions(
        NewQuestion(
            project_id=project.id, question=f"Question {i}: what produces ATP in the cell?",
            options=[f"Mitochondrion {i}", f"Nucleus {i}", f"Ribosome {i}", f"Vacuole {i}"],
            answer_index=i % 4, explanation=EXPLANATIONS[i % 3], document_id=doc.id,
            chunk_id=chunk_ids[i % len(chunk_ids)], model_name=f"model-{i % 3}",
            backend="transformers", prompt_version="v1", seed=i,
            flags=["near-duplicate"] if i % 97 == 0 else [],
        )
        for i in range(questions)
    )
    store.close()
    return project


class Frames:
    """Wraps Screen._compositor_refresh (the step that renders the changed regions and writes
    them to the terminal, after any layout) to know when the last frame after a key press
    ended."""

    def __init__(self) -> None:
        self.last_end = 0.0
        self.last_end_cpu = 0.0
        self.count = 0
        self.per_key: list[int] = []  # frames each measured key press caused
        self.ends: list[float] = []  # end times of the top screen's frames, when cleared
        original = Screen._compositor_refresh
        frames = self

        def timed_refresh(screen: Screen[Any], *args: Any, **kwargs: Any) -> Any:
            result = original(screen, *args, **kwargs)
            frames.last_end = time.perf_counter()
            frames.count += 1
            if screen is screen.app.screen and len(frames.ends) < 100:
                frames.ends.append(frames.last_end)  # for the opening only (see run)
            frames.last_end_cpu = time.process_time()
            return result

        Screen._compositor_refresh = timed_refresh  # type: ignore[method-assign,assignment]


class Baseline(Screen[None]):
    """The least a keyed update can cost in Textual: change one Static's text."""

    BINDINGS: ClassVar[list[BindingType]] = [("k", "bump", "bump")]
    count = 0

    def compose(self) -> Any:
        yield Header()
        yield Static("0", id="count")
        yield Footer()

    def action_bump(self) -> None:
        self.count += 1
        self.query_one("#count", Static).update(str(self.count))


def p95_ms(samples: list[float]) -> float:
    ms = sorted(s * 1000 for s in samples)
    return ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def summary(name: str, samples: list[float], baseline: float | None) -> str:
    ms = sorted(s * 1000 for s in samples)
    ratio = f"{p95_ms(samples) / baseline:5.1f}x" if baseline else "     -"
    return (f"{name:30} n={len(ms):4}  p50 {statistics.median(ms):6.1f}  p95 "
            f"{p95_ms(samples):6.1f}  max {ms[-1]:6.1f} ms  {ratio}")


async def key_latency(
    pilot: Any, frames: Frames, key: str, n: int
) -> tuple[list[float], list[float]]:
    """Key press to the end of the last frame it caused: wall time, and this process's CPU
    time (which other programs on a busy machine do not inflate)."""
    wall, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        before = frames.count
        await pilot.press(key)
        await pilot.pause()
        frames.per_key.append(frames.count - before)
        wall.append(max(frames.last_end - start, 0.0))
        cpu.append(max(frames.last_end_cpu - start_cpu, 0.0))
    return wall, cpu


async def run(questions: int, steps: int) -> None:
    frames = Frames()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"WORKBENCH_HOME": tmp, "WORKBENCH_REVIEWER": "bench"})
        t0 = time.perf_counter()
        project = fill_store(settings.store_path, questions)
        print(f"store: {questions:,} questions written in {time.perf_counter() - t0:.1f} s")

        app = WorkbenchApp(settings)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.push_screen(Baseline())
            await pilot.pause()
            results: dict[str, tuple[list[float], list[float]]] = {}
            results["baseline: bare Static update"] = await key_latency(pilot, frames, "k", steps)
            app.pop_screen()
            await pilot.pause()

            from screens.review import ReviewScreen

            # The first opening also parses the screen's stylesheet; later ones do not.
            for attempt in ("first time", "again"):
                if attempt == "again":
                    app.pop_screen()
                    await pilot.pause()
                t0 = time.perf_counter()
                app.open_project_screen("review", project)
                frames.ends.clear()
                await pilot.pause()
                first = next(end for end in frames.ends if end > t0)
                print(f"open the Review screen ({attempt}): first frame {(first - t0) * 1000:.0f}"
                      f" ms, settled {(frames.last_end - t0) * 1000:.0f} ms (Textual's Footer"
                      " recomposes its keys a frame or two later)")
            screen = app.screen
            assert isinstance(screen, ReviewScreen)

            for name, key in [("accept (enter)", "enter"), ("answer (2)", "2"),
                              ("previous (left)", "left"), ("next (right)", "right"),
                              ("skip (space)", "space"), ("undo (u)", "u")]:
                results[name] = await key_latency(pilot, frames, key, steps)

            # Far into the store, where a scan from the start would cost the most.
            assert app.store is not None
            last = app.store.neighbour_question_id(project.id, screen.filt, 10**12, forward=False)
            screen.show_question(last)
            await pilot.pause()
            results["accept near the end (enter)"] = await key_latency(
                pilot, frames, "enter", steps // 4)

            wall, cpu = [], []
            for _ in range(steps):
                t0, c0 = time.perf_counter(), time.process_time()
                screen.action_accept()
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                await pilot.pause()
            results["accept handler alone"] = (wall, cpu)

            keys = frames.per_key
            print(f"frames per key press: mean {statistics.mean(keys):.2f}, max {max(keys)}"
                  " (each extra frame waits for Textual's frame timer)")
            load = os.getloadavg()[0]
            print(f"load average {load:.1f} on {os.cpu_count()} CPUs (wall times inflate when"
                  " the machine is busy; CPU times do not)")
            for column, label in ((0, "wall"), (1, "CPU")):
                base = p95_ms(results["baseline: bare Static update"][column])
                print(f"-- {label} time, key press to end of frame")
                for name, samples in results.items():
                    print(summary(name, samples[column],
                                  None if name.startswith("baseline") else base))
                worst = max(p95_ms(v[column]) for k, v in results.items()
                            if not k.startswith("baseline"))
                print(f"worst p95 {worst:.1f} ms (goal < 50 ms); baseline p95 {base:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.questions, args.steps))


if __name__ == "__main__":
    main()
