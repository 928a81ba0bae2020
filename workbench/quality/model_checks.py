"""Model checks: prompts, seeded balanced shuffles and the decisions. Light (no torch, no
lighteval): the CLI, the screens and the job all use it; only ``workbench.quality.job``
scores.

A judge model is scored the way lighteval scores multiple choice, by log-likelihood: in the
letters formulation (``mcf``) the continuations are " A", " B", ...; in the ``cloze``
formulation they are the options' own words (length-normalised per character, as
lighteval's ``acc_norm``). The prompt lists the options in both. Small models lean heavily
towards one letter (the bundled one towards "A"), so each check shows the options in
several orders, **balanced**: over ``rounds * n`` orders the key sits in every position
exactly ``rounds`` times, the other options in a seeded random order. Position bias then
cancels: a judge that always says "A" picks the key in exactly 1/n of the orders. The
judge's *pick* in one order is its top-scoring option; its *choice* is the option it picks
most often (ties: the higher mean share).

The bundled 135M model cannot read letters at all (measured: its top letter is "A" whatever
the content, so every pick is chance); it checks in the cloze formulation, which it can do
on easy, clearly written cases. Capable judges default to letters.

- **Open-book key check** (``open-book``): the prompt holds the source passage, the question
  and the options. When the judge's choice is not the key *and* it picks that option in more
  orders than chance allows (one-sided binomial test against 1/n at 5%: a judge with no
  opinion disputes nothing), the question is flagged ``key-disputed`` and the judge's
  choice is stored.
- **Options-only check** (``options-only``): the prompt holds the options and no question.
  When the judge's top letter is the key in more orders than chance allows (one-sided
  binomial test against 1/n at 5%), the question is flagged ``guessable``.

Flags never change a question's status: a person decides in Review.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import InvalidInput

OPEN_BOOK = "open-book"
OPTIONS_ONLY = "options-only"
CHECKS = (OPEN_BOOK, OPTIONS_ONLY)
KEY_DISPUTED = "key-disputed"
GUESSABLE = "guessable"
CHECK_FLAGS = {OPEN_BOOK: KEY_DISPUTED, OPTIONS_ONLY: GUESSABLE}
FLAG_MEANINGS = {
    KEY_DISPUTED: "a judge model given the passage chose another option than the key: check "
                  "the key against the passage",
    GUESSABLE: "a judge model shown only the options (no question) picks the key far more "
               "often than chance: the options give the answer away",
}
PROMPT_VERSIONS = {OPEN_BOOK: "open_book_v1", OPTIONS_ONLY: "options_only_v1"}
FORMULATIONS = ("mcf", "cloze")
LETTERS = "ABCDEFGHIJ"
ALPHA = 0.05
DEFAULT_ROUNDS = 2


def letter_choices(n: int) -> list[str]:
    """The continuations scored, as lighteval's letters formulation writes them."""
    return [f" {LETTERS[i]}" for i in range(n)]


def continuations(formulation: str, shown: Sequence[str]) -> list[str]:
    """What is scored after the prompt, one per shown option: " A".. or " <option>"."""
    if formulation == "mcf":
        return letter_choices(len(shown))
    if formulation == "cloze":
        return [f" {o.strip()}" for o in shown]
    raise InvalidInput(f"Unknown formulation '{formulation}'.",
                       f"Use one of {', '.join(FORMULATIONS)}.")


def _options_block(options: Sequence[str]) -> str:
    return "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(options))


def open_book_prompt(passage: str, question: str, options: Sequence[str]) -> str:
    return (f"Read the passage, then answer the question.\n\nPassage:\n{passage.strip()}\n\n"
            f"Question: {question.strip()}\n{_options_block(options)}\nAnswer:")


def options_only_prompt(options: Sequence[str]) -> str:
    return f"Exactly one of these answers is correct.\n{_options_block(options)}\nAnswer:"


def balanced_orders(n: int, key: int, seed: int, rounds: int = DEFAULT_ROUNDS
                    ) -> list[list[int]]:
    """``rounds * n`` orders of the option indexes (order[pos] = option shown at pos): the
    key at each position exactly ``rounds`` times, the other options shuffled with ``seed``."""
    if n < 2 or n > len(LETTERS):
        raise InvalidInput(f"A checked question needs 2 to {len(LETTERS)} options, not {n}.")
    if not 0 <= key < n:
        raise InvalidInput(f"The key {key} is not one of the {n} options.")
    rng = random.Random(seed)
    others = [i for i in range(n) if i != key]
    orders = []
    for _ in range(rounds):
        for pos in range(n):
            rest = others[:]
            rng.shuffle(rest)
            orders.append(rest[:pos] + [key] + rest[pos:])
    return orders


def binomial_tail(hits: int, trials: int, p: float) -> float:
    """P(X >= hits) for X ~ Binomial(trials, p)."""
    return min(1.0, sum(math.comb(trials, k) * p ** k * (1 - p) ** (trials - k)
                        for k in range(hits, trials + 1)))


