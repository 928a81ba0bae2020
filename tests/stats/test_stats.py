"""Our error bars, paired tests and power against scipy, statsmodels and hand computation."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import scipy.stats
import statsmodels.api as sm
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower

from workbench.results import stats
from workbench.errors import InvalidInput


def _random_binary(seed: int, n: int, p: float) -> list[float]:
    rng = random.Random(seed)
    return [1.0 if rng.random() < p else 0.0 for _ in range(n)]


# -- accuracy and its stderr ---------------------------------------------------------------
def test_accuracy_by_hand():
    acc = stats.accuracy([1, 1, 0, 1])
    assert acc.value == 0.75
    # sample variance 0.25 (n-1), stderr sqrt(0.25 / 4) = 0.25
    assert acc.stderr == pytest.approx(0.25)
    assert acc.interval == pytest.approx((0.75 - 1.959963984540054 * 0.25,
                                          0.75 + 1.959963984540054 * 0.25))
    assert acc.clustered_stderr is None and not acc.widened


def test_accuracy_matches_scipy_sem():
    xs = _random_binary(1, 137, 0.62)
    acc = stats.accuracy(xs)
    assert acc.value == pytest.approx(np.mean(xs))
    assert acc.stderr == pytest.approx(scipy.stats.sem(xs))


def test_z95_is_the_normal_quantile():
    assert stats.Z95 == pytest.approx(scipy.stats.norm.ppf(0.975), abs=1e-15)


def test_clustered_stderr_by_hand():
    # mean 0.5, residuals (.5, .5, -.5, -.5); iid var 1/12; within-cluster cross terms
    # 2 * (.5 * .5) per cluster -> 1.0 / n^2 = 1/16; clustered var 7/48.
    acc = stats.accuracy([1, 1, 0, 0], ["a", "a", "b", "b"])
    assert acc.stderr == pytest.approx(math.sqrt(1 / 12))
    assert acc.clustered_stderr == pytest.approx(math.sqrt(7 / 48))
    assert acc.clusters == 2
    assert acc.widened
    assert acc.design_effect == pytest.approx((7 / 48) / (1 / 12))


def test_clustered_stderr_against_statsmodels_cluster_robust_ols():
    rng = random.Random(7)
    clusters = [rng.randrange(30) for _ in range(300)]
    # questions of one passage share a difficulty, so they correlate
    difficulty = {c: rng.random() for c in set(clusters)}
    xs = [1.0 if rng.random() < difficulty[c] else 0.0 for c in clusters]
    n = len(xs)
    fit = sm.OLS(np.array(xs), np.ones((n, 1))).fit(
        cov_type="cluster", cov_kwds={"groups": np.array(clusters), "use_correction": False})
    sandwich = float(fit.bse[0]) ** 2  # (1/n^2) sum_c (sum_i e_i)^2
    e = np.array(xs) - np.mean(xs)
    # Miller's formula keeps the iid term with n-1: it exceeds the sandwich by this much.
    expected = sandwich + float(np.sum(e**2)) * (1 / ((n - 1) * n) - 1 / n**2)
    acc = stats.accuracy(xs, clusters)
    assert acc.clustered_stderr == pytest.approx(math.sqrt(expected), rel=1e-12)
    assert acc.widened


def test_singleton_and_missing_clusters_change_nothing():
    xs = _random_binary(3, 50, 0.4)
    plain = stats.accuracy(xs)
    single = stats.accuracy(xs, [f"c{i}" for i in range(50)])
    assert single.clustered_stderr == pytest.approx(plain.stderr)
    assert not single.widened
    assert stats.accuracy(xs, [None] * 50).clustered_stderr is None


def test_anti_correlated_clusters_do_not_widen():
    acc = stats.accuracy([1, 0, 1, 0, 1, 0], ["a", "a", "b", "b", "c", "c"])
    assert acc.clustered_stderr is not None and acc.clustered_stderr < acc.stderr
    assert not acc.widened


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(InvalidInput):
        stats.accuracy([])
    with pytest.raises(InvalidInput):
        stats.accuracy([1, 0], ["a"])
    with pytest.raises(InvalidInput):
        stats.paired_difference([1, 0], [1])
    with pytest.raises(InvalidInput):
        stats.pooled_average([])


# -- averages over tasks ----------------------------------------------------------------------
def test_pooled_average_is_not_the_average_of_errors():
    a = stats.Accuracy(0.6, 0.03, 100)
    b = stats.Accuracy(0.8, 0.04, 100)
    pooled = stats.pooled_average([a, b])
    assert pooled.value == pytest.approx(0.7)
    assert pooled.stderr == pytest.approx(0.025)  # sqrt(.03^2 + .04^2) / 2, not 0.035
    assert pooled.tasks == 2


def test_pooled_average_of_a_task_with_itself_keeps_its_error():
    xs = _random_binary(5, 80, 0.55)
    acc = stats.accuracy(xs)
    same = dict(enumerate(xs))
    cov = stats.covariance_of_means(same, same)
    assert cov == pytest.approx(acc.stderr**2)
    pooled = stats.pooled_average([acc, acc], {(0, 1): cov})
    assert pooled.value == pytest.approx(acc.value)
    assert pooled.stderr == pytest.approx(acc.stderr)


def test_covariance_of_tasks_without_shared_questions_is_zero():
    assert stats.covariance_of_means({1: 1.0, 2: 0.0}, {3: 1.0, 4: 0.0}) == 0.0


# -- paired difference and McNemar ------------------------------------------------------------
def test_paired_difference_against_scipy():
    a = _random_binary(11, 200, 0.7)
    rng = random.Random(12)
    b = [x if rng.random() < 0.7 else 1 - x for x in a]  # correlated with a
    d = stats.paired_difference(a, b)
    t = scipy.stats.ttest_rel(a, b)
    assert d.difference == pytest.approx(np.mean(a) - np.mean(b))
    assert d.difference / d.stderr == pytest.approx(t.statistic)
    assert d.correlation == pytest.approx(scipy.stats.pearsonr(a, b)[0])
    assert d.both + d.only_a + d.only_b + d.neither == 200
    assert d.only_a == sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    lo, hi = d.interval
    assert (lo + hi) / 2 == pytest.approx(d.difference)
    assert hi - lo == pytest.approx(2 * stats.Z95 * d.stderr)


def test_mcnemar_chi_square_matches_statsmodels():
    result = stats.mcnemar(30, 15)
    ref = sm_mcnemar([[50, 30], [15, 5]], exact=False, correction=True)
    assert result.name.startswith("McNemar chi-square")
    assert result.statistic == pytest.approx(ref.statistic)  # (|30-15|-1)^2/45
    assert result.statistic == pytest.approx(14**2 / 45)
    assert result.p_value == pytest.approx(ref.pvalue)


def test_mcnemar_mid_p_by_hand_and_exact_against_scipy():
    # b=1, c=5: P(X<=1) = 7/64 for Binomial(6, 1/2); exact p = 14/64; mid-p = 14/64 - 6/64.
    result = stats.mcnemar(1, 5)
    assert result.name == "McNemar mid-p"
    assert result.statistic == 1
    assert result.p_value == pytest.approx(8 / 64)
    assert stats.mcnemar_exact_p(1, 5) == pytest.approx(14 / 64)
    assert stats.mcnemar_exact_p(1, 5) == pytest.approx(scipy.stats.binomtest(1, 6, 0.5).pvalue)
    ref = sm_mcnemar([[10, 1], [5, 10]], exact=True)
    assert stats.mcnemar_exact_p(1, 5) == pytest.approx(ref.pvalue)


@pytest.mark.parametrize("b,c", [(0, 0), (3, 3), (0, 7), (12, 12), (2, 22)])
def test_mid_p_is_below_exact_and_at_most_one(b, c):
    midp = stats.mcnemar(b, c).p_value
    assert 0 < midp <= 1
    assert midp <= stats.mcnemar_exact_p(b, c) + 1e-15
    if b == c:
        assert midp == pytest.approx(1.0)


def test_mcnemar_switches_test_at_25_discordant_pairs():
    assert stats.mcnemar(10, 14).name == "McNemar mid-p"
    assert stats.mcnemar(10, 15).name.startswith("McNemar chi-square")


def test_paired_difference_uses_mcnemar_on_discordant_pairs():
    a = [1] * 20 + [1] * 9 + [0] * 3 + [0] * 8
    b = [1] * 20 + [0] * 9 + [1] * 3 + [0] * 8
    d = stats.paired_difference(a, b)
    assert (d.both, d.only_a, d.only_b, d.neither) == (20, 9, 3, 8)
    assert d.test == stats.mcnemar(9, 3)
    assert d.difference == pytest.approx(6 / 40)


def test_paired_difference_of_continuous_scores_uses_a_z_test():
    a = [0.2, 0.9, 0.4, 0.7, 0.55]
    b = [0.1, 0.8, 0.5, 0.3, 0.5]
    d = stats.paired_difference(a, b)
    assert d.test.name == "paired z-test"
    z = d.difference / d.stderr
    assert d.test.p_value == pytest.approx(2 * scipy.stats.norm.sf(abs(z)))


def test_clustered_paired_stderr():
    a = [1, 1, 1, 1, 0, 0]
    b = [0, 0, 1, 1, 0, 0]
    clusters = ["p", "p", "q", "q", "r", "r"]
    d = stats.paired_difference(a, b, clusters)
    assert d.clustered_stderr == pytest.approx(
        stats.clustered_stderr([x - y for x, y in zip(a, b, strict=True)], clusters))
    assert d.best_stderr == d.clustered_stderr


def test_correlation_is_none_for_a_constant_model():
    assert stats.paired_difference([1, 1, 1], [1, 0, 1]).correlation is None


def test_holm_matches_statsmodels():
    ps = [0.01, 0.04, 0.03, 0.2, 0.005]
    assert stats.holm(ps) == pytest.approx(list(multipletests(ps, method="holm")[1]))
    assert stats.holm([]) == []


# -- power ------------------------------------------------------------------------------------
def _sd(p_a: float, p_b: float, rho: float) -> float:
    va, vb = p_a * (1 - p_a), p_b * (1 - p_b)
    return math.sqrt(va + vb - 2 * rho * math.sqrt(va * vb))


@pytest.mark.parametrize("n,baseline,rho", [(135, 0.5, 0.0), (400, 0.7, 0.5), (1000, 0.3, 0.2)])
def test_detectable_difference_has_the_requested_power(n, baseline, rho):
    delta = stats.detectable_difference(n, baseline, rho)
    assert delta is not None and 0 < delta < 1
    other = baseline + delta if baseline <= 0.5 else baseline - delta
    es = delta / _sd(baseline, other, rho)
    # statsmodels' one-sample normal power (ratio=0) at that standardised effect
    power = NormalIndPower().power(effect_size=es, nobs1=n, alpha=0.05, ratio=0)
    assert power == pytest.approx(0.8, abs=1e-6)


def test_detectable_difference_by_hand_for_a_large_set():
    # (z_.975 + z_.8) * sqrt(2 * .25 / n) with n = 10,000, variance nearly constant near .5
    delta = stats.detectable_difference(10_000)
    assert delta == pytest.approx((1.959964 + 0.841621) * math.sqrt(0.5 / 10_000), rel=0.01)


def test_detectable_difference_shrinks_with_correlation_and_questions():
    assert stats.detectable_difference(200, 0.6, 0.5) < stats.detectable_difference(200, 0.6, 0)
    assert stats.detectable_difference(800) < stats.detectable_difference(200)
    assert stats.detectable_difference(200, design_effect=2) > stats.detectable_difference(200)


def test_tiny_sets_detect_nothing():
    assert stats.detectable_difference(1) is None


def test_questions_needed_is_the_smallest_sufficient_n():
    n = stats.questions_needed(0.6, 0.7, 0.3)
    assert stats.power_of_comparison(n, 0.6, 0.7, 0.3) >= 0.8
    assert stats.power_of_comparison(n - 1, 0.6, 0.7, 0.3) < 0.8
    approx = ((1.959964 + 0.841621) * _sd(0.6, 0.7, 0.3) / 0.1) ** 2
    assert abs(n - approx) <= 2


def test_power_bad_inputs():
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        stats.detectable_difference(100, baseline=1.5)
    with pytest.raises(InvalidInput, match="at least one question"):
        stats.detectable_difference(0)
    with pytest.raises(InvalidInput, match="equal accuracies"):
        stats.questions_needed(0.6, 0.6)
    with pytest.raises(InvalidInput, match="power"):
        stats.detectable_difference(100, power=1.2)


def test_describe_power_mentions_the_figure():
    delta = stats.detectable_difference(135)
    assert f"{100 * delta:.1f} points" in stats.describe_power(135)
    assert "add questions" in stats.describe_power(1)
