"""Error bars and paired comparisons computed from per-sample results.

Everything here is a pure function of score lists: no store, no Textual. The formulas:

- accuracy: the mean, its i.i.d. standard error ``sqrt(s^2 / n)`` (sample variance, n-1),
  and a normal 95% interval;
- clustered standard error (Miller 2024, "Adding Error Bars to Evals", Appendix A) with the
  CR1 small-sample factor: ``SE_c^2 = C/(C-1) * 1/n^2 * sum_c (sum_{i in c} e_i)^2``, e_i the
  residuals, C the clusters (a question without one is a cluster of its own). With every
  question in its own cluster it equals the i.i.d. one; below FEW_CLUSTERS it is rough;
- the average over tasks is one computation on the stacked per-question results: each
  task's residuals are summed per cluster, scaled by the task's own ``sqrt(C_t/(C_t-1)) / n_t``,
  added across tasks cluster by cluster (tasks on one snapshot share clusters), squared and
  summed, over T^2. So the variances are the tasks' own and the covariances are cluster-level
  cross-products with the same clustering; a task averaged with itself adds no precision;
- paired difference: the mean of per-question differences with its paired standard error.
  The test: McNemar's on the discordant pairs (mid-p, exact binomial, Fagerland et al. 2013,
  below 25 pairs; chi-square with continuity correction otherwise) unless clustering widens
  the error (design effect > 1), then a z-test on the clustered standard error. The interval
  is always the one that test gives (for McNemar: the test inverted given the discordant
  pairs), so it excludes 0 exactly when the test is significant;
- power: the smallest difference a paired comparison on n questions detects, and the
  questions needed to separate two accuracies (normal approximation, two-sided).

Distributions come from scipy (``scipy.special`` ufuncs and ``scipy.optimize.brentq``);
tests check every figure against scipy.stats / statsmodels and hand-computed cases.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from workbench.errors import InvalidInput

ALPHA = 0.05
POWER = 0.8
# Below this many discordant pairs McNemar uses the exact binomial (mid-p); at or above it,
# chi-square with continuity correction (the usual rule, e.g. statsmodels' docs).
EXACT_BELOW = 25
# Fewer clusters than this and a clustered standard error is rough even with CR1
# (Cameron & Miller 2015 put the trouble below 20 to 50); the leaderboard and Compare warn.
FEW_CLUSTERS = 20
# Points on which detectable_difference looks for the first gap with enough power.
POWER_GRID = 2000

Residuals = Mapping[Hashable, float]


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


def _widens(stderr: float, clustered: float | None) -> bool:
    """Whether clustering made the error larger than the i.i.d. one (design effect > 1)."""
    return clustered is not None and clustered > stderr * (1 + 1e-9) + 1e-15


def few_clusters(clusters: int | None) -> bool:
    """Whether a clustered error rests on too few clusters to be trusted much."""
    return clusters is not None and clusters < FEW_CLUSTERS


# -- one model on one task --------------------------------------------------------------
@dataclass(frozen=True)
class Accuracy:
    """Mean score with its error bars. ``clustered_stderr`` is None without cluster info.

    ``residuals``: the residuals summed per cluster and scaled so that their squares add up
    to ``best_stderr ** 2``; ``pooled_average`` stacks them across tasks.
    """

    value: float
    stderr: float
    n: int
    clustered_stderr: float | None = None
    clusters: int | None = None
    residuals: Residuals = field(default_factory=dict, compare=False, repr=False)

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
        return _widens(self.stderr, self.clustered_stderr)

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


@dataclass(frozen=True)
class _Moments:
    mean: float
    iid: float  # i.i.d. variance of the mean
    clustered: float | None  # CR1 clustered variance of the mean
    clusters: int | None
    residuals: dict[Hashable, float]  # squares add up to the variance shown


def _moments(
    xs: Sequence[float], clusters: Sequence[Hashable | None] | None,
    keys: Sequence[Hashable] | None = None,
) -> _Moments:
    """The mean with its i.i.d. and CR1 clustered variances, in one pass of plain loops (the
    leaderboard calls this thousands of times).

    Clustered: ``C/(C-1) * 1/n^2 * sum_c S_c^2``, S_c the sum of the residuals in cluster c;
    a None label is a cluster of its own. None when no sample has a label, or when there is
    a single cluster (no spread between clusters to measure). ``keys`` name the samples
    (default: their positions) so that a question without a cluster is the same unit in two
    tasks on the same questions.
    """
    n = len(xs)
    mean = math.fsum(xs) / n
    es = [x - mean for x in xs]
    squares = math.fsum([e * e for e in es])
    iid = squares / (n - 1) / n if n > 1 else 0.0
    names = range(n) if keys is None else keys
    if clusters is not None and len(clusters) != n:
        raise InvalidInput(f"{n} scores but {len(clusters)} cluster labels.")
    if clusters is not None and any(c is not None for c in clusters):
        sums: dict[Hashable, float] = {}
        for e, c, k in zip(es, clusters, names, strict=True):
            unit = ("q", k) if c is None else ("c", c)
            sums[unit] = sums.get(unit, 0.0) + e
        count = len(sums)
        if count > 1:
            raw = math.fsum([v * v for v in sums.values()]) / (n * n)
            scale = math.sqrt(count / (count - 1)) / n
            return _Moments(mean, iid, count / (count - 1) * raw, count,
                            {u: v * scale for u, v in sums.items()})
        plain = _Moments(mean, iid, None, count, {})
    else:
        plain = _Moments(mean, iid, None, None, {})
    scale = math.sqrt(1 / ((n - 1) * n)) if n > 1 else 0.0
    plain.residuals.update({("q", k): e * scale for e, k in zip(es, names, strict=True)})
    return plain


def clustered_stderr(scores: Sequence[float], clusters: Sequence[Hashable | None]) -> float:
    """Standard error of the mean when questions sharing a cluster are correlated (CR1)."""
    _check_scores(scores)
    m = _moments(scores, clusters)
    return math.sqrt(m.iid if m.clustered is None else m.clustered)


def accuracy(
    scores: Sequence[float], clusters: Sequence[Hashable | None] | None = None,
    keys: Sequence[Hashable] | None = None,
) -> Accuracy:
    """Mean of per-sample scores (0/1 for accuracy) with i.i.d. and clustered errors.

    ``keys`` name the questions (default: positions), for averages over tasks that share them.
    """
    n = _check_scores(scores)
    m = _moments(scores, clusters, keys)
    cse = None if m.clustered is None else math.sqrt(m.clustered)
    return Accuracy(m.mean, math.sqrt(m.iid), n, cse, m.clusters, m.residuals)


# -- averages over tasks ----------------------------------------------------------------
@dataclass(frozen=True)
class Pooled:
    """An unweighted average over tasks with the standard error of that average.

    ``clusters``: the clusters the error rests on (None when no task is clustered)."""

    value: float
    stderr: float
    tasks: int
    clusters: int | None = None

    @property
    def interval(self) -> tuple[float, float]:
        return normal_interval(self.value, self.stderr)


def _stacked_variance(
    parts: Sequence[Residuals], shares: Sequence[Hashable | None] | None
) -> tuple[float, int]:
    """(sum over clusters of the squared total residual, number of clusters) of tasks
    stacked: parts with the same non-None ``shares`` key are on the same questions, so their
    residuals in one cluster add up before squaring; other parts stand alone."""
    if shares is not None and len(shares) != len(parts):
        raise InvalidInput(f"{len(parts)} tasks but {len(shares)} labels of shared questions.")
    total, units = 0.0, 0
    together: dict[Hashable, dict[Hashable, float]] = {}
    for i, r in enumerate(parts):
        share = None if shares is None else shares[i]
        if share is None:
            total += math.fsum([v * v for v in r.values()])
            units += len(r)
            continue
        sums = together.setdefault(share, {})
        for u, v in r.items():
            sums[u] = sums.get(u, 0.0) + v
    for sums in together.values():
        total += math.fsum([v * v for v in sums.values()])
        units += len(sums)
    return total, units


def pooled_average(
    parts: Sequence[Accuracy], shares: Sequence[Hashable | None] | None = None
) -> Pooled:
    """Average of task scores with the standard error of the stacked computation.

    ``shares[i]`` says which questions task i ran on (e.g. its snapshot): tasks with the
    same key are correlated through the clusters they share; None (or no ``shares``) means
    questions of its own. The variance is ``sum_c (sum_t r_tc)^2 / T^2`` over the tasks'
    scaled cluster residuals r (``Accuracy.residuals``): the tasks' own variances plus
    twice their cluster-level covariances.
    """
    t = len(parts)
    if t == 0:
        raise InvalidInput("An average needs at least one task.")
    var, units = _stacked_variance([p.residuals for p in parts], shares)
    clustered = any(p.clustered_stderr is not None for p in parts)
    return Pooled(math.fsum(p.value for p in parts) / t, math.sqrt(max(var, 0.0)) / t, t,
                  units if clustered else None)


# -- two models on the same questions ----------------------------------------------------
@dataclass(frozen=True)
class TestResult:
    name: str
    statistic: float
    p_value: float


MCNEMAR_MID_P = "McNemar mid-p"
MCNEMAR_CHI2 = "McNemar chi-square (continuity-corrected)"
PAIRED_Z = "paired z-test"
CLUSTERED_Z = "clustered z-test"


@dataclass(frozen=True)
class PairedDifference:
    """Model A minus model B on the same n questions.

    ``interval`` is the 95% interval of the test in ``test`` (so it excludes 0 exactly when
    the test is significant); ``residuals`` as in ``Accuracy``, for averages over tasks.
    """

    difference: float
    stderr: float
    n: int
    correlation: float | None
    both: int
    only_a: int
    only_b: int
    neither: int
    test: TestResult
    interval: tuple[float, float]
    clustered_stderr: float | None = None
    clusters: int | None = None
    residuals: Residuals = field(default_factory=dict, compare=False, repr=False)

    @property
    def best_stderr(self) -> float:
        return preferred_stderr(self.stderr, self.clustered_stderr)

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
            return TestResult(MCNEMAR_MID_P, 0.0, 1.0)
        denom = 2**total
        cdf = sum(math.comb(total, i) for i in range(k + 1)) / denom
        pmf = math.comb(total, k) / denom
        return TestResult(MCNEMAR_MID_P, float(k), min(1.0, 2 * cdf - pmf))
    from scipy.special import chdtrc

    stat = (abs(only_a - only_b) - 1) ** 2 / total
    return TestResult(MCNEMAR_CHI2, stat, float(chdtrc(1, stat)))


def _mid_cdf(k: int, m: int, p: float) -> float:
    """P(X < k) + P(X = k) / 2 for X ~ Binomial(m, p)."""
    from scipy.special import bdtr

    below = float(bdtr(k - 1, m, p)) if k > 0 else 0.0
    return 0.5 * (below + float(bdtr(k, m, p)))


def _share_bounds(only_a: int, m: int, alpha: float) -> tuple[float, float]:
    """The shares pi = P(only A | discordant) that ``mcnemar`` does not reject at alpha."""
    b = only_a
    if m < EXACT_BELOW:
        # mid-p: reject pi when either mid-p tail is below alpha/2.
        from scipy.optimize import brentq

        lo = 0.0 if b == 0 else float(brentq(
            lambda p: _mid_cdf(b, m, p) - (1 - alpha / 2), 0.0, 1.0, xtol=1e-14))
        hi = 1.0 if b == m else float(brentq(
            lambda p: _mid_cdf(b, m, p) - alpha / 2, 0.0, 1.0, xtol=1e-14))
        return lo, hi
    # Continuity-corrected chi-square: reject pi when (|b - m pi| - 1/2)^2 > z^2 m pi (1-pi);
    # the roots of that quadratic are Wilson's interval with continuity correction.
    z2 = _z(1 - alpha / 2) ** 2

    def roots(y: float) -> tuple[float, float]:
        a, bb, c = m * (m + z2), -m * (2 * y + z2), y * y
        disc = math.sqrt(max(bb * bb - 4 * a * c, 0.0))
        return (-bb - disc) / (2 * a), (-bb + disc) / (2 * a)

    lo = 0.0 if b == 0 else max(0.0, roots(b - 0.5)[0])
    hi = 1.0 if b == m else min(1.0, roots(b + 0.5)[1])
    return lo, hi


def mcnemar_interval(only_a: int, only_b: int, n: int, alpha: float = ALPHA
                     ) -> tuple[float, float]:
    """The differences of accuracy (A - B) that ``mcnemar`` does not reject, given the
    discordant pairs: the test inverted for pi = P(only A | discordant) (mid-p below
    EXACT_BELOW pairs, Wilson with continuity correction above), mapped by
    ``d = (b + c)/n * (2 pi - 1)``. It excludes 0 exactly when the test rejects at alpha.
    Conditional on b + c, it leaves out the uncertainty of the discordant share, so away from
    0 it is a little narrow."""
    m = only_a + only_b
    if m == 0:
        return (0.0, 0.0)
    lo, hi = _share_bounds(only_a, m, alpha)
    return (m / n * (2 * lo - 1), m / n * (2 * hi - 1))


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
    a: Sequence[float], b: Sequence[float], clusters: Sequence[Hashable | None] | None = None,
    keys: Sequence[Hashable] | None = None,
) -> PairedDifference:
    """Difference of means of two models scored on the same questions, in the same order.

    The test: when clustering widens the paired error (design effect > 1), a z-test on the
    clustered standard error; otherwise McNemar's test for binary scores and a paired z-test
    for other scores. The interval is that test's, so the two always agree.
    """
    n = len(a)
    if n != len(b):
        raise InvalidInput(f"Paired scores need the same questions: {n} vs {len(b)}.")
    _check_scores(a)
    d = [x - y for x, y in zip(a, b, strict=True)]
    m = _moments(d, clusters, keys)
    se = math.sqrt(m.iid)
    cse = None if m.clustered is None else math.sqrt(m.clustered)
    right_a = [x >= 0.5 for x in a]
    right_b = [y >= 0.5 for y in b]
    both = sum([x and y for x, y in zip(right_a, right_b, strict=True)])
    only_a = sum(right_a) - both
    only_b = sum(right_b) - both
    neither = n - both - only_a - only_b
    binary = all(x == 0 or x == 1 for x in a) and all(y == 0 or y == 1 for y in b)
    if _widens(se, cse):
        assert cse is not None
        test = z_test(m.mean, cse, CLUSTERED_Z)
        interval = normal_interval(m.mean, cse)
    elif binary:
        test = mcnemar(only_a, only_b)
        interval = mcnemar_interval(only_a, only_b, n)
    else:
        best = preferred_stderr(se, cse)
        test = z_test(m.mean, best)
        interval = normal_interval(m.mean, best)
    return PairedDifference(m.mean, se, n, pearson(a, b), both, only_a, only_b, neither, test,
                            interval, cse, m.clusters, m.residuals)


def z_test(difference: float, stderr: float, name: str = PAIRED_Z) -> TestResult:
    """Two-sided z-test of a difference against 0."""
    if stderr == 0:
        return TestResult(name, 0.0 if difference == 0 else math.inf,
                          1.0 if difference == 0 else 0.0)
    z = difference / stderr
    return TestResult(name, z, min(1.0, 2 * _ncdf(-abs(z))))


@dataclass(frozen=True)
class PooledDifference:
    """Average over tasks of paired differences, with its standard error and z-test."""

    difference: float
    stderr: float
    tasks: int
    test: TestResult
    clusters: int | None = None

    @property
    def interval(self) -> tuple[float, float]:
        return normal_interval(self.difference, self.stderr)


def pooled_difference(
    diffs: Sequence[PairedDifference], shares: Sequence[Hashable | None] | None = None
) -> PooledDifference:
    """Unweighted average of per-task paired differences with the error of the stacked
    computation (``shares`` as in ``pooled_average``), then a two-sided z-test (clustered
    when a task's difference is)."""
    t = len(diffs)
    if t == 0:
        raise InvalidInput("An average needs at least one task.")
    var, units = _stacked_variance([d.residuals for d in diffs], shares)
    mean = math.fsum(d.difference for d in diffs) / t
    se = math.sqrt(max(var, 0.0)) / t
    clustered = any(d.clustered_stderr is not None for d in diffs)
    return PooledDifference(mean, se, t, z_test(mean, se, CLUSTERED_Z if clustered else PAIRED_Z),
                            units if clustered else None)


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
    import numpy as np
    from scipy.optimize import brentq
    from scipy.special import ndtr

    sign = 1.0 if baseline <= 0.5 else -1.0
    top = 1 - baseline if sign > 0 else baseline
    z = _z(1 - alpha / 2)
    va = baseline * (1 - baseline)

    def curve(delta: np.ndarray) -> np.ndarray:
        # power_of_comparison over many gaps at once
        other = baseline + sign * delta
        vb = other * (1 - other)
        sd = np.sqrt(design_effect * np.maximum(
            va + vb - 2 * correlation * np.sqrt(va * vb), 0.0))
        shift = delta * math.sqrt(n) / sd
        return np.asarray(ndtr(shift - z) + ndtr(-shift - z))

    # Power is not monotone in the gap (the variance of the difference changes with it), so
    # look at the whole range for the first gap that reaches it, then refine between points.
    grid = np.linspace(0.0, top, POWER_GRID + 1)[1:]
    reached = np.nonzero(curve(grid) >= power)[0]
    if reached.size == 0:
        return None
    i = int(reached[0])
    right = float(grid[i])
    left = float(grid[i - 1]) if i > 0 else 1e-12

    def gap(delta: float) -> float:
        return float(curve(np.array([delta]))[0]) - power

    if gap(left) >= 0:
        return left
    return float(brentq(gap, left, right, xtol=1e-12))


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