@dataclass(frozen=True)
class CheckItem:
    """One question to check: its options in stored order, the key, the passage (None for
    imported questions, which then skip the open-book check)."""

    question_id: int
    question: str
    options: list[str]
    key: int
    passage: str | None


@dataclass(frozen=True)
class CheckPlan:
    """The prompts of one check of one question, one per order."""

    item: CheckItem
    kind: str
    seed: int
    orders: list[list[int]]
    prompts: list[str]
    continuations: list[list[str]]
    formulation: str = "mcf"

    @property
    def prompt_version(self) -> str:
        """What the stored result names: e.g. 'open_book_v1/cloze'."""
        return f"{PROMPT_VERSIONS[self.kind]}/{self.formulation}"


def plan_check(item: CheckItem, kind: str, seed: int, rounds: int = DEFAULT_ROUNDS,
               formulation: str = "mcf") -> CheckPlan | None:
    """The prompts of ``kind`` for ``item`` (None: the check does not apply, an open-book
    check of a question without a passage). The seed is mixed with the question id, so each
    question gets its own shuffles and a rerun the same ones."""
    if kind not in CHECKS:
        raise InvalidInput(f"Unknown check '{kind}'.", f"Use one of {', '.join(CHECKS)}.")
    if kind == OPEN_BOOK and not item.passage:
        return None
    question_seed = seed * 1_000_003 + item.question_id * 31 + CHECKS.index(kind)
    orders = balanced_orders(len(item.options), item.key, question_seed, rounds)
    prompts, conts = [], []
    for order in orders:
        shown = [item.options[i] for i in order]
        prompts.append(open_book_prompt(str(item.passage), item.question, shown)
                       if kind == OPEN_BOOK else options_only_prompt(shown))
        conts.append(continuations(formulation, shown))
    return CheckPlan(item, kind, seed, orders, prompts, conts, formulation)


@dataclass(frozen=True)
class CheckVerdict:
    question_id: int
    kind: str
    seed: int
    key: int
    choice: int  # the option the judge picks most often (ties: higher mean share)
    key_hits: int  # orders in which the judge's top option was the key
    trials: int
    key_probability: float  # the judge's mean share on the key
    p_value: float  # one-sided binomial test against 1/n: of key_hits (options-only), of
    # the choice's picks (open-book)
    flagged: bool
    choice_hits: int = 0
    option_probabilities: list[float] = field(default_factory=list)
    picks: list[int] = field(default_factory=list)

    @property
    def flag(self) -> str:
        return CHECK_FLAGS[self.kind]

    def details(self) -> dict[str, Any]:
        return {"option_probabilities": self.option_probabilities, "picks": self.picks,
                "choice_hits": self.choice_hits}


def _softmax(logprobs: Sequence[float]) -> list[float]:
    top = max(logprobs)
    exps = [math.exp(x - top) for x in logprobs]
    total = sum(exps)
    return [e / total for e in exps]


def decide(plan: CheckPlan, scores: Sequence[Sequence[float]]) -> CheckVerdict:
    """The verdict from the judge's log-likelihoods of each continuation, one list per order
    (cloze scores are divided by the continuation's length in characters first)."""
    if len(scores) != len(plan.orders):
        raise InvalidInput(f"Expected scores for {len(plan.orders)} prompts, got {len(scores)}.")
    n = len(plan.item.options)
    mean = [0.0] * n
    picks = []
    for order, conts, logprobs in zip(plan.orders, plan.continuations, scores, strict=True):
        if plan.formulation == "cloze":
            logprobs = [lp / max(len(c), 1) for lp, c in zip(logprobs, conts, strict=True)]
        probs = _softmax(logprobs)
        for pos, option in enumerate(order):
            mean[option] += probs[pos] / len(plan.orders)
        picks.append(order[max(range(n), key=probs.__getitem__)])
    key = plan.item.key
    hits = [sum(1 for p in picks if p == i) for i in range(n)]
    choice = max(range(n), key=lambda i: (hits[i], mean[i]))
    trials = len(picks)
    if plan.kind == OPEN_BOOK:
        p_value = binomial_tail(hits[choice], trials, 1 / n)
        flagged = choice != key and p_value < ALPHA
    else:
        p_value = binomial_tail(hits[key], trials, 1 / n)
        flagged = p_value < ALPHA
    return CheckVerdict(
        question_id=plan.item.question_id, kind=plan.kind, seed=plan.seed, key=key,
        choice=choice, key_hits=hits[key], trials=trials, key_probability=mean[key],
        p_value=p_value, flagged=flagged, option_probabilities=mean, picks=picks,
        choice_hits=hits[choice],
    )


def flags_after(current: Sequence[str], verdicts: Sequence[CheckVerdict]) -> list[str]:
    """A question's flags once these checks are in: each check's flag set when it flagged,
    cleared when it did not (a fixed key loses ``key-disputed``); other flags kept."""
    flags = set(current)
    for v in verdicts:
        if v.flagged:
            flags.add(v.flag)
        else:
            flags.discard(v.flag)
    return sorted(flags)
