"""Item analysis on hand-made per-sample results whose figures are worked out by hand (the
correlations also against scipy.stats.pointbiserialr), stored through the store API."""

from __future__ import annotations

import json
import math

import pytest
from scipy.stats import pointbiserialr

from store import Store
from store.records import Project
from tests.leaderboard.synthetic_runs import (
    DEFAULT_SETTINGS,
    add_run,
    make_questions,
    make_snapshot,
)
from workbench.errors import InvalidInput, NotFound
from workbench.results import items as it

# Six questions (rows) answered by four models A-D. Totals: A 4, B 3, C 3, D 2.
OUTCOMES = {
    "A": [1, 0, 1, 0, 1, 1],
    "B": [1, 0, 1, 0, 1, 0],
    "C": [1, 0, 0, 1, 1, 0],
    "D": [1, 0, 0, 1, 0, 0],
}
# Worked out on paper from the corrected totals (total minus the question's own outcome):
#  q2: x 1,1,0,0 vs y 3,2,3,2: covariance 0 -> r = 0
#  q3: x 0,0,1,1 vs y 4,3,2,1: sxy -2, sxx 1, syy 5 -> r = -2/sqrt(5)
#  q4: x 1,1,1,0 vs y 3,2,2,2: sxy 1/4, sxx 3/4, syy 3/4 -> r = 1/3
#  q5: x 1,0,0,0 vs y 3,3,3,2: sxy 1/4, sxx 3/4, syy 3/4 -> r = 1/3
DIFFICULTY = [1.0, 0.0, 0.5, 0.5, 0.75, 0.25]
DISCRIMINATION = [None, None, 0.0, -2 / math.sqrt(5), 1 / 3, 1 / 3]


@pytest.fixture
def exam(store: Store, project: Project) -> tuple[list[int], str]:
    qids = make_questions(store, project, 6)
    snap = make_snapshot(store, project, qids, "items")
    for model, outcomes in OUTCOMES.items():
        add_run(store, project, model, "project:mcf", outcomes, qids, snapshot_id=snap)
    return qids, snap


def test_point_biserial_by_hand_and_against_scipy():
    assert it.point_biserial([0, 0, 1, 1], [4, 3, 2, 1]) == pytest.approx(-2 / math.sqrt(5))
    assert it.point_biserial([1, 1, 1, 0], [3, 2, 2, 2]) == pytest.approx(1 / 3)
    assert it.point_biserial([1, 1, 0, 0], [3, 2, 3, 2]) == pytest.approx(0.0, abs=1e-12)
    assert it.point_biserial([1, 1, 1], [3, 2, 1]) is None  # the item does not vary
    assert it.point_biserial([1, 0, 1], [2, 2, 2]) is None  # the totals do not vary
    cases = [([1, 0, 1, 1, 0, 0, 1], [9, 4, 7, 8, 5, 6, 3]),
             ([0, 1, 0, 1, 1], [12.0, 30.5, 8.0, 22.0, 15.5]),
             ([1, 0, 0, 0, 1, 1, 0, 1], [5, 7, 2, 1, 6, 6, 3, 2])]
    for x, y in cases:
        assert it.point_biserial(x, y) == pytest.approx(pointbiserialr(x, y).statistic, abs=1e-12)
    with pytest.raises(InvalidInput):
        it.point_biserial([1, 0], [1, 2, 3])


def test_difficulty_discrimination_and_lists_from_stored_runs(store, project, exam):
    qids, snap = exam
    [analysis] = it.analyse_items(store, project)  # default: the snapshot four models ran
    assert analysis.snapshot_id == snap and analysis.task == "project:mcf"
    assert [(m.model, m.right, m.items) for m in analysis.models] == [
        ("A", 4, 6), ("B", 3, 6), ("C", 3, 6), ("D", 2, 6)]
    assert [i.question_id for i in analysis.items] == qids
    assert [i.difficulty for i in analysis.items] == DIFFICULTY
    for item, expected in zip(analysis.items, DISCRIMINATION, strict=True):
        if expected is None:
            assert item.discrimination is None
        else:
            assert item.discrimination == pytest.approx(expected, abs=1e-12)
    # The corrected correlation is scipy's point-biserial against the totals without the item.
    totals = {m: sum(v) for m, v in OUTCOMES.items()}
    for q in (2, 3, 4, 5):
        x = [OUTCOMES[m][q] for m in "ABCD"]
        y = [totals[m] - OUTCOMES[m][q] for m in "ABCD"]
        assert analysis.items[q].discrimination == pytest.approx(pointbiserialr(x, y).statistic)
    # ...and not the uncorrected one (which counts the item in its own total).
    uncorrected = pointbiserialr([0, 0, 1, 1], [totals[m] for m in "ABCD"]).statistic
    assert uncorrected != pytest.approx(analysis.items[3].discrimination)
    assert [i.question_id for i in analysis.listed(it.EVERY_MODEL_RIGHT)] == [qids[0]]
    assert [i.question_id for i in analysis.listed(it.EVERY_MODEL_WRONG)] == [qids[1]]
    assert [i.question_id for i in analysis.listed(it.ANTI_DISCRIMINATING)] == [qids[3]]
    assert analysis.items[3].question == "Question 3? (items)"  # the snapshot's frozen text
    assert analysis.mean_difficulty == pytest.approx(sum(DIFFICULTY) / 6)
    assert analysis.mean_discrimination == pytest.approx((0 - 2 / math.sqrt(5) + 2 / 3) / 4)
    assert any("only 4 models" in w for w in analysis.warnings)
    assert analysis.left_out == 0 and not analysis.settings_differ


