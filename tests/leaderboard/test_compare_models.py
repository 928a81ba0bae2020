"""Comparing two models on the same questions: figures, warnings, drill-down, errors."""

from __future__ import annotations

import pytest
from synthetic_runs import DEFAULT_SETTINGS, add_run, make_snapshot

from workbench.results import compare as cmp
from workbench.results import stats
from workbench.errors import InvalidInput, NotFound

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
    assert p.test == stats.mcnemar(9, 3)
    assert p.test.name == "McNemar mid-p"
    expected = stats.paired_difference(A, B, [f"p{i // 2}" for i in range(40)])
    assert p.clustered_stderr == pytest.approx(expected.clustered_stderr)
    assert p.correlation == pytest.approx(expected.correlation)
    assert tc.verdict == ("A better" if p.test.p_value < 0.05 else "no significant difference")
    assert tc.power.detectable is not None and tc.power.needed is not None
    assert tc.power.more == max(0, tc.power.needed - 40)
    assert result.overall is None  # one task


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
    assert out.stdout.index("Warning:") < out.stdout.index("no significant difference"
                                                           if not tc.paired.significant
                                                           else "A better")


def test_several_tasks_get_an_overall_difference(store, project, questions):
    add_run(store, project, "alpha", "one", A, questions)
    add_run(store, project, "beta", "one", B, questions)
    add_run(store, project, "alpha", "two", B, questions)
    add_run(store, project, "beta", "two", B, questions)
    result = cmp.compare_models(store, project, "alpha", "beta")
    assert [t.task for t in result.tasks] == ["one", "two"]
    assert result.overall.difference == pytest.approx((6 / 40 + 0) / 2)
    se_one = result.task("one").paired.best_stderr
    assert result.overall.stderr == pytest.approx(se_one / 2)  # task two: no differences
    only = cmp.compare_models(store, project, "alpha", "beta", task="two")
    assert [t.task for t in only.tasks] == ["two"] and only.overall is None


def test_clear_errors(two_models, project):
    with pytest.raises(InvalidInput, match="two different models"):
        cmp.compare_models(two_models, project, "alpha", "alpha")
    with pytest.raises(NotFound, match="no finished evaluation"):
        cmp.compare_models(two_models, project, "alpha", "gamma")
    with pytest.raises(NotFound, match="not run on both"):
        cmp.compare_models(two_models, project, "alpha", "beta", task="geography")
