"""Error bars and paired comparisons computed from per-sample results.

Everything here is a pure function of score lists: no store, no Textual. The formulas:

- accuracy: the mean, its i.i.d. standard error ``sqrt(s^2 / n)`` (sample variance, n-1),
  and a normal 95% interval;
- clustered standard error (Miller 2024, "Adding Error Bars to Evals", Appendix A):
  ``SE_c^2 = SE^2 + 1/n^2 * sum_c sum_{i != j in c} (x_i - mean)(x_j - mean)``; with every
  question in its own cluster it equals the i.i.d. one;
- the average over tasks pools the tasks' variances (and covariances where tasks share
  questions) instead of averaging their errors;
- paired difference: the mean of per-question differences with its paired standard error,
  and McNemar's test on the discordant pairs: mid-p (exact binomial, Fagerland et al. 2013)
  when there are fewer than 25, chi-square with continuity correction otherwise;
- power: the smallest difference a paired comparison on n questions detects, and the
  questions needed to separate two accuracies (normal approximation, two-sided).

Distributions come from scipy (``scipy.special`` ufuncs and ``scipy.optimize.brentq``);
tests check every figure against scipy.stats / statsmodels and hand-computed cases.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from workbench.errors import InvalidInput

ALPHA = 0.05
POWER = 0.8
# Below this many discordant pairs McNemar uses the exact binomial (mid-p); at or above it,
# chi-square with continuity correction (the usual rule, e.g. statsmodels' docs).
EXACT_BELOW = 25


def _z(q: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(q))


def _ncdf(x: float) -> float:
    from scipy.special import ndtr

    return float(ndtr(x))


Z95 = 1.959963984540054  # ndtri(0.975); a test checks it against scipy


def normal_interval(center: float, stderr: float) -> tuple[float, float]:
    """95% normal interval around ``center``."""
    half = Z95 * stderr
    return (center - half, center + half)


def preferred_stderr(stderr: float, clustered: float | None) -> float:
    """The error to show: clustered when questions share sources, else i.i.d."""
    return stderr if clustered is None else clustered


# -- one model on one task --------------------------------------------------------------
@dataclass(frozen=True)
class Accuracy:
    """Mean score with its error bars. ``clustered_stderr`` is None without cluster info."""

    value: float
    stderr: float
    n: int
    clustered_stderr: float | None = None
    clusters: int | None = None

    @property
    def best_stderr(self) -> float:
        """The error to show: clustered when questions share sources, else i.i.d."""
        return preferred_stderr(self.stderr, self.clustered_stderr)

    @property
    def interval(self) -> tuple[float, float]:
        """95% normal interval around the mean, from ``best_stderr``."""
        return normal_interval(self.value, self.best_stderr)

    @property
    def widened(self) -> bool:
        """Whether clustering made the interval wider than the i.i.d. one."""
        return self.clustered_stderr is not None and self.clustered_stderr > self.stderr * (
            1 + 1e-9
        ) + 1e-15

    @property
    def design_effect(self) -> float:
        """Variance inflation from clustering (1.0 without clusters)."""
        if self.clustered_stderr is None or self.stderr == 0:
            return 1.0
        return (self.clustered_stderr / self.stderr) ** 2


def _check_scores(scores: Sequence[float]) -> int:
    n = len(scores)
    if n == 0:
        raise InvalidInput("There are no per-sample results to compute a score from.",
                           "Run the evaluation again; it stored no samples.")
    return n


def _mean(xs: Sequence[float]) -> float:
    return math.fsum(xs) / len(xs)


def _variances_of_mean(
    xs: Sequence[float], clusters: Sequence[Hashable | None] | None
) -> tuple[float, float, float | None, int | None]:
    """(mean, i.i.d. variance of the mean, clustered variance or None, cluster count or None).

    Clustered: Miller (2024) Appendix A, ``Var_iid + 1/n^2 sum_c sum_{i != j in c} e_i e_j``
    = ``Var_iid + 1/n^2 (sum_c S_c^2 - sum_i e_i^2)`` over clustered samples (S_c the sum of
    the residuals in cluster c). A None label is a cluster of its own (no cross terms).
    One pass of plain loops: the leaderboard calls this thousands of times.
    """
    n = len(xs)
    mean = math.fsum(xs) / n
    es = [x - mean for x in xs]
    squares = math.fsum([e * e for e in es])
    iid = squares / (n - 1) / n if n > 1 else 0.0
    if clusters is None:
        return mean, iid, None, None
    if len(clusters) != n:
        raise InvalidInput(f"{n} scores but {len(clusters)} cluster labels.")
    sums: dict[Hashable, float] = {}
    singles = 0
    clustered_squares = 0.0
    for e, c in zip(es, clusters, strict=True):
        if c is None:
            singles += 1
        else:
            sums[c] = sums.get(c, 0.0) + e
            clustered_squares += e * e
    if not sums:
        return mean, iid, None, None
    cross = math.fsum([v * v for v in sums.values()]) - clustered_squares
    return mean, iid, max(iid + cross / (n * n), 0.0), len(sums) + singles


def clustered_stderr(scores: Sequence[float], clusters: Sequence[Hashable | None]) -> float:
    """Standard error of the mean when questions sharing a cluster are correlated."""
    _check_scores(scores)
    _, iid, clustered, _ = _variances_of_mean(scores, clusters)
    return math.sqrt(iid if clustered is None else clustered)


def accuracy(
    scores: Sequence[float], clusters: Sequence[Hashable | None] | None = None
) -> Accuracy:
    """Mean of per-sample scores (0/1 for accuracy) with i.i.d. and clustered errors."""
    n = _check_scores(scores)
    mean, iid, clustered, count = _variances_of_mean(scores, clusters)
    if clustered is None:
        return Accuracy(mean, math.sqrt(iid), n)
    return Accuracy(mean, math.sqrt(iid), n, math.sqrt(clustered), count)


# -- averages over tasks ----------------------------------------------------------------
@dataclass(frozen=True)
class Pooled:
    """An unweighted average over tasks with the standard error of that average."""

    value: float
    stderr: float
    tasks: int

    @property
    def interval(self) -> tuple[float, float]:
        return normal_interval(self.value, self.stderr)


def covariance_of_means(x: Mapping[Hashable, float], y: Mapping[Hashable, float]) -> float:
    """Covariance of two tasks' mean scores through the questions they share (0 if none).

    ``sum_shared (x_k - mean_x)(y_k - mean_y) / (n_x n_y) * m/(m-1)`` with m shared keys;
    for x == y it is the i.i.d. variance of the mean.
    """
    shared = x.keys() & y.keys()
    m = len(shared)
    if m < 2:
        return 0.0
    mx, my = _mean(list(x.values())), _mean(list(y.values()))
    s = math.fsum((x[k] - mx) * (y[k] - my) for k in shared)
    return s / (len(x) * len(y)) * m / (m - 1)


def pooled_average(
    parts: Sequence[Accuracy], covariances: Mapping[tuple[int, int], float] | None = None
) -> Pooled:
    """Average of task scores; its variance is ``(sum var_t + 2 sum_{s<t} cov_st) / T^2``.

    ``covariances`` maps index pairs (s, t), s < t, to the covariance of those tasks' means
    (tasks on the same questions are correlated; tasks on different questions are not).
    """
    t = len(parts)
    if t == 0:
        raise InvalidInput("An average needs at least one task.")
    var = math.fsum(p.best_stderr ** 2 for p in parts)
    for (s, u), cov in (covariances or {}).items():
        if not (0 <= s < u < t):
            raise InvalidInput(f"Covariance index {(s, u)} is out of range for {t} tasks.")
        var += 2 * cov
    return Pooled(math.fsum(p.value for p in parts) / t, math.sqrt(max(var, 0.0)) / t, t)


# -- two models on the same questions ----------------------------------------------------
@dataclass(frozen=True)
class TestResult:
    name: str
    statistic: float
    p_value: float


@dataclass(frozen=True)
class PairedDifference:
    """Model A minus model B on the same n questions."""

    difference: float
    stderr: float
    n: int
    correlation: float | None
    both: int
    only_a: int
    only_b: int
    neither: int
    test: TestResult
    clustered_stderr: float | None = None

    @property
    def best_stderr(self) -> float:
        return preferred_stderr(self.stderr, self.clustered_stderr)

    @property
    def interval(self) -> tuple[float, float]:
        return normal_interval(self.difference, self.best_stderr)

    @property
    def significant(self) -> bool:
        return self.test.p_value < ALPHA

    @property
    def design_effect(self) -> float:
        if self.clustered_stderr is None or self.stderr == 0:
            return 1.0
        return (self.clustered_stderr / self.stderr) ** 2


def mcnemar(only_a: int, only_b: int) -> TestResult:
    """McNemar's test on the discordant counts (A right & B wrong, B right & A wrong).

    Fewer than EXACT_BELOW discordant pairs: mid-p of the exact binomial test, statistic
    = the smaller count. Otherwise chi-square with continuity correction,
    ``(|b - c| - 1)^2 / (b + c)``, on one degree of freedom.
    """
    if only_a < 0 or only_b < 0:
        raise InvalidInput("Discordant counts cannot be negative.")
    total = only_a + only_b
    if total < EXACT_BELOW:
        k = min(only_a, only_b)
        if total == 0:
            return TestResult("McNemar mid-p", 0.0, 1.0)
        denom = 2**total
        cdf = sum(math.comb(total, i) for i in range(k + 1)) / denom
        pmf = math.comb(total, k) / denom
        return TestResult("McNemar mid-p", float(k), min(1.0, 2 * cdf - pmf))
    from scipy.special import chdtrc

    stat = (abs(only_a - only_b) - 1) ** 2 / total
    return TestResult("McNemar chi-square (continuity-corrected)", stat, float(chdtrc(1, stat)))


def mcnemar_exact_p(only_a: int, only_b: int) -> float:
    """The exact (conservative) two-sided binomial p-value, for reference."""
    total = only_a + only_b
    if total == 0:
        return 1.0
    k = min(only_a, only_b)
    tail: float = sum(math.comb(total, i) for i in range(k + 1)) / 2**total
    return min(1.0, 2 * tail)


def pearson(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Correlation of the two models' per-question scores; None when one is constant."""
    ma, mb = _mean(a), _mean(b)
    sab = math.fsum([(x - ma) * (y - mb) for x, y in zip(a, b, strict=True)])
    saa = math.fsum([(x - ma) ** 2 for x in a])
    sbb = math.fsum([(y - mb) ** 2 for y in b])
    if saa == 0 or sbb == 0:
        return None
    return max(-1.0, min(1.0, sab / math.sqrt(saa * sbb)))