def test_flags_go_to_review_and_are_cleared_when_the_figures_change(store, project, exam):
    qids, snap = exam
    store.set_question_flags(qids[3], ["near-duplicate"])
    before = {q.id: q.status for q in store.list_questions(project.id)}
    changes = it.apply_item_flags(store, it.analyse_items(store, project, snap))
    assert changes.added == {it.EVERY_MODEL_RIGHT: [qids[0]], it.EVERY_MODEL_WRONG: [qids[1]],
                             it.ANTI_DISCRIMINATING: [qids[3]]}
    assert changes.removed == {}
    assert store.question(qids[3]).flags == [it.ANTI_DISCRIMINATING, "near-duplicate"]
    assert store.question(qids[2]).flags == []
    assert {q.id: q.status for q in store.list_questions(project.id)} == before
    # Review filters on the new flags like on any other.
    from store.questions import QuestionFilter
    assert store.question_ids(project.id, QuestionFilter(flag=it.EVERY_MODEL_WRONG)) == [qids[1]]
    # Applying again changes nothing.
    again = it.apply_item_flags(store, it.analyse_items(store, project, snap))
    assert again.added == {} and again.removed == {}
    # A fifth model, the best on the rest (4 right), misses q0 and gets q1 right: the flags
    # follow. q0: x 1,1,1,1,0 vs y 3,2,2,1,4: sxy -1.6, sxx 0.8, syy 5.2 -> r = -0.78 (anti);
    # q1: x 0,0,0,0,1 vs y 4,3,3,2,3: sxy 0 -> r = 0 (no flag).
    add_run(store, project, "E", "project:mcf", [0, 1, 1, 0, 1, 1], qids, snapshot_id=snap)
    [fifth] = it.analyse_items(store, project, snap)
    assert fifth.items[0].discrimination == pytest.approx(-1.6 / math.sqrt(0.8 * 5.2))
    assert fifth.items[1].discrimination == pytest.approx(0.0, abs=1e-12)
    third = it.apply_item_flags(store, [fifth])
    assert third.removed == {it.EVERY_MODEL_RIGHT: [qids[0]], it.EVERY_MODEL_WRONG: [qids[1]]}
    assert third.added == {it.ANTI_DISCRIMINATING: [qids[0]]}
    assert store.question(qids[0]).flags == [it.ANTI_DISCRIMINATING]
    assert store.question(qids[1]).flags == []
    assert "near-duplicate" in store.question(qids[3]).flags


def test_latest_run_per_model_and_questions_not_in_every_run(store, project, exam):
    qids, snap = exam
    # A later run of D (only the first four questions, as with --limit 4) replaces D's.
    add_run(store, project, "D", "project:mcf", [1, 1, 1, 1], qids[:4], snapshot_id=snap,
            settings={**DEFAULT_SETTINGS, "seed": 7})
    [a] = it.analyse_items(store, project, snap, task="project:mcf")
    assert [i.question_id for i in a.items] == qids[:4] and a.left_out == 2
    assert [m.right for m in a.models] == [2, 2, 2, 4]  # over the four shared questions
    assert a.settings_differ == ["seed"]
    assert any("2 questions were not answered by every run" in w for w in a.warnings)
    assert a.items[1].difficulty == 0.25  # D now answers q1 right


def test_clear_errors_when_analysis_cannot_run(store, project):
    qids = make_questions(store, project, 4)
    snap = make_snapshot(store, project, qids, "one")
    with pytest.raises(NotFound) as none:
        it.analyse_items(store, project)
    assert "two or more models" in none.value.title and "eval run" in none.value.hint
    add_run(store, project, "A", "project:mcf", [1, 0, 1, 0], qids, snapshot_id=snap)
    with pytest.raises(NotFound) as one:
        it.analyse_items(store, project, snap)
    assert "1 ran it (A)" in one.value.title
    with pytest.raises(NotFound) as task:
        it.analyse_items(store, project, snap, task="project:cloze")
    assert "project:mcf" in task.value.hint
    with pytest.raises(NotFound):
        it.analyse_items(store, project, "nosuchsnapshot")


