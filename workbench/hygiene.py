"""Snapshot hygiene: can a model score on this exam without knowing the domain?

Figures over a snapshot's test split, each with what it means and what to do:

- answer letters: how often the key is A, B, C, D, and a chi-square test against an even
  spread (a model that prefers one letter gains where the key sits there more often);
- longest / shortest option: the score of a guesser that always picks the longest (or the
  shortest) option, ties split evenly, against blind guessing (1 / options per item);
- option length: how long the correct options are against the distractors, in characters;
- near-duplicate pairs left among the test questions (the same similarity the generation job
  flags with), and the questions' flags by kind;
- questions per document (coverage), documents of the project without a question;
- the smallest accuracy difference the snapshot can detect between two models.

Pure domain code (no store, no Textual): ``snapshot_hygiene`` in workbench.snapshots
gathers the items from the store.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any

from workbench.generation.dedup import THRESHOLD, similarity

LETTERS = "ABCDEFGHIJ"
# A guesser by option length that beats blind guessing by this many points makes the
# length a clue worth fixing.
LENGTH_CLUE_POINTS = 0.10
# Correct options this many times longer (or shorter) than the distractors on average.
LENGTH_RATIO_LIMIT = 1.25
BALANCE_ALPHA = 0.05
# Below this many test questions, letter shares and guesser scores move a lot by chance.
FEW_ITEMS = 20
DETECTABLE_LIMIT = 0.10


@dataclass(frozen=True)
class HygieneItem:
    """One test question as the report needs it."""

    question_id: int | None
    question: str
    options: list[str]
    answer_index: int
    document_id: int | None = None
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Figure:
    """One figure of the report: its value for people, and whether it needs attention."""

    key: str
    label: str
    value: str
    meaning: str
    advice: str
    warning: bool


@dataclass(frozen=True)
class HygieneReport:
    questions: int
    letter_counts: dict[str, int]
    letter_expected: dict[str, float]
    chi_square: float | None
    chi_square_df: int
    balance_p: float | None
    longest_score: float
    shortest_score: float
    chance_score: float
    correct_length: float
    distractor_length: float
    length_ratio: float | None
    near_duplicate_pairs: list[tuple[int | None, int | None, float]]
    flags: dict[str, int]
    per_document: dict[str, int]
    uncovered_documents: list[str]
    detectable_difference: float | None
    figures: list[Figure]

    @property
    def warnings(self) -> list[Figure]:
        return [f for f in self.figures if f.warning]

    def summary(self) -> str:
        """One line: how many figures need attention, and which."""
        if not self.warnings:
            return f"Hygiene: no warnings on {self.questions} test questions."
        names = "; ".join(f"{f.label}: {f.value}" for f in self.warnings)
        return f"Hygiene: {len(self.warnings)} warning(s): {names}."

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["near_duplicate_pairs"] = [
            {"question_ids": [a, b], "similarity": round(s, 4)}
            for a, b, s in self.near_duplicate_pairs]
        data["warnings"] = [f.key for f in self.warnings]
        data["summary"] = self.summary()
        return data


def letter_balance(items: list[HygieneItem]
                   ) -> tuple[dict[str, int], dict[str, float], float | None, int, float | None]:
    """Observed key letters, the counts an even spread gives (an item with k options adds
    1/k to each of its k letters), the chi-square statistic, its degrees of freedom and
    p-value (None for the statistic and p where fewer than two letters are possible)."""
    width = max((len(i.options) for i in items), default=0)
    letters = LETTERS[:width]
    observed = dict.fromkeys(letters, 0)
    expected = dict.fromkeys(letters, 0.0)
    for item in items:
        observed[letters[item.answer_index]] += 1
        for letter in letters[:len(item.options)]:
            expected[letter] += 1 / len(item.options)
    if len(letters) < 2 or not items:
        return observed, expected, None, 0, None
    from scipy.special import chdtrc

    statistic = sum((observed[k] - expected[k]) ** 2 / expected[k] for k in letters)
    df = len(letters) - 1
    return observed, expected, float(statistic), df, float(chdtrc(df, statistic))


def _guesser_score(items: list[HygieneItem], pick_longest: bool) -> float:
    """Mean score of always picking the longest (or shortest) option, a tie split evenly."""
    total = 0.0
    for item in items:
        lengths = [len(o) for o in item.options]
        target = max(lengths) if pick_longest else min(lengths)
        tied = [i for i, n in enumerate(lengths) if n == target]
        if item.answer_index in tied:
            total += 1 / len(tied)
    return total / len(items) if items else 0.0


def _lengths(items: list[HygieneItem]) -> tuple[float, float, float | None]:
    """Mean length of correct options and of distractors (characters), and their ratio."""
    correct = [len(i.options[i.answer_index]) for i in items]
    wrong = [len(o) for i in items for j, o in enumerate(i.options) if j != i.answer_index]
    mean_correct = sum(correct) / len(correct) if correct else 0.0
    mean_wrong = sum(wrong) / len(wrong) if wrong else 0.0
    return mean_correct, mean_wrong, (mean_correct / mean_wrong if mean_wrong else None)


def near_duplicate_pairs(items: list[HygieneItem], threshold: float = THRESHOLD
                         ) -> list[tuple[int | None, int | None, float]]:
    """Pairs of test questions at least ``threshold`` similar (word-set Jaccard, as the
    generation job's near-duplicate flag)."""
    pairs = []
    for a, b in combinations(items, 2):
        score = similarity(a.question, b.question)
        if score >= threshold:
            pairs.append((a.question_id, b.question_id, score))
    return pairs


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def hygiene_report(items: list[HygieneItem], documents: dict[int, str],
                   detectable: float | None) -> HygieneReport:
    """The report over ``items`` (a snapshot's test split). ``documents`` maps every document
    of the project to its title (for coverage); ``detectable`` is the smallest detectable
    accuracy difference for this many questions (workbench.results.stats)."""
    n = len(items)
    observed, expected, chi2, df, p = letter_balance(items)
    longest = _guesser_score(items, True)
    shortest = _guesser_score(items, False)
    chance = sum(1 / len(i.options) for i in items) / n if n else 0.0
    mean_correct, mean_wrong, ratio = _lengths(items)
    pairs = near_duplicate_pairs(items)
    flags = dict(sorted(Counter(f for i in items for f in i.flags).items()))
    per_doc_ids = Counter(i.document_id for i in items)
    per_document = {
        (documents.get(d, f"document {d} (deleted)") if d is not None else "(no document)"): c
        for d, c in per_doc_ids.most_common()}
    uncovered = [title for d, title in documents.items() if d not in per_doc_ids]
    few = n < FEW_ITEMS
    caveat = f" With only {n} questions these shares move a lot by chance." if few else ""

    figures: list[Figure] = []
    spread = ", ".join(f"{k} {v}" for k, v in observed.items())
    figures.append(Figure(
        "answer_letters", "Answer letters",
        f"{spread}" + (f" (chi-square {chi2:.2f}, df {df}, p = {p:.3f})" if p is not None else ""),
        "How often the key is each letter. A low p (< 0.05) means the spread is unlikely to be "
        "chance: a model that prefers one letter gains where the key sits there more often."
        + caveat,
        "Move keys to the rare letters by editing the options' order in Review, or "
        "regenerate: the generation job spreads keys evenly over A-D by design.",
        p is not None and p < BALANCE_ALPHA))
    figures.append(Figure(
        "longest_option", "Longest option",
        f"picking the longest option scores {_pct(longest)} (blind guessing {_pct(chance)})",
        "The score of a 'model' that always picks the longest option, ties split evenly. "
        "Well above blind guessing, the key gives itself away by its length." + caveat,
        "Edit the correct options to be as terse as the distractors, or the distractors to "
        "be as specific as the key.",
        longest - chance >= LENGTH_CLUE_POINTS))
    figures.append(Figure(
        "shortest_option", "Shortest option",
        f"picking the shortest option scores {_pct(shortest)} (blind guessing {_pct(chance)})",
        "The same for the shortest option: well above blind guessing, short keys are a clue."
        + caveat,
        "Make the distractors as short and plain as the keys.",
        shortest - chance >= LENGTH_CLUE_POINTS))
    figures.append(Figure(
        "option_length", "Option length",
        (f"correct {mean_correct:.0f} chars, distractors {mean_wrong:.0f} chars"
         + (f" (ratio {ratio:.2f})" if ratio is not None else "")),
        "Mean length of the correct options against the distractors. A ratio far from 1 "
        f"(outside {1 / LENGTH_RATIO_LIMIT:.2f}-{LENGTH_RATIO_LIMIT:.2f}) is a length bias "
        "a model can learn to exploit.",
        "Rewrite the options so that key and distractors are alike in length and detail.",
        ratio is not None and not 1 / LENGTH_RATIO_LIMIT <= ratio <= LENGTH_RATIO_LIMIT))
    figures.append(Figure(
        "near_duplicates", "Near-duplicate pairs",
        f"{len(pairs)} pair(s) of test questions with {_pct(THRESHOLD)}+ of their words in "
        "common",
        "Two questions that ask nearly the same thing count the same knowledge twice and "
        "make the error bars too narrow.",
        "Discard one of each pair in Review (filter on the near-duplicate flag), then build "
        "again.",
        bool(pairs)))
    figures.append(Figure(
        "flags", "Flags",
        ", ".join(f"{k} {v}" for k, v in flags.items()) or "none",
        "Questions approved while they carry a flag (near-duplicate, disagreement, ...): a "
        "person kept them, but they deserve a second look.",
        "Filter Review on each flag and confirm or discard those questions.",
        bool(flags)))
    figures.append(Figure(
        "coverage", "Questions per document",
        (", ".join(f"{t} {c}" for t, c in per_document.items())
         + (f"; no question from {len(uncovered)} document(s): {', '.join(uncovered)}"
            if uncovered else "")),
        "Where the test questions come from. A document without questions is not tested, "
        "and the score says nothing about it.",
        "Generate questions for the uncovered documents (Generate screen, or 'workbench "
        "generate --documents ...') and review them.",
        bool(uncovered)))
    figures.append(Figure(
        "detectable_difference", "Detectable difference",
        (f"{100 * detectable:.1f} points" if detectable is not None else "none"),
        "The smallest accuracy difference between two models that a paired comparison on "
        "this many questions detects with 80% power at the 5% level (baseline 50%). Smaller "
        "differences may be noise.",
        "Add questions to detect smaller differences (the error shrinks with the square root "
        "of their number); do not read gaps below this figure as real.",
        detectable is None or detectable > DETECTABLE_LIMIT))
    return HygieneReport(
        n, observed, expected, chi2, df, p, longest, shortest, chance, mean_correct, mean_wrong,
        ratio, pairs, flags, per_document, uncovered, detectable, figures)
