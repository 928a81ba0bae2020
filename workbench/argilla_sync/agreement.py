"""Agreement between annotators: Cohen's kappa when exactly two people annotated, Krippendorff's
alpha (nominal) when more did, each with a bootstrap interval over records.

Pure functions on plain tables ({record: {annotator: label}}); no store, no SDK. A label is
whatever the annotator decided: an answer letter, or ``discarded``. Records with fewer than
two labels say nothing about agreement and are left out (alpha ignores them by definition;
kappa needs both annotators' labels).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from store.argilla import ArgillaResponseRow
from workbench.argilla_sync.payload import LETTERS

Table = Mapping[Any, Mapping[str, str]]  # {record: {annotator: label}}
COHEN = "cohen_kappa"
KRIPPENDORFF = "krippendorff_alpha"
DRAWS = 1000
SEED = 20261207
LEVEL = 0.95


@dataclass(frozen=True)
class Agreement:
    """One dataset's agreement figure. ``value`` is None when it is undefined (fewer than two
    records with two labels, or everyone used one label throughout: no variation to agree
    on); ``low``/``high`` are the bootstrap percentile interval, None when undefined."""

    statistic: str  # cohen_kappa | krippendorff_alpha
    value: float | None
    low: float | None
    high: float | None
    records: int  # records with at least two labels (the ones the figure uses)
    annotators: int  # distinct annotators over those records
    draws: int
    level: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def label(self) -> str:
        return "Cohen's kappa" if self.statistic == COHEN else "Krippendorff's alpha"

    def describe(self) -> str:
        """One line, e.g. "Krippendorff's alpha 0.62 (95% 0.41 to 0.80), 3 annotators, 40 records"."""
        if self.value is None:
            return (f"{self.label}: not defined yet ({self.records} records with two or more"
                    f" answers, {self.annotators} annotators)")
        interval = ("" if self.low is None or self.high is None else
                    f" ({self.level:.0%} {self.low:.2f} to {self.high:.2f})")
        return (f"{self.label} {self.value:.2f}{interval}, {self.annotators} annotators,"
                f" {self.records} records")


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two annotators' labels on the same records: (p_o - p_e) / (1 - p_e),
    with p_e from each annotator's own label frequencies. None when p_e is 1 (both used a
    single, identical label throughout) or there are no pairs."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for a, b in pairs if a == b) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[k] * second[k] for k in first) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha(units: list[dict[str, str]]) -> float | None:
    """Krippendorff's alpha, nominal, by the ``krippendorff`` package: ``units`` holds one
    {annotator: label} per record (missing answers simply absent). None when fewer than two
    distinct labels occur or no record has two labels."""
    import numpy as np
    from krippendorff import alpha

    pairable = [u for u in units if len(u) >= 2]
    labels = sorted({label for u in pairable for label in u.values()})
    if len(labels) < 2:
        return None
    annotators = sorted({a for u in pairable for a in u})
    code = {label: i for i, label in enumerate(labels)}
    data = np.full((len(annotators), len(pairable)), np.nan)
    row = {a: i for i, a in enumerate(annotators)}
    for j, unit in enumerate(pairable):
        for annotator, label in unit.items():
            data[row[annotator], j] = code[label]
    return float(alpha(reliability_data=data, level_of_measurement="nominal",
                       value_domain=list(range(len(labels)))))


def bootstrap_interval(
    units: list[Any], statistic: Callable[[list[Any]], float | None], *,
    draws: int = DRAWS, seed: int = SEED, level: float = LEVEL,
) -> tuple[float | None, float | None]:
    """Percentile interval of ``statistic`` over ``draws`` resamples of ``units`` (with
    replacement, same size, seeded). Resamples where the statistic is undefined are left out;
    (None, None) when fewer than half of them are defined."""
    if len(units) < 2:
        return None, None
    rng = random.Random(seed)
    values = []
    for _ in range(draws):
        sample = [units[rng.randrange(len(units))] for _ in units]
        value = statistic(sample)
        if value is not None:
            values.append(value)
    if len(values) < draws / 2:
        return None, None
    values.sort()
    tail = (1.0 - level) / 2
    return _percentile(values, tail), _percentile(values, 1.0 - tail)


def _percentile(ordered: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    position = q * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def response_label(status: str, answer_index: int | None) -> str | None:
    """What an annotator decided, as a nominal label: the answer letter, or ``discarded``;
    None for a submitted response without a valid answer."""
    if status == "discarded":
        return "discarded"
    if answer_index is None or not 0 <= answer_index < len(LETTERS):
        return None
    return LETTERS[answer_index]


def responses_table(rows: Iterable[ArgillaResponseRow]) -> dict[int, dict[str, str]]:
    """{question id: {annotator: label}} from pulled responses."""
    table: dict[int, dict[str, str]] = {}
    for row in rows:
        label = response_label(row.status, row.answer_index)
        if label is not None:
            table.setdefault(row.question_id, {})[row.annotator] = label
    return table


def dataset_agreement(table: Table, *, draws: int = DRAWS, seed: int = SEED,
                      level: float = LEVEL) -> Agreement:
    """Kappa when exactly two annotators labelled the records that have two labels, alpha
    otherwise (three or more, each record possibly by a different subset)."""
    units = [dict(labels) for labels in table.values() if len(labels) >= 2]
    annotators = sorted({a for u in units for a in u})
    if len(annotators) == 2:
        first, second = annotators
        pairs = [(u[first], u[second]) for u in units]
        value = cohen_kappa(pairs)
        low, high = (None, None) if value is None else bootstrap_interval(
            pairs, cohen_kappa, draws=draws, seed=seed, level=level)
        return Agreement(COHEN, value, low, high, len(units), 2, draws, level)
    value = krippendorff_alpha(units)
    low, high = (None, None) if value is None else bootstrap_interval(
        units, krippendorff_alpha, draws=draws, seed=seed, level=level)
    return Agreement(KRIPPENDORFF, value, low, high, len(units), len(annotators), draws, level)