def paired_difference(
    a: Sequence[float], b: Sequence[float], clusters: Sequence[Hashable | None] | None = None
) -> PairedDifference:
    """Difference of means of two models scored on the same questions, in the same order.

    Binary scores get McNemar's test; other scores a paired z-test on the differences.
    """
    n = len(a)
    if n != len(b):
        raise InvalidInput(f"Paired scores need the same questions: {n} vs {len(b)}.")
    _check_scores(a)
    d = [x - y for x, y in zip(a, b, strict=True)]
    mean_d, iid, clustered, _ = _variances_of_mean(d, clusters)
    se = math.sqrt(iid)
    cse = None if clustered is None else math.sqrt(clustered)
    right_a = [x >= 0.5 for x in a]
    right_b = [y >= 0.5 for y in b]
    both = sum([x and y for x, y in zip(right_a, right_b, strict=True)])
    only_a = sum(right_a) - both
    only_b = sum(right_b) - both
    neither = n - both - only_a - only_b
    binary = all(x == 0 or x == 1 for x in a) and all(y == 0 or y == 1 for y in b)
    if binary:
        test = mcnemar(only_a, only_b)
    else:
        test = paired_z_test(mean_d, se if cse is None else cse)
    return PairedDifference(
        mean_d, se, n, pearson(a, b), both, only_a, only_b, neither, test, cse
    )


