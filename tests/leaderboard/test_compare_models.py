"""Comparing two models on the same questions: figures, warnings, drill-down, errors."""

from __future__ import annotations

import math

import pytest
from synthetic_runs import DEFAULT_SETTINGS, add_run, make_snapshot

from workbench.errors import InvalidInput, NotFound
from workbench.results import compare as cmp
from workbench.results import leaderboard as lb

# 40 questions: both right 20, only A 9, only B 3, neither 8.
A = [1] * 20 + [1] * 9 + [0] * 3 + [0] * 8
B = [1] * 20 + [0] * 9 + [1] * 3 + [0] * 8


@pytest.fixture
def two_models(store, project, questions):
    clusters = [f"p{i // 2}" for i in range(40)]
    add_run(store, project, "alpha", "exam", A, questions, clusters)
    add_run(store, project, "beta", "exam", B, questions, clusters)
    return store


def test_per_task_figures_match_the_statistics(two_models, project):
    result = cmp.compare_models(two_models, project, "alpha", "beta")
    assert result.warnings == []
    tc = result.task("exam")
    p = tc.paired
    assert (p.both, p.only_a, p.only_b, p.neither) == (20, 9, 3, 8)
    assert p.difference == pytest.approx(6 / 40)
    # By hand. Differences: +1 on questions 20-28, -1 on 29-31, mean 0.15. Passages of two:
    # four (20-27) sum 2, one (28, 29) sums 0, one (30, 31) sums -2, fourteen sum 0; residual
    # sums 1.7 (x4), -0.3, -2.3, -0.3 (x14): squares 11.56 + 0.09 + 5.29 + 1.26 = 18.2.
    # Clustered variance 18.2 / 40^2 * 20/19 (CR1); i.i.d. 11.1 / (39 * 40) (residual
    # squares 9 * 0.85^2 + 3 * 1.15^2 + 28 * 0.15^2 = 11.1). Design effect 1.68 > 1, so
    # the clustered z-test: z = 0.15 / 0.10942 = 1.371, p = 0.170, not significant.
    clustered = math.sqrt(18.2 / 1600 * 20 / 19)
    assert p.clustered_stderr == pytest.approx(clustered)
    assert p.stderr == pytest.approx(math.sqrt(11.1 / 1560))
    assert p.clusters == 20
    assert p.test.name == "clustered z-test"
    assert p.test.statistic == pytest.approx(0.15 / clustered)
    assert p.test.p_value == pytest.approx(0.1704, abs=1e-4)
    assert p.interval == pytest.approx((0.15 - 1.959964 * clustered, 0.15 + 1.959964 * clustered))
    # correlation of A and B: phi of the 2x2 table (20, 9 / 3, 8):
    # (20 * 8 - 9 * 3) / sqrt(29 * 11 * 23 * 17) = 133 / sqrt(124729) = 0.3766
    assert p.correlation == pytest.approx(133 / math.sqrt(124729))
    assert tc.verdict == "no significant difference"
    assert tc.power.detectable is not None and tc.power.needed is not None
    assert tc.power.more == max(0, tc.power.needed - 40)
    assert result.overall is None  # one task


def test_unclustered_runs_keep_mcnemar(store, project, questions):
    add_run(store, project, "alpha", "exam", A, questions)
    add_run(store, project, "beta", "exam", B, questions)
    p = cmp.compare_models(store, project, "alpha", "beta").task("exam").paired
    # mid-p of 9 vs 3 discordant pairs: 2 * 299/4096 - 220/4096 = 378/4096 = 0.092
    assert p.test.name == "McNemar mid-p"
    assert p.test.p_value == pytest.approx(378 / 4096)
    assert not p.significant and p.interval[0] < 0 < p.interval[1]


def test_question_breakdown_and_drill_down(two_models, project, questions):
    result = cmp.compare_models(two_models, project, "alpha", "beta")
    only_b = cmp.question_outcomes(result, "exam", "only_b")
    assert [o.question_id for o in only_b] == questions[29:32]
    assert len(cmp.question_outcomes(result, "exam")) == 40
    detail = cmp.question_detail(two_models, result, only_b[0])
    assert detail.question == "Question 29?"
    assert detail.options[0] == "right 29"
    assert detail.gold_index == 0
    assert only_b[0].a.prediction_index == 1 and only_b[0].b.prediction_index == 0
    assert only_b[0].a.logprobs == [-2.0, -0.5, -4.0, -5.0]
    probs = detail.probabilities(only_b[0].b.logprobs)
    assert sum(probs) == pytest.approx(1.0) and probs.index(max(probs)) == 0
    with pytest.raises(InvalidInput):
        cmp.question_outcomes(result, "exam", "sometimes")


def test_snapshot_copy_is_what_the_drill_down_shows(store, project, questions):
    snap = make_snapshot(store, project, questions[:10], "v1")
    add_run(store, project, "alpha", "exam", A[:10], questions[:10], snapshot_id=snap)
    add_run(store, project, "beta", "exam", B[:10], questions[:10], snapshot_id=snap)
    result = cmp.compare_models(store, project, "alpha", "beta")
    outcome = cmp.question_outcomes(result, "exam")[3]
    assert cmp.question_detail(store, result, outcome).question == "Question 3? (v1)"


