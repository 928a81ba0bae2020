"""A larger exam for the evaluation benchmarks: the demo project plus generated questions.

The demo project has 17 approved questions: too few for evaluation timings, where start-up
(imports, model load) would dominate. ``demo_exam(store, settings, extra, folder)`` adds
``extra`` generated arithmetic word problems (four numeric options, one right) through the
ordinary question-bank import, so both formulations have realistic prompt and option lengths.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

TEMPLATES = (
    "What is {a} plus {b}?",
    "A crate holds {a} apples and a second crate holds {b} apples. How many apples are "
    "there in the two crates together?",
    "A train travels {a} kilometres in the morning and {b} kilometres in the afternoon. "
    "How many kilometres does it travel that day?",
    "A library owns {a} novels and buys {b} more this year. How many novels does it own "
    "at the end of the year?",
)


def generated_rows(count: int) -> list[list[str]]:
    """``count`` questions in the MMLU CSV layout (question, four options, answer letter)."""
    rows = []
    for i in range(count):
        a, b = 13 + 17 * i % 400, 6 + 11 * i % 300
        right = a + b
        at = i % 4
        wrong = [right + 10, right - 1, right + 100]
        options = [str(x) for x in wrong[:at] + [right] + wrong[at:]]
        rows.append([TEMPLATES[i % len(TEMPLATES)].format(a=a, b=b), *options, "ABCD"[at]])
    return rows


def demo_exam(store: Any, settings: Any, extra: int, folder: Path) -> Any:
    """The demo project with ``extra`` generated questions imported (approved)."""
    from workbench.demo import create_demo_project
    from workbench.question_bank import import_bank

    project = create_demo_project(store, settings)
    if extra:
        path = folder / "generated-questions.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(generated_rows(extra))
        import_bank(store, project, path)
    return project