def paired_z_test(difference: float, stderr: float) -> TestResult:
    """Two-sided z-test of a difference against 0."""
    if stderr == 0:
        return TestResult("paired z-test", 0.0 if difference == 0 else math.inf,
                          1.0 if difference == 0 else 0.0)
    z = difference / stderr
    return TestResult("paired z-test", z, min(1.0, 2 * _ncdf(-abs(z))))


@dataclass(frozen=True)
class PooledDifference:
    """Average over tasks of paired differences, with its standard error and z-test."""

    difference: float
    stderr: float
    tasks: int
    test: TestResult

    @property
    def interval(self) -> tuple[float, float]:
        return normal_interval(self.difference, self.stderr)


def pooled_difference(
    diffs: Sequence[PairedDifference], covariances: Mapping[tuple[int, int], float] | None = None
) -> PooledDifference:
    """Unweighted average of per-task paired differences; variances (and covariances of
    tasks that share questions) are pooled, then a two-sided z-test."""
    t = len(diffs)
    if t == 0:
        raise InvalidInput("An average needs at least one task.")
    var = math.fsum(d.best_stderr ** 2 for d in diffs)
    for (s, u), cov in (covariances or {}).items():
        if not (0 <= s < u < t):
            raise InvalidInput(f"Covariance index {(s, u)} is out of range for {t} tasks.")
        var += 2 * cov
    mean = math.fsum(d.difference for d in diffs) / t
    se = math.sqrt(max(var, 0.0)) / t
    return PooledDifference(mean, se, t, paired_z_test(mean, se))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (same order as given)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