def test_different_settings_warn_before_the_verdict(store, project, questions, cli):
    add_run(store, project, "alpha", "exam", A, questions)
    add_run(store, project, "beta", "exam", B, questions,
            settings={**DEFAULT_SETTINGS, "chat_template": True, "fewshot": 3})
    result = cmp.compare_models(store, project, "alpha", "beta")
    tc = result.task("exam")
    assert tc.settings_differ == {"chat_template": (False, True), "fewshot": (0, 3)}
    assert "settings differ" in result.warnings[0]
    data = cmp.to_json(result)
    assert list(data)[:4] == ["project", "model_a", "model_b", "warnings"]
    assert data["tasks"][0]["settings_differ"] == {"chat_template": [False, True],
                                                   "fewshot": [0, 3]}
    out = cli("compare", "--project", project.name, "alpha", "beta")
    assert out.returncode == 0, out.stderr
    # no clusters: McNemar mid-p 378/4096 = 0.092 (worked out above), not significant
    assert out.stdout.index("Warning:") < out.stdout.index("no significant difference")


def test_several_tasks_get_an_overall_difference(store, project, questions):
    add_run(store, project, "alpha", "one", A, questions)
    add_run(store, project, "beta", "one", B, questions)
    add_run(store, project, "alpha", "two", B, questions)
    add_run(store, project, "beta", "two", B, questions)
    result = cmp.compare_models(store, project, "alpha", "beta")
    assert [t.task for t in result.tasks] == ["one", "two"]
    assert result.overall.difference == pytest.approx((6 / 40 + 0) / 2)
    # task one's i.i.d. paired SE sqrt(11.1 / (39 * 40)) (residual squares as above), task
    # two has no differences; independent runs (no snapshot): the SE of the mean halves it
    assert result.overall.stderr == pytest.approx(math.sqrt(11.1 / 1560) / 2)
    only = cmp.compare_models(store, project, "alpha", "beta", task="two")
    assert [t.task for t in only.tasks] == ["two"] and only.overall is None


def test_clear_errors(two_models, project):
    with pytest.raises(InvalidInput, match="two different models"):
        cmp.compare_models(two_models, project, "alpha", "alpha")
    with pytest.raises(NotFound, match="no finished evaluation"):
        cmp.compare_models(two_models, project, "alpha", "gamma")
    with pytest.raises(NotFound, match="not run on both"):
        cmp.compare_models(two_models, project, "alpha", "beta", task="geography")


def test_mark_verdict_and_interval_agree_when_one_passage_holds_the_difference(
        store, project, questions, cli):
    # 4 passages of 10; on passage 0 alpha is right and beta wrong everywhere, elsewhere
    # they agree (5 both right, 5 both wrong). McNemar alone: 10 to 0 discordant pairs,
    # mid-p 1/1024, "significant". Clustered by hand: mean difference 1/4, residual sums
    # 7.5, -2.5, -2.5, -2.5: (56.25 + 18.75) / 40^2 * 4/3 (CR1) = 1/16, SE 1/4, z = 1,
    # p = 0.317: no significant difference, and the interval 1/4 -+ 1.96/4 holds 0.
    # Before the clustered z-test the leaderboard marked beta below the leader and Compare
    # said "A better" (p = 1/1024) next to the clustered interval [-0.17, 0.67].
    a = [1] * 10 + ([1] * 5 + [0] * 5) * 3
    b = [0] * 10 + ([1] * 5 + [0] * 5) * 3
    clusters = [f"p{i // 10}" for i in range(40)]
    add_run(store, project, "alpha", "exam", a, questions, clusters)
    add_run(store, project, "beta", "exam", b, questions, clusters)

    tc = cmp.compare_models(store, project, "alpha", "beta").task("exam")
    p = tc.paired
    assert p.test.name == "clustered z-test"
    assert p.test.p_value == pytest.approx(0.3173105, abs=1e-6)  # 2 * (1 - Phi(1))
    lo, hi = p.interval
    assert (lo, hi) == pytest.approx((0.25 - 1.959964 / 4, 0.25 + 1.959964 / 4))
    assert tc.verdict == "no significant difference"
    assert any("only 4 source clusters" in w for w in tc.warnings)

    board = lb.build_leaderboard(lb.load_leaderboard_data(store, project))
    beta = board.cell("beta", "exam")
    assert beta.tied_with_leader is True  # one comparison: Holm changes nothing
    assert beta.p_vs_leader == pytest.approx(0.3173105, abs=1e-6)
    assert lb.cell_text(beta).endswith("=")
    assert any("exam (4)" in w for w in board.warnings())

    out = cli("compare", "--project", project.name, "alpha", "beta")
    assert out.returncode == 0, out.stderr
    assert "clustered z-test" in out.stdout and "no significant difference" in out.stdout
    assert "4 clusters" in out.stdout


def test_an_average_over_formulations_is_warned_about_before_the_verdict(
        store, project, questions, cli):
    """The same questions asked as letters and as a written answer are two tasks; their
    overall difference averages formulations as well as models, and says so first."""
    generative = {**DEFAULT_SETTINGS, "formulation": "generative", "reasoning": False}
    add_run(store, project, "alpha", "project:mcf", A, questions)
    add_run(store, project, "beta", "project:mcf", B, questions)
    add_run(store, project, "alpha", "project:generative", B, questions, settings=generative)
    add_run(store, project, "beta", "project:generative", A, questions, settings=generative)
    result = cmp.compare_models(store, project, "alpha", "beta")
    assert result.overall is not None
    [line] = result.formulation_warnings
    assert line.startswith("The tasks averaged mix formulations (generative, mcf)")
    assert result.warning_lines()[0] == line and result.warnings[0] == line
    assert cmp.to_json(result)["warnings"][0] == line
    out = cli("compare", "--project", project.name, "alpha", "beta")
    assert out.returncode == 0, out.stderr
    assert "mix formulations (generative, mcf)" in out.stdout
    assert out.stdout.index("mix formulations") < out.stdout.index("Average over 2 tasks")
    # One formulation (one task, or two tasks asked the same way): no such warning.
    assert cmp.compare_models(store, project, "alpha", "beta",
                              task="project:mcf").formulation_warnings == []
