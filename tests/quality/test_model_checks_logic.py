"""Model checks without a model: balanced shuffles, the binomial test (against scipy),
verdicts from hand-made log-likelihoods, flags, prompts, and the stored results."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest
from scipy.stats import binomtest

from store.checks import ModelCheckResult
from store.records import NewQuestion
from workbench.errors import InvalidInput
from workbench.quality import model_checks as mc

ITEM = mc.CheckItem(7, "Which gas do plants take in?", ["Oxygen", "Carbon dioxide", "Helium",
                                                         "Neon"], 1, "Plants take in carbon dioxide.")


def test_balanced_orders_put_the_key_everywhere_equally_and_are_seeded():
    orders = mc.balanced_orders(4, key=1, seed=3, rounds=2)
    assert len(orders) == 8
    assert all(sorted(o) == [0, 1, 2, 3] for o in orders)
    assert Counter(o.index(1) for o in orders) == {0: 2, 1: 2, 2: 2, 3: 2}
    assert orders == mc.balanced_orders(4, key=1, seed=3, rounds=2)
    assert orders != mc.balanced_orders(4, key=1, seed=4, rounds=2)
    with pytest.raises(InvalidInput):
        mc.balanced_orders(4, key=4, seed=0)
    with pytest.raises(InvalidInput):
        mc.balanced_orders(1, key=0, seed=0)


def test_binomial_tail_against_scipy():
    for hits, trials, p in [(5, 8, 0.25), (2, 8, 0.25), (0, 8, 0.25), (8, 8, 0.25),
                            (4, 6, 1 / 3), (7, 10, 0.5)]:
        assert mc.binomial_tail(hits, trials, p) == pytest.approx(
            binomtest(hits, trials, p, alternative="greater").pvalue, rel=1e-12)
    # By hand: 5 or more of 8 at 1/4 = (56*3^3 + 28*3^2 + 8*3 + 1) / 4^8 = 1789 / 65536.
    assert mc.binomial_tail(5, 8, 0.25) == pytest.approx(1789 / 65536)


def _scores_for(plan: mc.CheckPlan, favourite: int | None, position: int | None = None
                ) -> list[list[float]]:
    """Log-likelihoods of a judge that always favours one option (wherever it is shown) or
    one position (whatever is there)."""
    out = []
    for order in plan.orders:
        row = [-3.0] * len(order)
        top = order.index(favourite) if favourite is not None else position
        assert top is not None
        row[top] = -0.5
        out.append(row)
    return out


def test_a_judge_with_only_a_position_bias_flags_nothing():
    for kind in mc.CHECKS:
        plan = mc.plan_check(ITEM, kind, seed=0)
        assert plan is not None
        v = mc.decide(plan, _scores_for(plan, None, position=0))  # always "A"
        assert (v.key_hits, v.trials) == (2, 8)  # the key sat at A in 2 of 8 orders
        assert not v.flagged
        assert v.p_value == pytest.approx(mc.binomial_tail(2, 8, 0.25))


def test_open_book_disputes_a_key_the_judge_consistently_rejects():
    plan = mc.plan_check(ITEM, mc.OPEN_BOOK, seed=0)
    assert plan is not None
    v = mc.decide(plan, _scores_for(plan, favourite=2))
    assert v.flagged and v.flag == mc.KEY_DISPUTED and v.choice == 2
    assert (v.key_hits, v.choice_hits) == (0, 8)
    assert v.p_value == pytest.approx(0.25 ** 8)
    agree = mc.decide(plan, _scores_for(plan, favourite=1))
    assert not agree.flagged and agree.choice == 1 and agree.key_hits == 8


def test_options_only_flags_a_key_picked_well_above_chance():
    plan = mc.plan_check(ITEM, mc.OPTIONS_ONLY, seed=0)
    assert plan is not None
    v = mc.decide(plan, _scores_for(plan, favourite=1))
    assert v.flagged and v.flag == mc.GUESSABLE and v.key_hits == 8
    # Probabilities: softmax of (-0.5, -3, -3, -3) puts e^-0.5 / (e^-0.5 + 3 e^-3) on the key.
    top = math.exp(-0.5) / (math.exp(-0.5) + 3 * math.exp(-3))
    assert v.key_probability == pytest.approx(top)
    other = mc.decide(plan, _scores_for(plan, favourite=0))
    assert not other.flagged and other.key_hits == 0
    # Five hits of eight (p = 1789/65536 < 5%) flags; four (p = 0.114) does not.
    rows = _scores_for(plan, favourite=1)
    key_first = [i for i, o in enumerate(plan.orders) if o[0] != 1]
    for i in key_first[:3]:
        rows[i] = [-0.5, -3.0, -3.0, -3.0]  # three orders now pick another option
    five = mc.decide(plan, rows)
    assert five.key_hits == 5 and five.flagged
    rows[key_first[3]] = [-0.5, -3.0, -3.0, -3.0]
    assert not mc.decide(plan, rows).flagged


def test_cloze_scores_are_normalised_by_length():
    item = mc.CheckItem(1, "q?", ["ab", "abcdefgh"], 0, None)
    plan = mc.plan_check(item, mc.OPTIONS_ONLY, seed=0, rounds=1, formulation="cloze")
    assert plan is not None and plan.prompt_version == "options_only_v1/cloze"
    assert plan.continuations[0] == [f" {item.options[i]}" for i in plan.orders[0]]
    # Totals -4 for " ab" (3 chars: -1.33/char) and -6 for " abcdefgh" (9: -0.67/char).
    scores = [[-4.0 if item.options[i] == "ab" else -6.0 for i in order]
              for order in plan.orders]
    v = mc.decide(plan, scores)
    assert v.picks == [1, 1] and v.key_hits == 0  # the longer option wins per character


def test_prompts_and_which_checks_apply():
    ob = mc.plan_check(ITEM, mc.OPEN_BOOK, seed=0)
    oo = mc.plan_check(ITEM, mc.OPTIONS_ONLY, seed=0)
    assert ob is not None and oo is not None
    assert all(ITEM.passage in p and ITEM.question in p for p in ob.prompts)
    assert all(ITEM.question not in p and "Carbon dioxide" in p for p in oo.prompts)
    assert ob.continuations[0] == [" A", " B", " C", " D"]
    assert ob.prompt_version == "open_book_v1/mcf"
    no_passage = mc.CheckItem(8, "q?", ["a", "b"], 0, None)
    assert mc.plan_check(no_passage, mc.OPEN_BOOK, seed=0) is None
    with pytest.raises(InvalidInput):
        mc.plan_check(ITEM, "closed-book", seed=0)
    with pytest.raises(InvalidInput):
        mc.plan_check(ITEM, mc.OPEN_BOOK, seed=0, formulation="generative")


def test_flags_after_sets_clears_and_keeps_others():
    plan = mc.plan_check(ITEM, mc.OPEN_BOOK, seed=0)
    assert plan is not None
    disputed = mc.decide(plan, _scores_for(plan, favourite=2))
    fine = mc.decide(plan, _scores_for(plan, favourite=1))
    assert mc.flags_after(["near-duplicate"], [disputed]) == ["key-disputed", "near-duplicate"]
    assert mc.flags_after(["key-disputed", "near-duplicate"], [fine]) == ["near-duplicate"]


def test_results_stored_with_judge_prompt_and_seed(store, project):
    [qid] = store.add_questions([NewQuestion(project_id=project.id, question="q?",
                                             options=["a", "b"], answer_index=0)])

    def result(flagged: bool, choice: int) -> ModelCheckResult:
        return ModelCheckResult(
            question_id=qid, project_id=project.id, check_kind="open-book", judge="judge-1",
            prompt_version="open_book_v1/mcf", seed=5, key_index=0, choice_index=choice,
            key_hits=0, trials=4, key_probability=0.1, p_value=0.0625, flagged=flagged,
            judge_revision="sha256:x", details={"picks": [1, 1, 1, 1]})

    store.record_model_checks([result(True, 1)], {qid: ["key-disputed"]})
    assert store.question(qid).flags == ["key-disputed"]
    assert store.question(qid).status == "pending"
    store.record_model_checks([result(False, 0)], {qid: []})
    [latest] = store.model_check_results(project.id)
    assert (latest.flagged, latest.choice_index, latest.judge, latest.seed) == (
        False, 0, "judge-1", 5)
    assert latest.prompt_version == "open_book_v1/mcf" and latest.details["picks"] == [1] * 4
    assert len(store.model_check_results(project.id, latest_only=False)) == 2
    assert store.question(qid).flags == []


def test_cli_refuses_bad_requests_before_starting_a_job(cli, store, project):
    unknown = cli("checks", "run", "--project", project.name, "--judge", "no-such-model")
    assert unknown.returncode == 1 and "no-such-model" in unknown.stderr
    rounds = cli("checks", "run", "--project", project.name, "--rounds", "0")
    assert rounds.returncode == 1 and "--rounds" in rounds.stderr
    assert store.list_jobs() == []
    empty = cli("checks", "list", "--project", project.name)
    assert empty.returncode == 0 and "No model checks yet" in empty.stdout


def test_questions_to_check_and_what_a_resumed_job_skips(store):
    from tests.quality.check_cases import PASSAGES, make_check_project
    from workbench.quality.job import check_items, select_questions

    project, ids = make_check_project(store)
    other = store.create_project("other")
    [foreign] = store.add_questions([NewQuestion(project_id=other.id, question="q?",
                                                 options=["a", "b"], answer_index=0)])
    [no_key] = store.add_questions([NewQuestion(project_id=project.id, question="k?",
                                                options=["a", "b"], answer_index=None)])
    store.record_review(ids["capitals"], "tester", "discard", {"status": "discarded"})
    chosen = select_questions(store, project.id, None)
    assert ids["capitals"] not in [q.id for q in chosen]  # discarded: not checked
    items, without_key = check_items(store, chosen)
    assert without_key == 1 and no_key not in [i.question_id for i in items]
    by_id = {i.question_id: i for i in items}
    assert by_id[ids["water-good"]].passage == PASSAGES["water"]
    assert by_id[ids["giveaway-first"]].passage is None
    with pytest.raises(InvalidInput):
        select_questions(store, project.id, [foreign])
    job = store.create_job("model_checks", {}, project.id)
    store.record_model_checks([ModelCheckResult(
        question_id=ids["water-good"], project_id=project.id, check_kind="options-only",
        judge="j", prompt_version="options_only_v1/mcf", seed=0, key_index=0, choice_index=0,
        key_hits=2, trials=8, key_probability=0.25, p_value=0.63, flagged=False,
        job_id=job.id)], {})
    assert store.job_checked_question_ids(job.id) == {ids["water-good"]}


def test_the_judges_verdicts_reach_the_questions_json_and_export(cli, store, project, tmp_path):
    [disputed, checked, unchecked] = store.add_questions([
        NewQuestion(project_id=project.id, question=f"q{i}?", options=["a", "b", "c", "d"],
                    answer_index=0, item_key=f"k{i}") for i in range(3)])

    def result(qid: int, kind: str, choice: int, flagged: bool) -> ModelCheckResult:
        return ModelCheckResult(
            question_id=qid, project_id=project.id, check_kind=kind, judge="judge-1",
            prompt_version=f"{kind}_v1/mcf", seed=3, key_index=0, choice_index=choice,
            key_hits=1, trials=8, key_probability=0.12, p_value=0.01 if flagged else 0.6,
            flagged=flagged, judge_revision="sha256:x")

    store.record_model_checks(
        [result(disputed, "open-book", 2, True), result(checked, "open-book", 0, False),
         result(checked, "options-only", 0, False)],
        {disputed: ["key-disputed"], checked: []})
    listed = {q["id"]: q for q in json.loads(
        cli("questions", "list", "--project", project.name, "--json").stdout)}
    [verdict] = listed[disputed]["model_checks"]
    assert verdict == {
        "check": "open-book", "judge": "judge-1", "flagged": True, "judge_choice": "C",
        "key_hits": 1, "trials": 8, "p_value": 0.01, "prompt_version": "open-book_v1/mcf",
        "seed": 3, "judge_revision": "sha256:x"}
    assert listed[disputed]["flags"] == ["key-disputed"]
    assert [c["check"] for c in listed[checked]["model_checks"]] == ["open-book", "options-only"]
    assert listed[unchecked]["model_checks"] == []
    out = tmp_path / "questions.jsonl"
    assert cli("questions", "export", "--project", project.name, "--to", str(out)).returncode == 0
    exported = {q["id"]: q for q in map(json.loads, out.read_text().splitlines())}
    assert exported[disputed]["model_checks"][0]["judge_choice"] == "C"