# -- power -------------------------------------------------------------------------------
def _check_power_args(alpha: float, power: float, correlation: float, design_effect: float) -> None:
    if not 0 < alpha < 1:
        raise InvalidInput(f"The significance level must be between 0 and 1, not {alpha}.")
    if not 0 < power < 1:
        raise InvalidInput(f"The power must be between 0 and 1, not {power}.",
                           "The usual choice is 0.8.")
    if not -1 <= correlation < 1:
        raise InvalidInput(f"The correlation must be in [-1, 1), not {correlation}.")
    if design_effect <= 0:
        raise InvalidInput(f"The design effect must be positive, not {design_effect}.")


def _variance_of_difference(p_a: float, p_b: float, correlation: float) -> float:
    va, vb = p_a * (1 - p_a), p_b * (1 - p_b)
    return max(va + vb - 2 * correlation * math.sqrt(va * vb), 0.0)


def power_of_comparison(
    n: int, acc_a: float, acc_b: float, correlation: float = 0.0, alpha: float = ALPHA,
    design_effect: float = 1.0,
) -> float:
    """Probability that a two-sided paired test at level alpha on n questions detects the
    difference between true accuracies acc_a and acc_b."""
    _check_power_args(alpha, 0.5, correlation, design_effect)
    sd = math.sqrt(design_effect * _variance_of_difference(acc_a, acc_b, correlation))
    delta = abs(acc_a - acc_b)
    if sd == 0:
        return 1.0 if delta > 0 else alpha
    shift = delta * math.sqrt(n) / sd
    z = _z(1 - alpha / 2)
    return _ncdf(shift - z) + _ncdf(-shift - z)


def _check_accuracy(value: float, what: str) -> None:
    if not 0 < value < 1:
        raise InvalidInput(f"The {what} accuracy must be strictly between 0 and 1, not {value}.",
                           "Give it as a fraction, e.g. 0.6 for 60%.")


def detectable_difference(
    n: int, baseline: float = 0.5, correlation: float = 0.0, alpha: float = ALPHA,
    power: float = POWER, design_effect: float = 1.0,
) -> float | None:
    """Smallest accuracy difference from ``baseline`` that a paired test on ``n`` questions
    detects with the given power (two-sided, level alpha). None when no difference can be.

    ``correlation`` is that of the two models' per-question scores (0 is conservative;
    real models often correlate 0.3 to 0.7); ``design_effect`` inflates the variance for
    questions that share a source passage.
    """
    if n < 1:
        raise InvalidInput(f"A dataset needs at least one question, not {n}.")
    _check_accuracy(baseline, "baseline")
    _check_power_args(alpha, power, correlation, design_effect)
    from scipy.optimize import brentq

    sign = 1.0 if baseline <= 0.5 else -1.0
    top = 1 - baseline if sign > 0 else baseline

    def gap(delta: float) -> float:
        other = baseline + sign * delta
        return power_of_comparison(n, baseline, other, correlation, alpha, design_effect) - power

    if gap(top) < 0:
        return None
    return float(brentq(gap, 1e-12, top, xtol=1e-12))


def questions_needed(
    acc_a: float, acc_b: float, correlation: float = 0.0, alpha: float = ALPHA,
    power: float = POWER, design_effect: float = 1.0,
) -> int:
    """Questions a paired comparison needs to tell acc_a from acc_b with the given power."""
    _check_accuracy(acc_a, "first")
    _check_accuracy(acc_b, "second")
    _check_power_args(alpha, power, correlation, design_effect)
    if acc_a == acc_b:
        raise InvalidInput("Two equal accuracies cannot be told apart by any number of questions.")
    sd = math.sqrt(design_effect * _variance_of_difference(acc_a, acc_b, correlation))
    if sd == 0:
        return 1
    approx = ((_z(1 - alpha / 2) + _z(power)) * sd / abs(acc_a - acc_b)) ** 2
    n = max(1, math.ceil(approx))
    args = (acc_a, acc_b, correlation, alpha, design_effect)
    while n > 1 and power_of_comparison(n - 1, *args) >= power:
        n -= 1
    while power_of_comparison(n, *args) < power:
        n += 1
    return n


def describe_power(n: int, baseline: float = 0.5, correlation: float = 0.0) -> str:
    """One sentence for the places a user decides (after a snapshot, in comparisons)."""
    delta = detectable_difference(n, baseline, correlation)
    if delta is None:
        return (f"With {n} questions no accuracy difference from {100 * baseline:.0f}% can be "
                "detected reliably; add questions.")
    return (f"With {n} questions a paired comparison detects differences of about "
            f"{100 * delta:.1f} points or more (80% power, 5% level, baseline "
            f"{100 * baseline:.0f}%, correlation {correlation:.1f}).")
