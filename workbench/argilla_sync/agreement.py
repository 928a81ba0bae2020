"""Agreement between annotators: Cohen's kappa when exactly two people annotated, Krippendorff's
alpha (nominal) when more did, each with a bootstrap interval over records.

Pure functions on plain tables ({record: {annotator: label}}); no store, no SDK. A label is
whatever the annotator decided: an answer letter, or ``discarded``. Records with fewer than
two labels say nothing about agreement and are left out (alpha ignores them by definition;
kappa needs both annotators' labels).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from store.argilla import ArgillaResponseRow
from workbench.argilla_sync.payload import LETTERS

Table = Mapping[Any, Mapping[str, str]]  # {record: {annotator: label}}
if TYPE_CHECKING:  # numpy is imported where it is used: the TUI shows figures, never computes
    import numpy.typing as npt

    NDArray = npt.NDArray[Any]
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


def _codes(labels: Iterable[str]) -> dict[str, int]:
    return {label: i for i, label in enumerate(sorted(set(labels)))}


def _kappa_coded(first: NDArray, second: NDArray, k: int) -> float | None:
    import numpy as np

    n = len(first)
    if n == 0:
        return None
    observed = float(np.mean(first == second))
    expected = float(np.dot(np.bincount(first, minlength=k), np.bincount(second, minlength=k))
                     ) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def _pairs_coded(pairs: list[tuple[str, str]]) -> tuple[NDArray, NDArray, int]:
    import numpy as np

    code = _codes(label for pair in pairs for label in pair)
    first = np.array([code[a] for a, _ in pairs], dtype=np.int64)
    second = np.array([code[b] for _, b in pairs], dtype=np.int64)
    return first, second, len(code)


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two annotators' labels on the same records: (p_o - p_e) / (1 - p_e),
    with p_e from each annotator's own label frequencies. None when p_e is 1 (both used a
    single, identical label throughout) or there are no pairs."""
    return _kappa_coded(*_pairs_coded(pairs))


def _alpha_coded(data: NDArray, k: int) -> float | None:
    import numpy as np
    from krippendorff import alpha

    present = np.unique(data[~np.isnan(data)])
    if len(present) < 2:
        return None
    value = float(alpha(reliability_data=data, level_of_measurement="nominal",
                        value_domain=list(range(k))))
    return None if np.isnan(value) else value


def _units_coded(units: list[dict[str, str]]) -> tuple[NDArray, int]:
    """An annotators x records matrix of label codes (NaN where one did not answer)."""
    import numpy as np

    code = _codes(label for u in units for label in u.values())
    annotators = {a: i for i, a in enumerate(sorted({a for u in units for a in u}))}
    data = np.full((len(annotators), len(units)), np.nan)
    for j, unit in enumerate(units):
        for annotator, label in unit.items():
            data[annotators[annotator], j] = code[label]
    return data, len(code)


def krippendorff_alpha(units: list[dict[str, str]]) -> float | None:
    """Krippendorff's alpha, nominal, by the ``krippendorff`` package: ``units`` holds one
    {annotator: label} per record (missing answers simply absent). None when fewer than two
    distinct labels occur or no record has two labels."""
    pairable = [u for u in units if len(u) >= 2]
    if not pairable:
        return None
    return _alpha_coded(*_units_coded(pairable))


def bootstrap_interval(
    size: int, statistic: Callable[[NDArray], float | None], *,
    draws: int = DRAWS, seed: int = SEED, level: float = LEVEL,
) -> tuple[float | None, float | None]:
    """Percentile interval of ``statistic`` over ``draws`` resamples of ``size`` records
    (with replacement, same size, seeded): ``statistic`` gets each resample's record indices.
    Resamples where the statistic is undefined are left out; (None, None) when fewer than
    half of them are defined."""
    import numpy as np

    if size < 2:
        return None, None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(draws):
        value = statistic(rng.integers(0, size, size))
        if value is not None:
            values.append(value)
    if len(values) < draws / 2:
        return None, None
    tail = (1.0 - level) / 2
    low, high = np.percentile(values, [100 * tail, 100 * (1.0 - tail)])
    return float(low), float(high)


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
    import numpy as np

    units = [dict(labels) for labels in table.values() if len(labels) >= 2]
    annotators = sorted({a for u in units for a in u})
    if len(annotators) == 2:
        first, second = annotators
        a, b, k = _pairs_coded([(u[first], u[second]) for u in units])
        value = _kappa_coded(a, b, k)
        low, high = (None, None) if value is None else bootstrap_interval(
            len(units), lambda idx: _kappa_coded(a[idx], b[idx], k),
            draws=draws, seed=seed, level=level)
        return Agreement(COHEN, value, low, high, len(units), 2, draws, level)
    data, k = _units_coded(units) if units else (np.empty((0, 0)), 0)
    value = _alpha_coded(data, k) if units else None
    low, high = (None, None) if value is None else bootstrap_interval(
        len(units), lambda idx: _alpha_coded(data[:, idx], k),
        draws=draws, seed=seed, level=level)
    return Agreement(KRIPPENDORFF, value, low, high, len(units), len(annotators), draws, level)
