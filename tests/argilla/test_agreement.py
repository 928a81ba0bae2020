"""Agreement figures on hand-made annotation tables, worked out by hand (comments), and
checked against sklearn where it is installed. No server needed."""

from __future__ import annotations

import math

import pytest

from workbench.argilla_sync.agreement import (
    COHEN,
    KRIPPENDORFF,
    bootstrap_interval,
    cohen_kappa,
    dataset_agreement,
    krippendorff_alpha,
)

# 10 records, two annotators: 4x (A,A), 3x (B,B), 2x (A,B), 1x (B,A).
# p_o = 7/10; first: A 6, B 4; second: A 5, B 5; p_e = (6*5 + 4*5)/100 = 0.5;
# kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
TWO_LABELS = [("A", "A")] * 4 + [("B", "B")] * 3 + [("A", "B")] * 2 + [("B", "A")]

# With discards: 2x (A,A), (B,B), (d,d), (A,B), (B,d). p_o = 4/6;
# first: A 3, B 2, d 1; second: A 2, B 2, d 2; p_e = (6 + 4 + 2)/36 = 1/3;
# kappa = (2/3 - 1/3) / (2/3) = 0.5
WITH_DISCARDS = [("A", "A"), ("A", "A"), ("B", "B"), ("discarded", "discarded"),
                 ("A", "B"), ("B", "discarded")]


def test_cohen_kappa_hand_worked():
    assert cohen_kappa(TWO_LABELS) == pytest.approx(0.4)
    assert cohen_kappa(WITH_DISCARDS) == pytest.approx(0.5)


def test_cohen_kappa_matches_sklearn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    for pairs in (TWO_LABELS, WITH_DISCARDS):
        first, second = zip(*pairs, strict=True)
        assert cohen_kappa(pairs) == pytest.approx(
            sklearn_metrics.cohen_kappa_score(first, second))


def test_cohen_kappa_undefined_without_variation():
    assert cohen_kappa([("A", "A")] * 5) is None
    assert cohen_kappa([]) is None


def test_krippendorff_alpha_hand_worked():
    # u1 A,A,A; u2 A,B; u3 B,B,B; u4 A,B,B. Coincidences (pairs weighted 1/(m_u - 1)):
    # o_AA = 3, o_BB = 3 + 1 = 4, o_AB = o_BA = 1 + 1 = 2; n_A = 5, n_B = 6, n = 11.
    # D_o = 4/11, D_e = 2*5*6 / (11*10) = 6/11, alpha = 1 - 4/6 = 1/3.
    units = [{"x": "A", "y": "A", "z": "A"}, {"x": "A", "y": "B"},
             {"x": "B", "y": "B", "z": "B"}, {"x": "A", "y": "B", "z": "B"}]
    assert krippendorff_alpha(units) == pytest.approx(1 / 3)
    # a record with one answer is not pairable: it changes nothing
    assert krippendorff_alpha([*units, {"z": "C"}]) == pytest.approx(1 / 3)


def test_krippendorff_alpha_published_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", 4 observers, 12
    # units with missing values: nominal alpha = 0.743 (his worked example).
    rows = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    units = [{obs: str(values[j]) for obs, values in rows.items() if values[j] is not None}
             for j in range(12)]
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=0.0005)


def test_bootstrap_interval_of_a_mean_matches_the_normal_approximation():
    # 400 coin flips, half heads: the mean's standard error is sqrt(.25/400) = 0.025, so the
    # 95% interval is about 0.5 -+ 1.96 * 0.025 = 0.451 .. 0.549.
    units = [0.0, 1.0] * 200

    def mean(idx: list[int]) -> float:
        return sum(units[i] for i in idx) / len(idx)

    low, high = bootstrap_interval(len(units), mean, draws=2000)
    assert low == pytest.approx(0.451, abs=0.01)
    assert high == pytest.approx(0.549, abs=0.01)
    assert bootstrap_interval(len(units), mean, draws=2000) == (low, high)  # seeded


def test_dataset_agreement_two_annotators_is_kappa_with_an_interval():
    table = {i: {"ann": a, "bob": b} for i, (a, b) in enumerate(TWO_LABELS * 3)}
    table[99] = {"ann": "A"}  # one answer only: left out
    found = dataset_agreement(table)
    assert (found.statistic, found.records, found.annotators) == (COHEN, 30, 2)
    assert found.value == pytest.approx(0.4)
    assert found.low is not None and found.high is not None
    assert found.low < 0.4 < found.high
    assert "Cohen's kappa 0.40" in found.describe()


def test_dataset_agreement_three_annotators_is_alpha():
    table = {1: {"x": "A", "y": "A", "z": "A"}, 2: {"x": "A", "y": "B"},
             3: {"x": "B", "y": "B", "z": "B"}, 4: {"x": "A", "y": "B", "z": "B"}}
    found = dataset_agreement(table, draws=200)
    assert (found.statistic, found.records, found.annotators) == (KRIPPENDORFF, 4, 3)
    assert found.value == pytest.approx(1 / 3)


def test_dataset_agreement_perfect_and_undefined():
    perfect = dataset_agreement({i: {"x": lab, "y": lab} for i, lab in enumerate("ABAB")})
    assert (perfect.value, perfect.low, perfect.high) == (1.0, 1.0, 1.0)
    same = dataset_agreement({i: {"x": "A", "y": "A"} for i in range(5)})
    assert same.value is None and same.low is None
    assert "not defined" in same.describe()
    empty = dataset_agreement({1: {"x": "A"}})
    assert (empty.value, empty.records) == (None, 0)
    assert not math.isnan(perfect.value or 0.0)
