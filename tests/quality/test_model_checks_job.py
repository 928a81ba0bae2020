"""The model-check job end to end: the CLI starts a real job process, the bundled model judges
hand-made questions with known verdicts (tests/quality/check_cases.py), and the verdicts
reach the store, the question flags, the questions CLI JSON and the Argilla metadata."""

from __future__ import annotations

import json

import pytest

from store import Store
from store.argilla import ArgillaPushItem
from tests.quality.check_cases import CASES, PASSAGES, make_check_project
from workbench.argilla_sync.payload import build_payload
from workbench.bundled_model import BUNDLED_MODEL

pytestmark = pytest.mark.slow


@pytest.mark.timeout(1800)
def test_the_bundled_judge_flags_a_wrong_key_and_give_aways_and_passes_good_questions(
        cli, store: Store):
    project, ids = make_check_project(store)
    out = cli("checks", "run", "--project", project.name, "--wait", "--json", timeout=1700)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    job = json.loads(out.stdout)
    result = job["result"]
    assert job["state"] == "done"
    assert (result["judge"], result["formulation"], result["seed"], result["rounds"]) == (
        BUNDLED_MODEL, "cloze", 0, 2)
    assert result["checked"] == len(CASES) and result["no_key"] == 0
    with_passage = [c for c in CASES if c.passage]
    assert result["results"] == {"open-book": len(with_passage), "options-only": len(CASES)}
    assert result["no_passage"] == len(CASES) - len(with_passage)

    stored = {(r.question_id, r.check_kind): r for r in store.model_check_results(project.id)}
    for case in CASES:
        qid = ids[case.name]
        question = store.question(qid)
        assert question.status == "pending", case.name  # flags never change a status
        if case.disputed is not None:
            r = stored[(qid, "open-book")]
            assert r.flagged == case.disputed, (case.name, r)
            assert ("key-disputed" in question.flags) == case.disputed, case.name
            if case.disputed:
                assert r.choice_index == case.judge_choice, (case.name, r)
        else:
            assert (qid, "open-book") not in stored
        if case.guessable is not None:
            r = stored[(qid, "options-only")]
            assert r.flagged == case.guessable, (case.name, r)
            assert ("guessable" in question.flags) == case.guessable, case.name
    for r in stored.values():
        assert r.judge == BUNDLED_MODEL and r.seed == 0 and r.trials == 8
        assert r.judge_revision and r.judge_revision.startswith("sha256:")
        kind = "open_book_v1" if r.check_kind == "open-book" else "options_only_v1"
        assert r.prompt_version == f"{kind}/cloze"
        assert len(r.details["picks"]) == 8
    flagged = {k: sum(1 for r in stored.values() if r.check_kind == k and r.flagged)
               for k in ("open-book", "options-only")}
    assert result["flagged"] == flagged

    # The flags in the questions CLI JSON and in `checks list`.
    listed = json.loads(cli("questions", "list", "--project", project.name, "--json").stdout)
    flags = {q["id"]: q["flags"] for q in listed}
    assert "key-disputed" in flags[ids["water-wrong-key"]]
    assert "guessable" in flags[ids["giveaway-first"]]
    assert flags[ids["water-good"]] == [] and flags[ids["nile-good"]] == []
    checks = json.loads(cli("checks", "list", "--project", project.name, "--flagged",
                            "--json").stdout)
    disputed = [c for c in checks if c["question_id"] == ids["honey-wrong-key"]]
    assert [(c["check"], c["key"], c["judge_choice"]) for c in disputed] == [
        ("open-book", 1, 0)]

    # ...and in the Argilla record's metadata (what a push sends).
    q = store.question(ids["honey-wrong-key"])
    payload = build_payload(ArgillaPushItem(q, PASSAGES["honey"], "Facts", None))
    assert "key-disputed" in payload.metadata["flags"]
