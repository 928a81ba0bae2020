"""Option order: the correct answer's position is balanced across A-D within a job, and the
whole order is reproducible from the recorded seed.

The k-th accepted question of a job takes position ``perm(block)[k % 4]``, where ``perm`` is
a permutation of 0..3 drawn from ``Random(f"{seed}:{k // 4}")``: every block of four
questions uses each letter once, so the letters never drift apart by more than one block.
A resumed job counts the questions it already stored, so it continues the same sequence.
"""

from __future__ import annotations

import random

from workbench.generation.validation import DraftQuestion

OPTION_COUNT = 4


def answer_position(seed: int, k: int) -> int:
    """Where the correct answer goes for the job's ``k``-th accepted question (0-based)."""
    order = list(range(OPTION_COUNT))
    random.Random(f"{seed}:{k // OPTION_COUNT}").shuffle(order)
    return order[k % OPTION_COUNT]


def place_options(draft: DraftQuestion, seed: int, k: int, item_key: str) -> tuple[list[str], int]:
    """The four options in display order and the correct answer's index."""
    position = answer_position(seed, k)
    wrong = list(draft.distractors)
    random.Random(f"{seed}:{item_key}").shuffle(wrong)
    options = wrong[:position] + [draft.correct_answer] + wrong[position:]
    return options, position