def test_flips_between_two_runs_of_the_same_model(store, project):
    questions = make_questions(store, project, 40)
    old = add_run(store, project, "A", "exam", [1, 1, 0, 0, 1, 0] + [1] * 34, questions)
    new = add_run(store, project, "A", "exam", [1, 0, 1, 0, 0, 1] + [1] * 34, questions,
                  settings={**DEFAULT_SETTINGS, "chat_template": True})
    flips = it.run_flips(store, old, new)
    assert flips.shared == 40
    assert [(f.question_id, f.direction) for f in flips.flips] == [
        (questions[1], "broke"), (questions[2], "fixed"), (questions[4], "broke"),
        (questions[5], "fixed")]
    assert (len(flips.broke), len(flips.fixed)) == (2, 2)
    assert flips.paired is not None and flips.paired.difference == 0.0
    assert flips.settings_differ == {"chat_template": (False, True)}
    assert any("settings differ" in w for w in flips.warnings)
    assert [r.id for r in it.runs_of_model(store, project, "A")] == [new, old]
    other = add_run(store, project, "A", "other-task", [1] * 40, questions)
    with pytest.raises(InvalidInput):
        it.run_flips(store, old, other)
    with pytest.raises(InvalidInput):
        it.run_flips(store, old, old)


def test_cli_json_text_flag_and_flips(store, project, exam, cli):
    qids, snap = exam
    out = cli("items", "--project", project.name, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["snapshot"] == snap and "corrected item-total" in data["discrimination"]
    [a] = data["analyses"]
    assert a["listed"] == {it.EVERY_MODEL_RIGHT: [qids[0]], it.EVERY_MODEL_WRONG: [qids[1]],
                           it.ANTI_DISCRIMINATING: [qids[3]]}
    assert [i["difficulty"] for i in a["items"]] == DIFFICULTY
    assert a["items"][3]["discrimination"] == pytest.approx(-2 / math.sqrt(5))
    assert "flags" not in data and store.question(qids[0]).flags == []
    text = cli("items", "--project", project.name, "--snapshot", snap[:8], "--flag")
    assert text.returncode == 0, text.stderr
    assert "anti-discriminating: 1" in text.stdout and "Flags: 3 added, 0 cleared" in text.stdout
    assert store.question(qids[1]).flags == [it.EVERY_MODEL_WRONG]
    missing = cli("items", "--project", project.name, "--task", "nope")
    assert missing.returncode == 1 and "Task 'nope'" in missing.stderr
    runs = [r.id for r in store.eval_runs(project.id, model_name="A")]
    add_run(store, project, "A", "project:mcf", [1, 1, 1, 0, 1, 1], qids, snapshot_id=snap)
    newest = store.eval_runs(project.id, model_name="A")[-1].id
    flips = json.loads(cli("items", "--project", project.name, "--flips", str(runs[0]),
                           str(newest), "--json").stdout)
    assert [(f["question_id"], f["direction"]) for f in flips["flips"]] == [(qids[1], "fixed")]


def test_generative_runs_are_analysed_like_any_other(store, project):
    """Written answers (the generative formulation): an unparsed reply counts as wrong, so
    the figures are those of the same outcomes as letters (worked out above)."""
    from store.records import SampleResult, Score

    qids = make_questions(store, project, 6)
    snap = make_snapshot(store, project, qids, "written")
    settings = {**DEFAULT_SETTINGS, "formulation": "generative", "reasoning": False}
    for model, outcomes in OUTCOMES.items():
        run = store.create_eval_run(project.id, model, "project:generative", settings,
                                    config_hash=f"{model}/generative", snapshot_id=snap)
        samples = []
        for i, ok in enumerate(outcomes):
            # Wrong answers alternate between another letter and no letter at all.
            unparsed = not ok and i % 2 == 0
            samples.append(SampleResult(
                sample_index=i, correct=float(ok), gold_index=0,
                prediction_index=0 if ok else (None if unparsed else 2), question_id=qids[i],
                metrics={"acc": float(ok), "unparsed": float(unparsed)},
                reply="Question: what is" if unparsed else f"Answer: {'A' if ok else 'C'}"))
        store.complete_eval_run(run.id, {"acc": Score("acc", sum(outcomes) / 6, None)},
                                samples, {})
    [analysis] = it.analyse_items(store, project, snap, "project:generative")
    assert [(m.model, m.right) for m in analysis.models] == [
        ("A", 4), ("B", 3), ("C", 3), ("D", 2)]
    assert [i.difficulty for i in analysis.items] == DIFFICULTY
    for item, expected in zip(analysis.items, DISCRIMINATION, strict=True):
        assert item.discrimination == (None if expected is None else pytest.approx(expected))
